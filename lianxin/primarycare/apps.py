from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrimaryCareConfig(AppConfig):
    name = "lianxin.primarycare"
    label = "primarycare"
    verbose_name = _("Family doctors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lianxin.primarycare import (  # noqa: F401 — receivers, the patient-page section
            notifications,
            sections,
            signals,
        )
        from lianxin.primarycare.actions.visits import may_record_for_referral
        from lianxin.referrals.actions import follow_up_delegates

        if may_record_for_referral not in follow_up_delegates:
            follow_up_delegates.append(may_record_for_referral)
