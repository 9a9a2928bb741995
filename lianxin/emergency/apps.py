from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "lianxin.emergency"
    label = "emergency"
    verbose_name = _("Emergency destination advice")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.emergency import cards, signals  # noqa: F401 - registers the card and hooks
