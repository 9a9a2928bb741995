from django.urls import path

from lianxin.core import views

urlpatterns = [
    path("", views.home, name="home"),
]
