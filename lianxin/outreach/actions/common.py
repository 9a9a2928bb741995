"""Pieces the outreach actions share: permission gates and date checks."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.errors import NotAllowed
from lianxin.core.permissions import Perm
from lianxin.network.models import Department, Institution
from lianxin.outreach.rules import MAX_BACKDATE_DAYS


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clipped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def require_outreach(actor: Any, *institutions: Institution | int | None) -> None:
    """The actor manages outreach at one of the institutions (the sending or the receiving side)."""
    access = access_for(actor)
    if access.is_superuser:
        return
    if not any(
        inst is not None and access.has_perm(Perm.MANAGE_OUTREACH, inst) for inst in institutions
    ):
        raise NotAllowed(_("Your role does not manage outreach for these institutions."))


def check_reachable(actor: Any, institution: Institution, field: str) -> None:
    access = access_for(actor)
    if not access.is_superuser and institution.pk not in access.registry_institution_ids:
        raise ValidationError({field: [_("This institution is not in your medical community.")]})
    if not institution.is_active:
        raise ValidationError({field: [_("This institution is not active.")]})


def check_department(department: Department | None, institution: Institution, field: str) -> None:
    if department is not None and department.institution_id != institution.pk:
        raise ValidationError({field: [_("This department belongs to another institution.")]})


def check_period(starts_on: Any, ends_on: Any) -> None:
    if not isinstance(starts_on, datetime.date) or not isinstance(ends_on, datetime.date):
        raise ValidationError({"starts_on": [_("Give the first and the last day.")]})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [_("The last day comes before the first.")]})


def check_not_future(day: datetime.date, field: str) -> None:
    today = timezone.localdate()
    if day > today:
        raise ValidationError({field: [_("This day is still to come.")]})
    if (today - day).days > MAX_BACKDATE_DAYS:
        raise ValidationError({field: [_("This day is too far back to enter now.")]})


def clean_text(value: str | None) -> str:
    return (value or "").strip()
