"""What a computed figure is, and the scope it covers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.db.models import Max, Q

from lianxin.indicators.periods import Period
from lianxin.indicators.rules import Indicator
from lianxin.network.models import PRIMARY_TIERS, Community, Institution, Tier

HUNDRED = Decimal(100)


class FigureStatus:
    OK = "ok"
    INCOMPLETE = "incomplete"  # computed, but some months of the period had no data
    NO_DATA = "no_data"
    NOT_APPLICABLE = "not_applicable"  # the indicator is not defined for this period or scope
    QUALITATIVE = "qualitative"


@dataclass(frozen=True)
class Scope:
    """The institutions a figure covers: a community (its institutions, nested communities
    included), a township with its villages, or one institution."""

    kind: str  # community, township, institution
    community: Community
    institution: Institution | None
    institution_ids: frozenset[int]
    tiers: dict[int, str] = field(default_factory=dict, compare=False, hash=False)
    # The community and the county communities inside it (an alliance's), for the feeds.
    community_ids: frozenset[int] = frozenset()

    @property
    def key(self) -> str:
        target = self.institution.external_id if self.institution else self.community.external_id
        return f"{self.kind}:{target}"

    @property
    def label(self) -> str:
        return self.institution.name if self.institution else self.community.name

    @property
    def division_code(self) -> str:
        return self.community.division_code

    def primary_ids(self) -> set[int]:
        return {pk for pk, tier in self.tiers.items() if tier in PRIMARY_TIERS}

    def village_ids(self) -> set[int]:
        return {pk for pk, tier in self.tiers.items() if tier == Tier.VILLAGE}


@dataclass
class Source:
    """One body of data behind a figure: how many rows, from which imports, updated when."""

    label: str
    model: str
    rows: int
    imports: list[str] = field(default_factory=list)  # public ids of the feed imports
    updated_at: datetime.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "model": self.model,
            "rows": self.rows,
            "imports": self.imports,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass
class Figure:
    indicator: Indicator
    period: Period
    scope: Scope
    status: str
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    components: list[tuple[str, Any]] = field(default_factory=list)
    missing_months: list[str] = field(default_factory=list)
    computed_at: datetime.datetime | None = None

    @property
    def edition(self) -> str:
        return self.indicator.edition

    @property
    def updated_at(self) -> datetime.datetime | None:
        stamps = [s.updated_at for s in self.sources if s.updated_at]
        return max(stamps) if stamps else None

    def as_dict(self) -> dict[str, Any]:
        def num(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "indicator": self.indicator.code,
            "edition": self.indicator.edition,
            "name": self.indicator.name,
            "period": str(self.period),
            "scope": self.scope.key,
            "scope_name": self.scope.label,
            "status": self.status,
            "value": num(self.value),
            "unit": "%" if self.indicator.percent else self.indicator.unit,
            "numerator": num(self.numerator),
            "denominator": num(self.denominator),
            "components": [[label, str(value)] for label, value in self.components],
            "missing_months": self.missing_months,
            "notes": self.notes,
            "sources": [s.as_dict() for s in self.sources],
            "data_updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def ratio(
    numerator: Decimal | int | None,
    denominator: Decimal | int | None,
    *,
    percent: bool,
    places: int = 2,
) -> Decimal | None:
    """numerator ÷ denominator (× 100 for a percentage), rounded half up; None without data."""
    if numerator is None or not denominator:
        return None
    value = Decimal(numerator) / Decimal(denominator)
    if percent:
        value *= HUNDRED
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def app_source(label: str, queryset: Any, rows: int | None = None) -> Source:
    """A source in Lianxin's own records: the row count and when the newest row changed."""
    model = queryset.model
    stamp_field = "updated_at" if any(f.name == "updated_at" for f in model._meta.fields) else None
    updated = queryset.aggregate(at=Max(stamp_field))["at"] if stamp_field else None
    return Source(
        label=label,
        model=model._meta.label,
        rows=queryset.count() if rows is None else rows,
        updated_at=updated,
    )


def installed(app_label: str) -> bool:
    return apps.is_installed(f"lianxin.{app_label}")


def tier_filter(scope: Scope, *, primary: bool | None = None) -> Q:
    ids = scope.primary_ids() if primary else scope.institution_ids
    return Q(institution_id__in=ids)
