"""The demo county gives every computed indicator a value, and the qualitative ones evidence."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core.models import User
from lianxin.demo.context import DemoOptions
from lianxin.indicators import queries
from lianxin.indicators.compute.base import FigureStatus
from lianxin.indicators.models import Evidence
from lianxin.indicators.periods import Period
from lianxin.indicators.rules import CURRENT_EDITION, EDITIONS, Status
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
county = module_county(
    DemoOptions(residents=400, villages=22, seed=7, today=TODAY), run_on_commit=True
)


def _figures(county):
    commission = User.objects.get(username="commission")
    scope = queries.resolve_scope(commission, county.county_community.external_id)
    board = queries.dashboard(
        scope, Period("year", TODAY.year - 1), EDITIONS[CURRENT_EDITION], with_trend=False
    )
    return {
        row.figure.indicator.number: row.figure for _aspect, rows in board.aspects for row in rows
    }


def test_every_computed_indicator_of_last_year_has_a_value(county):
    figures = _figures(county)
    assert len(figures) == 14
    missing = {
        n: (f.status, f.notes)
        for n, f in figures.items()
        if f.indicator.status != Status.QUALITATIVE
        and (f.status != FigureStatus.OK or f.value is None)
    }
    assert not missing


def test_village_clinics_send_ecgs_so_the_coverage_is_neither_none_nor_all(county):
    coverage = next(
        f for f in _figures(county).values() if f.indicator.compute == "imaging_ecg_service"
    )
    assert 0 < coverage.numerator < coverage.denominator == len(county.villages)


def test_each_qualitative_indicator_has_example_evidence(county):
    qualitative = [
        i for i in EDITIONS[CURRENT_EDITION].indicators if i.status == Status.QUALITATIVE
    ]
    assert qualitative
    for indicator in qualitative:
        assert Evidence.objects.filter(
            community=county.county_community, indicator=indicator.code
        ).exists(), indicator.code
