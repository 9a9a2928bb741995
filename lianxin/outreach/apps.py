from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "lianxin.outreach"
    label = "outreach"
    verbose_name = _("Outreach and capability building")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.outreach import cards, fhir  # noqa: F401 — the home-page card

        fhir.register()
