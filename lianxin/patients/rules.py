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

# Registering someone whose ID number is already in the index tells the desk that the number is
# registered. Each such look-up is audited, and one user may make at most this many in the window
# (our policy: a busy registration desk stays well below it; probing the index for who is
# registered does not). Bulk imports are audited but not throttled: they need their own permission.
ID_LOOKUP_LIMIT = 60
ID_LOOKUP_WINDOW = timedelta(hours=1)

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


# 无名氏: the name a temporary identity carries until the person is known (the usual wording of
# hospital emergency registration, e.g. 《急诊科建设与管理指南（试行）》卫医政发〔2009〕50号 on
# treating unidentified patients first); a sequence number follows it.
UNIDENTIFIED_NAME = "无名氏"
ESTIMATED_AGE_MAX = 120

# Candidate matching (Fellegi–Sunter). For each field, each level of agreement has a weight:
# log2(m/u), where m is how often a true duplicate pair shows that level and u how often two
# different residents do. The m values come from the error rates seen in registration data (a
# typed ID number is wrong in about 1 record in 100, a birth date in 1 in 50, a phone changes
# in years); the u values from the demo county's own distribution (1 resident in ~30,000 shares
# a birth date and sex, 1 in ~2,000 a name's sound). They are our estimates, checked by
# ``bench/mpi_matching.py``; the batch linkage trains its own by expectation–maximisation.
MATCH_WEIGHTS: dict[str, dict[str, float]] = {
    "id_number": {
        "exact": 16.0,  # GB 11643-1999 numbers are unique
        "near": 9.0,  # one digit wrong or two neighbours swapped
        "different": -9.0,
    },
    "name": {
        "exact": 7.0,
        "pinyin": 6.0,  # same reading: homophone, traditional form or pinyin-only
        "sound": 4.5,  # similar sounds (模糊音)
        "similar": 2.5,  # one character or letter different
        "different": -4.0,
    },
    "sex": {"exact": 1.0, "different": -6.0},
    "birth_date": {
        "exact": 8.0,
        "swapped": 5.0,  # day and month exchanged
        "typo": 4.0,  # one digit of the date wrong
        "near": 1.0,  # within a year (an estimated birth date)
        "different": -6.0,
    },
    "phone": {"exact": 6.0, "different": -1.0},
    "village": {"exact": 2.0, "different": -0.5},
    "record_number": {"exact": 12.0},
}
# Pairs at or above this weight are offered at registration and go to the review queue.
MATCH_REVIEW_WEIGHT = 8.0
# How often a pair found by the blocking queries (same name sound, neighbouring ID number, birth
# date, phone or record number) is one person before any other evidence (the prior λ, measured on
# the bench's evaluation set): it turns a weight into a probability.
MATCH_PRIOR = 1 / 200
# At most this many patients fetched by the blocking query before scoring: a safety cap (the
# blocks of a registration hold a few dozen patients among 300,000, ``bench/mpi_matching.py``).
MATCH_BLOCK_LIMIT = 2000
