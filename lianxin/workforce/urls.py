from django.urls import path

from lianxin.workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.practitioner_list, name="practitioner-list"),
    path("<uuid:id>/", views.practitioner_detail, name="practitioner-detail"),
    path("add/<uuid:institution>/", views.practitioner_add, name="practitioner-add"),
    path("roles/<uuid:institution>/", views.role_grant, name="role-grant"),
]
