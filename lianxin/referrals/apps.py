from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "lianxin.referrals"
    label = "referrals"
    verbose_name = _("Referrals and consultations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.referrals import cards, notifications, sections  # noqa: F401 — receivers, cards
