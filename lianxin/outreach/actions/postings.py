"""Postings (专家下沉) and the activity recorded against them.

A practitioner is in one place a day: the action locks the practitioner's row before looking for
a clashing posting, so two postings entered at the same moment cannot both pass the check, and
on PostgreSQL an exclusion constraint (migration 0002) backs the rule in the database.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.network.models import Department, Institution
from lianxin.outreach.actions.common import (
    add_months,
    check_department,
    check_not_future,
    check_period,
    check_reachable,
    clean_text,
    require_outreach,
)
from lianxin.outreach.models import Posting, PostingActivity
from lianxin.outreach.rules import (
    MAX_POSTING_DAYS,
    STATIONING_MIN_MONTHS,
    ActivityKind,
    ManagementArea,
    PostingKind,
)
from lianxin.workforce.models import Practitioner

MAX_SESSIONS_A_DAY = 20
MAX_PATIENTS_A_DAY = 500


def _snapshot(posting: Posting) -> dict[str, Any]:
    return {
        "practitioner": str(posting.practitioner.external_id),
        "home": posting.home_institution_id,
        "host": posting.host_institution_id,
        "kind": posting.kind,
        "starts_on": posting.starts_on,
        "ends_on": posting.ends_on,
        "role_at_host": posting.role_at_host,
        "is_cancelled": posting.is_cancelled,
    }


def clash_message(clash: Posting) -> str:
    return _(
        "%(name)s is already posted to %(host)s from %(start)s to %(end)s (posting %(id)s); "
        "a practitioner cannot be in two places on the same day."
    ) % {
        "name": clash.practitioner.name,
        "host": clash.host_institution.name,
        "start": clash.starts_on.isoformat(),
        "end": clash.ends_on.isoformat(),
        "id": clash.external_id,
    }


def find_clash(
    practitioner: Practitioner,
    starts_on: datetime.date,
    ends_on: datetime.date,
    *,
    exclude: Posting | None = None,
) -> Posting | None:
    """The first posting of the practitioner, not cancelled, sharing a day with the period."""
    clashes = Posting.objects.filter(
        practitioner=practitioner,
        is_cancelled=False,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    ).select_related("practitioner", "host_institution")
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    return clashes.order_by("starts_on").first()


def _check_kind(
    kind: str, management_area: str, starts_on: datetime.date, ends_on: datetime.date
) -> None:
    if kind not in PostingKind.values:
        raise ValidationError({"kind": [_("Choose how the practitioner is sent.")]})
    if kind == PostingKind.MANAGEMENT and management_area not in ManagementArea.values:
        raise ValidationError({"management_area": [_("Say which area the manager supports.")]})
    if kind != PostingKind.MANAGEMENT and management_area:
        raise ValidationError(
            {"management_area": [_("Only management staff have a management area.")]}
        )
    if (ends_on - starts_on).days + 1 > MAX_POSTING_DAYS:
        raise ValidationError(
            {
                "ends_on": [
                    _("A posting lasts at most three years; enter a longer stay as a renewal.")
                ]
            }
        )
    if kind == PostingKind.STATIONING and ends_on < stationing_min_end(starts_on):
        raise ValidationError(
            {
                "ends_on": [
                    _(
                        "A long-term stationing (驻点) lasts at least %(n)d months, to %(day)s or "
                        "later; record a shorter stay as short-term support."
                    )
                    % {"n": STATIONING_MIN_MONTHS, "day": stationing_min_end(starts_on).isoformat()}
                ]
            }
        )


def stationing_min_end(starts_on: datetime.date) -> datetime.date:
    """The earliest last day of a stationing that starts on ``starts_on``."""
    return add_months(starts_on, STATIONING_MIN_MONTHS) - datetime.timedelta(days=1)


def _save_or_clash(posting: Posting, practitioner: Practitioner) -> None:
    try:
        with transaction.atomic():
            posting.save()
    except IntegrityError as exc:
        # The database's exclusion constraint (PostgreSQL): someone skipped the action's check.
        clash = find_clash(practitioner, posting.starts_on, posting.ends_on, exclude=posting)
        raise ValidationError(
            {"starts_on": [clash_message(clash) if clash else _("This posting clashes.")]}
        ) from exc


def do_create_posting(
    *,
    actor: Any,
    practitioner: Practitioner,
    host_institution: Institution,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    host_department: Department | None = None,
    management_area: str = "",
    role_at_host: str = "",
    purpose: str = "",
) -> Posting:
    """Post a practitioner from their institution to ``host_institution`` for a period."""
    home = practitioner.institution
    require_outreach(actor, home, host_institution)
    management_area = clean_text(management_area)
    check_period(starts_on, ends_on)
    if host_institution.pk == home.pk:
        raise ValidationError(
            {"host_institution": [_("A practitioner is not posted to their own institution.")]}
        )
    if not practitioner.is_active:
        raise ValidationError({"practitioner": [_("This practitioner is not active.")]})
    check_reachable(actor, host_institution, "host_institution")
    check_department(host_department, host_institution, "host_department")
    _check_kind(kind, management_area, starts_on, ends_on)
    with transaction.atomic():
        # Serialise postings of this practitioner: the second writer waits here, then sees the
        # first one's posting.
        locked = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        clash = find_clash(locked, starts_on, ends_on)
        if clash is not None:
            raise ValidationError({"starts_on": [clash_message(clash)]})
        posting = Posting(
            practitioner=locked,
            home_institution=home,
            host_institution=host_institution,
            host_department=host_department,
            kind=kind,
            management_area=management_area,
            starts_on=starts_on,
            ends_on=ends_on,
            role_at_host=clean_text(role_at_host)[:80],
            purpose=clean_text(purpose),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _save_or_clash(posting, locked)
        audit.record(
            "outreach.posting.create",
            actor=actor,
            target=posting,
            institution=home,
            after=_snapshot(posting),
        )
    return posting


def do_change_posting_period(
    *, actor: Any, posting: Posting, starts_on: datetime.date, ends_on: datetime.date
) -> Posting:
    """Extend or cut short a posting; recorded activity must stay inside the new period."""
    require_outreach(actor, posting.home_institution_id, posting.host_institution_id)
    if posting.is_cancelled:
        raise Conflict(_("This posting was cancelled."))
    check_period(starts_on, ends_on)
    _check_kind(posting.kind, posting.management_area, starts_on, ends_on)
    with transaction.atomic():
        Practitioner.objects.select_for_update().get(pk=posting.practitioner_id)
        before = _snapshot(posting)
        clash = find_clash(posting.practitioner, starts_on, ends_on, exclude=posting)
        if clash is not None:
            raise ValidationError({"starts_on": [clash_message(clash)]})
        outside = posting.activities.exclude(on__range=(starts_on, ends_on)).order_by("on").first()
        if outside is not None:
            raise ValidationError(
                {
                    "ends_on": [
                        _("Activity was recorded on %(day)s, outside the new period.")
                        % {"day": outside.on.isoformat()}
                    ]
                }
            )
        posting.starts_on, posting.ends_on = starts_on, ends_on
        _save_or_clash(posting, posting.practitioner)
        audit.record(
            "outreach.posting.change_period",
            actor=actor,
            target=posting,
            institution=posting.home_institution_id,
            before=before,
            after=_snapshot(posting),
        )
    return posting


def do_cancel_posting(*, actor: Any, posting: Posting, reason: str) -> Posting:
    """Cancel a posting that will not take place (or was entered by mistake)."""
    require_outreach(actor, posting.home_institution_id, posting.host_institution_id)
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the posting is cancelled.")]})
    with transaction.atomic():
        changed = Posting.objects.filter(pk=posting.pk, is_cancelled=False).update(
            is_cancelled=True, cancel_reason=reason[:200]
        )
        if not changed:
            raise Conflict(_("This posting was already cancelled."))
        if posting.activities.exists():
            raise Conflict(_("Activity was recorded against this posting; change its period."))
        audit.record(
            "outreach.posting.cancel",
            actor=actor,
            target=posting,
            institution=posting.home_institution_id,
            after={"reason": reason},
        )
    posting.refresh_from_db()
    return posting


def can_record_activity(actor: Any, posting: Posting) -> bool:
    from lianxin.core.access import access_for
    from lianxin.core.permissions import Perm

    access = access_for(actor)
    if access.is_superuser or posting.practitioner.user_id == getattr(actor, "pk", None):
        return True
    return any(
        access.has_perm(Perm.MANAGE_OUTREACH, inst)
        for inst in (posting.home_institution_id, posting.host_institution_id)
    )


def do_record_activity(
    *,
    actor: Any,
    posting: Posting,
    on: datetime.date,
    kind: str,
    sessions: int = 1,
    patients: int = 0,
    note: str = "",
) -> PostingActivity:
    """Record what the posted practitioner did on one day at the host."""
    if not can_record_activity(actor, posting):
        raise NotAllowed(_("Only the posted practitioner or the outreach office records this."))
    if posting.is_cancelled:
        raise Conflict(_("This posting was cancelled."))
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [_("Choose what was done.")]
    if not isinstance(sessions, int) or not 1 <= sessions <= MAX_SESSIONS_A_DAY:
        errors["sessions"] = [_("Between 1 and %(n)d sessions a day.") % {"n": MAX_SESSIONS_A_DAY}]
    if not isinstance(patients, int) or not 0 <= patients <= MAX_PATIENTS_A_DAY:
        errors["patients"] = [_("Between 0 and %(n)d patients a day.") % {"n": MAX_PATIENTS_A_DAY}]
    if not isinstance(on, datetime.date):
        errors["on"] = [_("Give the day.")]
    elif not posting.starts_on <= on <= posting.ends_on:
        errors["on"] = [
            _("This day is outside the posting (%(start)s to %(end)s).")
            % {"start": posting.starts_on.isoformat(), "end": posting.ends_on.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    check_not_future(on, "on")
    with transaction.atomic():
        activity = PostingActivity.objects.create(
            posting=posting,
            on=on,
            kind=kind,
            sessions=sessions,
            patients=patients,
            note=clean_text(note)[:200],
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            "outreach.activity.record",
            actor=actor,
            target=activity,
            institution=posting.host_institution_id,
            after={
                "posting": str(posting.external_id),
                "on": on,
                "kind": kind,
                "sessions": sessions,
                "patients": patients,
            },
        )
    return activity
