"""Reporting periods: a month (``2026-07``), a quarter (``2026Q3``) or a year (``2026``).

A figure is always computed over exactly one period; a period knows its months, so a figure can
say which months had data and which did not instead of mixing periods silently.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER_RE = re.compile(r"^(\d{4})[Qq]([1-4])$")
YEAR_RE = re.compile(r"^(\d{4})$")
MIN_YEAR, MAX_YEAR = 2000, 2100


class PeriodError(ValueError):
    """The text does not name a period."""


@dataclass(frozen=True, order=True)
class Period:
    kind: str  # month, quarter, year
    year: int
    index: int = 1  # month 1–12, quarter 1–4, 1 for a year

    @property
    def first(self) -> datetime.date:
        if self.kind == "month":
            return datetime.date(self.year, self.index, 1)
        if self.kind == "quarter":
            return datetime.date(self.year, 3 * self.index - 2, 1)
        return datetime.date(self.year, 1, 1)

    @property
    def last(self) -> datetime.date:
        if self.kind == "month":
            end_month = self.index
        elif self.kind == "quarter":
            end_month = 3 * self.index
        else:
            end_month = 12
        if end_month == 12:
            return datetime.date(self.year, 12, 31)
        return datetime.date(self.year, end_month + 1, 1) - datetime.timedelta(days=1)

    def months(self) -> list[datetime.date]:
        """The first day of each month in the period."""
        out, day = [], self.first
        while day <= self.last:
            out.append(day)
            day = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return out

    def previous_year(self) -> Period:
        """The same period a year earlier (for growth rates)."""
        return Period(self.kind, self.year - 1, self.index)

    def previous(self) -> Period:
        if self.kind == "month":
            return Period("month", self.year - (self.index == 1), (self.index - 2) % 12 + 1)
        if self.kind == "quarter":
            return Period("quarter", self.year - (self.index == 1), (self.index - 2) % 4 + 1)
        return Period("year", self.year - 1)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.year, "month": self.index}
        if self.kind == "quarter":
            return _("%(year)d Q%(quarter)d") % {"year": self.year, "quarter": self.index}
        return _("%(year)d") % {"year": self.year}


def parse_period(text: str | None, *, default: Period | None = None) -> Period:
    """``2026``, ``2026Q3`` or ``2026-07``; ``PeriodError`` with a message otherwise."""
    raw = (text or "").strip()
    if not raw:
        if default is None:
            raise PeriodError(_("Give a period: a year (2026), a quarter (2026Q3) or a month."))
        return default
    if match := YEAR_RE.match(raw):
        period = Period("year", int(match[1]))
    elif match := QUARTER_RE.match(raw):
        period = Period("quarter", int(match[1]), int(match[2]))
    elif (match := MONTH_RE.match(raw)) and 1 <= int(match[2]) <= 12:
        period = Period("month", int(match[1]), int(match[2]))
    else:
        raise PeriodError(
            _(
                "%(text)s is not a period: give a year (2026), a quarter (2026Q3) "
                "or a month (2026-07)."
            )
            % {"text": raw[:20]}
        )
    if not MIN_YEAR <= period.year <= MAX_YEAR:
        raise PeriodError(_("Give a year between 2000 and 2100."))
    return period


def trend(period: Period, count: int) -> list[Period]:
    """``count`` periods of the same kind ending with ``period``, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]
