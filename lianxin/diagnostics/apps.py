from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosticsConfig(AppConfig):
    name = "lianxin.diagnostics"
    label = "diagnostics"
    verbose_name = _("Shared diagnostic centres")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.diagnostics import cards, fhir, notifications, sections  # noqa: F401 — receivers

        fhir.register()
