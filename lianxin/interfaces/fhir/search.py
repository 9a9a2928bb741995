"""Parsing FHIR search values: tokens, dates with prefixes, references, ids and paging.

Every parser raises ``SearchError`` for input it cannot read, which the view answers with a 400
OperationOutcome; nothing a client sends reaches the database unparsed.
"""

from __future__ import annotations

import calendar
import datetime
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import QueryDict

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Far beyond any real result; keeps OFFSET inside what every database accepts.
MAX_OFFSET = 10_000_000
# Parameters that steer the result rather than filter it.
CONTROL_PARAMS = frozenset({"_count", "_offset", "_format"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATE_PREFIXES = ("eq", "ge", "le", "gt", "lt")


class SearchError(ValueError):
    """A search the server cannot run as asked (HTTP 400)."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass
class SearchRequest:
    criteria: list[tuple[str, str | None, list[str]]]
    offset: int
    count: int
    ignored: list[str]


def _int(value: str, name: str, *, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SearchError(f"{name} must be a whole number.") from None
    if number < minimum:
        raise SearchError(f"{name} must be at least {minimum}.")
    return number


def parse_query(query: QueryDict, known: Iterable[str], *, lenient: bool) -> SearchRequest:
    """Split a query string into criteria and paging; unknown parameters are a 400 unless the
    client asked for lenient handling (``Prefer: handling=lenient``)."""
    known = set(known)
    criteria: list[tuple[str, str | None, list[str]]] = []
    ignored: list[str] = []
    offset, count = 0, DEFAULT_COUNT
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            # PostgreSQL cannot compare text containing NUL; no real value holds one.
            raise SearchError("Search values must not contain NUL characters.")
        name, _, modifier = key.partition(":")
        if key in CONTROL_PARAMS:
            if key == "_count":
                count = min(_int(values[-1], "_count", minimum=0), MAX_COUNT)
            elif key == "_offset":
                offset = _int(values[-1], "_offset", minimum=0)
                if offset > MAX_OFFSET:
                    raise SearchError(f"_offset must be at most {MAX_OFFSET}.")
            continue
        if not _NAME.match(name) or name not in known:
            if lenient:
                ignored.append(key)
                continue
            raise SearchError(f"Unknown search parameter: {key}", code="not-supported")
        for value in values:
            alternatives = [part for part in _split_or(value) if part != ""]
            if not alternatives:
                raise SearchError(f"Search parameter {key} has no value.")
            criteria.append((name, modifier or None, alternatives))
    return SearchRequest(criteria=criteria, offset=offset, count=count, ignored=ignored)


def _split_or(value: str) -> list[str]:
    r"""Commas separate alternatives; ``\,`` is a literal comma (FHIR escaping)."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def parse_uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise SearchError(f"{name}: {value!r} is not a resource id (a UUID).") from None


def parse_ids(values: list[str], name: str) -> list[uuid.UUID]:
    return [parse_uuid(value, name) for value in values]


def parse_reference(value: str, name: str, resource_types: Iterable[str]) -> uuid.UUID:
    """``<id>``, ``<Type>/<id>`` or an absolute URL ending in ``<Type>/<id>``."""
    allowed = tuple(resource_types)
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2:
        if parts[-2] not in allowed:
            raise SearchError(f"{name} refers to {', '.join(allowed)}, not {parts[-2]}.")
        return parse_uuid(parts[-1], name)
    return parse_uuid(value, name)


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``|code`` → ("", code); ``code`` → (None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


@dataclass(frozen=True)
class DateRange:
    prefix: str
    start: datetime.date
    end: datetime.date  # inclusive


def parse_date(value: str, name: str) -> DateRange:
    """A date of year, month or day precision with an optional prefix (eq, ge, le, gt, lt)."""
    prefix = "eq"
    if value[:2].isalpha():
        prefix, value = value[:2], value[2:]
        if prefix not in DATE_PREFIXES:
            raise SearchError(f"{name}: prefix {prefix!r} is not supported ({DATE_PREFIXES}).")
    match = _DATE.match(value)
    if not match:
        raise SearchError(f"{name}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD).")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if day is not None:
            start = end = datetime.date(year, month, day)
        elif month is not None:
            start = datetime.date(year, month, 1)
            end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        else:
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        raise SearchError(f"{name}: {value!r} is not a calendar date.") from None
    return DateRange(prefix, start, end)


def date_lookup(field: str, value: str, name: str) -> dict[str, datetime.date]:
    """The lookup that matches a date field against one prefixed search value."""
    rng = parse_date(value, name)
    if rng.prefix == "eq":
        return {f"{field}__range": (rng.start, rng.end)}
    return {
        "ge": {f"{field}__gte": rng.start},
        "le": {f"{field}__lte": rng.end},
        "gt": {f"{field}__gt": rng.end},
        "lt": {f"{field}__lt": rng.start},
    }[rng.prefix]
