"""Rules for patient demographics, as data with their sources."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Mobile numbers: 11 digits, 1 then 3-9
# (工业和信息化部《电信网编号计划》2017, 移动业务号段 13x-19x).
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Fixed lines: a trunk prefix 0 and a 2-3 digit area code, then a 7-8 digit local number, optionally
# an extension (《电信网编号计划》长途区号). Area codes 010 and 02x have two digits after the 0.
LANDLINE_RE = re.compile(r"^(0(?:1\d|2\d|[3-9]\d{2}))-?(\d{7,8})(?:-(\d{1,6}))?$")

# How long a break-glass access lasts: long enough for one emergency episode, short enough that
# it does not turn into standing access (our policy; the reason and the user are audited).
BREAK_GLASS_DURATION = timedelta(hours=4)

# Medical record numbers generated at registration: "<institution code>-000123".
MRN_DIGITS = 6


def normalise_phone(raw: str | None) -> str:
    """A Chinese mobile (``13912345678``) or fixed line (``0598-6123456``); ``""`` when empty."""
    text = "".join((raw or "").split())
    if not text:
        return ""
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :].lstrip("-")
            break
    if MOBILE_RE.match(text):
        return text
    match = LANDLINE_RE.match(text)
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValidationError(
        _(
            "Enter a mobile number (11 digits starting with 13-19) or a landline with its area "
            "code, e.g. 0598-6123456."
        ),
        code="phone",
    )
