"""Formatting for lists: ``{{ value|when }}`` shows month, day and time for this year's moments
and the full date for older ones, so a year-old item in a worklist is not read as this year's."""

from __future__ import annotations

import datetime

from django import template
from django.utils import dateformat, timezone

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
