"""The REST API: each app's ``api.py`` adds its viewsets to one router via ``routes(router)``."""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

API_APPS = ["core", "network", "workforce", "patients", "referrals", "diagnostics", "outreach"]

router = DefaultRouter()
for app in API_APPS:
    module = import_module(f"lianxin.{app}.api")
    module.routes(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include(router.urls)),
]
