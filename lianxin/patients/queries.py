"""Reads of the master patient index. Every search runs on a queryset already scoped with
``Patient.objects.visible_to(user)``; nothing here widens what a user may see."""

from __future__ import annotations

import contextlib
import re

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from lianxin.core.idnumber import parse_id_number
from lianxin.patients.models import Patient
from lianxin.patients.rules import normalise_phone

PHONE_PREFIX_MIN = 7  # fewer digits match too many people to be a search by phone
_ID_LIKE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
_PHONE_LIKE = re.compile(r"^\+?[\d\- ]+$")
_INITIALS_LIKE = re.compile(r"^[A-Za-z]+$")


def normalise_id_number(text: str) -> str:
    """The stored form of an ID number someone typed (15 digits upgraded); the text upper-cased
    when it is not a valid number, so that an exact search finds nothing instead of failing."""
    try:
        return parse_id_number(text).value
    except ValidationError:
        return text.strip().upper()


def search_kind(q: str) -> str:
    """What kind of search the text is (for the audit log, which never keeps the text)."""
    text = " ".join((q or "").split())
    compact = text.replace(" ", "")
    if not text:
        return ""
    if _ID_LIKE.match(compact):
        return "id_number"
    if _PHONE_LIKE.match(text):
        return "phone"
    if _INITIALS_LIKE.match(compact):
        return "initials"
    return "name"


def looks_like_id_number(q: str) -> bool:
    """Text that is (or could be) a full resident ID number: it must not travel in a URL."""
    return search_kind(q) == "id_number"


def search_patients(queryset: QuerySet[Patient], q: str) -> QuerySet[Patient]:
    """Filter a scoped patient queryset by what a registration desk types into one box: a name
    (contains), pinyin initials (prefix), an ID number (exact) or a phone (exact, or a prefix of
    at least seven digits)."""
    text = " ".join((q or "").split())
    # A merged record is a pointer to its survivor, not a patient to pick.
    queryset = queryset.filter(merged_into__isnull=True)
    if not text:
        return queryset
    compact = text.replace(" ", "")
    if _ID_LIKE.match(compact):
        return queryset.filter(id_number=normalise_id_number(compact))
    if _PHONE_LIKE.match(text):
        digits = re.sub(r"\D", "", compact)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        condition = Q(phone=digits)
        with contextlib.suppress(ValidationError):
            condition |= Q(phone=normalise_phone(compact))
        if len(digits) >= PHONE_PREFIX_MIN:
            condition |= Q(phone__startswith=digits)
            # Fixed lines are stored with a hyphen after the area code.
            for area in (3, 4):
                if digits.startswith("0") and len(digits) > area:
                    condition |= Q(phone__startswith=f"{digits[:area]}-{digits[area:]}")
        return queryset.filter(condition)
    if _INITIALS_LIKE.match(compact):
        return queryset.filter(
            Q(name_initials__startswith=compact.upper()) | Q(name__icontains=text)
        )
    return queryset.filter(name__icontains=text)


def find_for_break_glass(id_number: str) -> Patient | None:
    """Emergency access finds a patient outside the user's scope by exact ID number only, so that
    it cannot be used to browse the index."""
    try:
        value = parse_id_number(id_number).value
    except ValidationError:
        return None
    return Patient.objects.filter(id_number=value).first()
