"""Formatting as users read it, used by every app's templates:

- ``{{ value|when }}`` shows month, day and time for this year's moments and the full date for
  older ones, so a year-old item in a worklist is not read as this year's;
- ``{{ delta|duration }}`` shows a duration as 分钟 / 小时 / 天, never ``1 day, 12:16:40.68``;
- ``{{ rate|percent }}`` shows a rate as a percentage (``80%``, not ``0.80``);
- ``{{ user|person }}`` shows a person by name and title, never by user name.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def when(value: datetime.datetime | datetime.date | None) -> str:
    if not value:
        return ""
    today = timezone.localdate()
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        fmt = "m-d H:i" if local.year == today.year else "Y-m-d"
        return dateformat.format(local, fmt)
    return dateformat.format(value, "m-d" if value.year == today.year else "Y-m-d")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def duration(value: datetime.timedelta | float | int | None) -> str:
    """A duration as a clinician reads it: ``45 分钟``, ``3 小时 20 分钟``, ``1 天 12 小时``.

    Takes a ``timedelta`` or a number of seconds; ``—`` when there is none."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else _number(value)
    if seconds is None:
        return "—"
    return format_duration(seconds)


def format_duration(seconds: float) -> str:
    """The text of :func:`duration`, for Python code (messages, exports)."""
    sign = "-" if seconds < 0 else ""
    total = abs(seconds)
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)

    def d(n: int) -> str:
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}

    def h(n: int) -> str:
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}

    def m(n: int) -> str:
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}

    if days:
        parts = [d(days)] + ([h(hours)] if hours else [])
    elif hours:
        parts = [h(hours)] + ([m(minutes)] if minutes else [])
    elif minutes:
        parts = [m(minutes)]
    else:
        parts = [ngettext("%(n)d second", "%(n)d seconds", secs) % {"n": secs}]
    return sign + " ".join(parts)


@register.filter
def percent(value: float | int | None, digits: int = 0) -> str:
    """A rate (0.8) as a percentage (``80%``); one decimal place with ``|percent:1``."""
    number = _number(value)
    if number is None:
        return "—"
    text = f"{number * 100:.{int(digits)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def person_label(person: Any) -> str:
    """A user or practitioner by name and title (``林志远 主任医师``); a user without a practitioner
    record by their display name; the user name only when nothing else is known."""
    if person is None or person == "":
        return ""
    practitioner = person if hasattr(person, "get_title_display") else None
    if practitioner is None and hasattr(person, "get_username"):
        try:
            practitioner = person.practitioner
        except ObjectDoesNotExist:
            practitioner = None
        if practitioner is None:
            return getattr(person, "display_name", "") or person.get_username()
    if practitioner is None:
        return str(person)
    title = practitioner.get_title_display() if practitioner.title else ""
    return f"{practitioner.name} {title}".strip()


@register.filter
def person(value: Any) -> str:
    return person_label(value)


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _readable(value: Any) -> str:
    """One audit value as text: moments in the local time zone, lists and objects spelled out."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return dateformat.format(moment, "Y-m-d H:i")
    if isinstance(value, list):
        return "、".join(_readable(item) for item in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{_field_label(k)}：{_readable(v)}" for k, v in value.items()) or "—"
    return str(value)


def _model_of(event: Any) -> Any:
    """The model an audit row's ``target_type`` (``referrals.referral``) names, if any."""
    label = getattr(event, "target_type", "") or ""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field_label(key: str, model: Any = None) -> str:
    """A stored key (``birth_date``) as the field's name in the current language: the target
    model's own verbose name (a relation's by the model it points to), else the key with spaces
    as a message."""
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            field = None
        if field is not None:
            name = getattr(field, "verbose_name", None)
            if not name and field.related_model is not None:
                name = field.related_model._meta.verbose_name
            if name:
                return str(name)
    spaced = str(key).replace("_", " ")
    return str(_(spaced))


@register.filter
def changes(event: Any) -> list[tuple[str, str, str]]:
    """An audit row's before/after as ``(field, before, after)`` rows a person can read."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    model = _model_of(event)
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        rows.append(
            (
                _field_label(key, model),
                _value(key, before.get(key)) if key in before else "",
                _value(key, after.get(key)) if key in after else "",
            )
        )
    return rows


def _value(key: str, value: Any) -> str:
    """A workflow state by its name in the current language (已接受, not ``accepted``)."""
    if key in {"status", "from_status", "to_status"} and isinstance(value, str):
        from lianxin.core.workflow.states import Status

        if value in Status.values:
            return str(Status(value).label)
    return _readable(value)
