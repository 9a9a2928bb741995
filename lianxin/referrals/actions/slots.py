"""Reserved appointment slots (号源下沉): a department publishes them for member institutions."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.access import access_for
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Department
from lianxin.referrals.actions.common import check_practitioner
from lianxin.referrals.models import AppointmentSlot
from lianxin.workforce.models import Practitioner

MAX_SLOTS_AT_ONCE = 200


def do_publish_slots(
    *,
    actor: Any,
    department: Department,
    starts_at: datetime.datetime,
    minutes: int,
    count: int,
    practitioner: Practitioner | None = None,
) -> list[AppointmentSlot]:
    """Publish ``count`` consecutive slots of ``minutes`` each, from ``starts_at``."""
    institution = department.institution
    if not access_for(actor).has_perm(Perm.MANAGE_SLOTS, institution):
        raise NotAllowed(_("You may not publish slots for %(inst)s.") % {"inst": institution})
    errors: dict[str, list[str]] = {}
    if starts_at <= timezone.now():
        errors["starts_at"] = [_("Slots start in the future.")]
    if not 5 <= minutes <= 480:
        errors["minutes"] = [_("A slot lasts between 5 minutes and 8 hours.")]
    if not 1 <= count <= MAX_SLOTS_AT_ONCE:
        errors["count"] = [
            _("Publish between 1 and %(n)d slots at once.") % {"n": MAX_SLOTS_AT_ONCE}
        ]
    if errors:
        raise ValidationError(errors)
    check_practitioner(practitioner, institution, "practitioner")
    step = datetime.timedelta(minutes=minutes)
    with transaction.atomic():
        slots = AppointmentSlot.objects.bulk_create(
            AppointmentSlot(
                institution=institution,
                department=department,
                practitioner=practitioner,
                starts_at=starts_at + n * step,
                ends_at=starts_at + (n + 1) * step,
                published_by=actor,
            )
            for n in range(count)
        )
        audit.record(
            "referrals.slot.publish",
            actor=actor,
            target=department,
            institution=institution,
            after={"starts_at": starts_at, "minutes": minutes, "count": count},
        )
    return slots


def do_withdraw_slot(*, actor: Any, slot: AppointmentSlot) -> AppointmentSlot:
    """Withdraw a free slot; a booked one must be released by its referral first."""
    if not access_for(actor).has_perm(Perm.MANAGE_SLOTS, slot.institution_id):
        raise NotAllowed(_("You may not withdraw this slot."))
    with transaction.atomic():
        changed = AppointmentSlot.objects.filter(
            pk=slot.pk, referral__isnull=True, is_cancelled=False
        ).update(is_cancelled=True)
        if not changed:
            raise Conflict(_("This slot is booked or already withdrawn."))
        audit.record(
            "referrals.slot.withdraw", actor=actor, target=slot, institution=slot.institution_id
        )
    slot.refresh_from_db()
    return slot
