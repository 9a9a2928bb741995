from django.urls import path

from lianxin.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("register/", views.register, name="register"),
    path("break-glass/", views.break_glass, name="break-glass"),
    path("<uuid:id>/", views.detail, name="detail"),
    path("<uuid:id>/edit/", views.edit, name="edit"),
]
