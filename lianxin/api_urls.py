"""The REST API: each app's ``api.py`` adds its viewsets to one router via ``routes(router)``."""

from importlib import import_module

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

API_APPS = [
    "core",
    "network",
    "workforce",
    "patients",
    "referrals",
    "diagnostics",
    "outreach",
    "emergency",
    "primarycare",
    "sterile",
    "indicators",
    "interfaces",
]

router = DefaultRouter()
for app in API_APPS:
    module = import_module(f"lianxin.{app}.api")
    module.routes(router)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, not inline (Content-Security-Policy); Swagger
    # UI's own page keeps a small inline <style> and inline styles of its widgets.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
