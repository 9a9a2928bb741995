from django.urls import path

from lianxin.patients import identity_views, views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("register/", views.register, name="register"),
    path("break-glass/", views.break_glass, name="break-glass"),
    path("<uuid:id>/", views.detail, name="detail"),
    path("<uuid:id>/edit/", views.edit, name="edit"),
    path("unidentified/", identity_views.unidentified_new, name="unidentified"),
    path("duplicates/", identity_views.duplicates, name="duplicates"),
    path("duplicates/<uuid:id>/merge/", identity_views.candidate_merge, name="candidate-merge"),
    path(
        "duplicates/<uuid:id>/dismiss/",
        identity_views.candidate_dismiss,
        name="candidate-dismiss",
    ),
    path("merges/<uuid:id>/<str:decision>/", identity_views.merge_decide, name="merge-decide"),
    path("<uuid:id>/identify/", identity_views.resolve, name="resolve"),
]
