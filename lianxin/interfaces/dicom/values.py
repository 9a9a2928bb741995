"""Turning Lianxin's values into DICOM ones and back: person names (Chinese and pinyin as PN
component groups), dates and times in Asia/Shanghai."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from pypinyin import Style, lazy_pinyin

# PS3.5 6.2 / H.3: a PN value has up to three component groups separated by "=": alphabetic,
# ideographic, phonetic. Chinese sites put the pinyin in the first and the characters in the
# second (PS3.5 Annex J, "Chinese character set"); "ISO_IR 192" (UTF-8) carries both.
CHARACTER_SET = "ISO_IR 192"


def pinyin_name(name: str) -> str:
    """张三丰 → ZHANG^SANFENG (family name first, as PN components)."""
    name = (name or "").strip()
    if not name:
        return ""
    family, given = name[0], name[1:]
    parts = ["".join(lazy_pinyin(family, style=Style.NORMAL)).upper()]
    if given:
        parts.append("".join(lazy_pinyin(given, style=Style.NORMAL)).upper())
    return "^".join(parts)


def person_name(name: str) -> str:
    """The PN value for a Chinese name: ``ZHANG^SANFENG=张^三丰``."""
    name = (name or "").strip()
    if not name:
        return ""
    ideographic = name[0] + ("^" + name[1:] if len(name) > 1 else "")
    return f"{pinyin_name(name)}={ideographic}"


def person_name_text(value: Any) -> str:
    """A readable name from a received PN: the ideographic group if there is one."""
    if value is None:
        return ""
    ideographic = getattr(value, "ideographic", "") or ""
    text = ideographic or getattr(value, "alphabetic", "") or str(value)
    return (
        str(text).replace("^", "").strip()[:200]
        if ideographic
        else str(text).replace("^", " ").strip()[:200]
    )


def dicom_date(value: Any) -> datetime.date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def da(day: datetime.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def local(moment: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.localtime(moment) if moment else None


def da_tm(moment: datetime.datetime | None) -> tuple[str, str]:
    """A moment as (DA, TM) in local time (Asia/Shanghai)."""
    moment = local(moment)
    if moment is None:
        return "", ""
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M%S")


def date_range(value: str) -> tuple[datetime.date | None, datetime.date | None] | None:
    """A DA matching key: ``20261203``, ``20261201-20261203``, ``-20261203``, ``20261201-``
    (PS3.4 C.2.2.2.5). ``None`` for an empty key (match all); ``ValueError`` for nonsense."""
    text = (value or "").strip()
    if not text:
        return None
    if "-" in text:
        start_text, _sep, end_text = text.partition("-")
    else:
        start_text = end_text = text
    start = dicom_date(start_text) if start_text else None
    end = dicom_date(end_text) if end_text else None
    if (start_text and start is None) or (end_text and end is None):
        raise ValueError(f"not a DICOM date range: {text!r}")
    return start, end


def wildcard_regex(value: str) -> str | None:
    """A matching key with ``*`` and ``?`` as a regular expression (PS3.4 C.2.2.2.4), or
    ``None`` for a plain value."""
    import re

    if "*" not in value and "?" not in value:
        return None
    out = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in value)
    return f"^{out}$"
