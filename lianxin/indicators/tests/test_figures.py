"""Each computed indicator on a small hand-computed data set: numerator, denominator, value."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from lianxin.indicators.compute import FigureStatus, compute
from lianxin.indicators.periods import Period
from lianxin.indicators.queries import resolve_scope
from lianxin.indicators.rules import EDITIONS
from lianxin.indicators.tests.helpers import lead_admin, load
from lianxin.network.models import Tier
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import PostingKind
from lianxin.testing.factories import PractitionerFactory
from lianxin.workforce.models import Profession, Title

pytestmark = pytest.mark.django_db
EDITION = EDITIONS["2024"]
JAN = Period("month", 2025, 1)
YEAR = Period("year", 2025)


@pytest.fixture
def county(personas):
    load(personas, lead_admin(personas))
    return resolve_scope(personas.commission, personas.community_a.external_id)


def figure(number: int, period: Period, scope):
    return compute(EDITION.indicator(number), period, scope, use_cache=False)


def test_the_primary_share_of_visits_counts_township_and_village_visits(county):
    f = figure(7, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (Decimal(400), Decimal(1000), Decimal("40.00"))
    assert f.status == FigureStatus.OK
    assert f.sources[0].rows == 5  # the five outpatient rows; the admission row is not a visit


def test_the_tcm_share_counts_tcm_visits_everywhere(county):
    f = figure(12, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (Decimal(150), Decimal(1000), Decimal("15.00"))


def test_the_fund_share_in_the_county_leaves_pharmacies_out(county):
    f = figure(8, JAN, county)
    assert (f.numerator, f.denominator) == (Decimal(560000), Decimal(820000))
    assert f.value == Decimal("68.29")


def test_the_primary_share_of_the_fund_is_over_in_county_institutions(county):
    f = figure(9, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (
        Decimal(20000),
        Decimal(560000),
        Decimal("3.57"),
    )


def test_inpatient_cost_per_admission_in_the_county(county):
    f = figure(10, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (
        Decimal(920000),
        Decimal(100),
        Decimal("9200.00"),
    )
    assert any("year earlier" in n for n in f.notes)  # no 2024 data, so no growth rate


def test_the_in_county_share_of_admissions(county):
    f = figure(11, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (Decimal(100), Decimal(125), Decimal("80.00"))


def test_the_income_ratio_of_primary_staff_to_the_lead_hospital(county):
    f = figure(6, YEAR, county)
    assert (f.numerator, f.denominator, f.value) == (
        Decimal(90000),
        Decimal(150000),
        Decimal("0.60"),
    )


def test_premature_mortality_follows_the_who_method(county):
    # Each band: 10 deaths among 1,000 → M = 0.01, q = 0.05 / 1.025; eight bands.
    q = Decimal("0.05") / Decimal("1.025")
    expected = (1 - (1 - q) ** 8) * 100
    f = figure(14, YEAR, county)
    assert f.value == expected.quantize(Decimal("0.01"))
    assert f.value == Decimal("32.97")
    assert f.numerator == Decimal(80)  # "other" causes are not counted


def test_a_month_without_data_is_named_and_the_figure_marked_incomplete(county):
    f = figure(7, Period("quarter", 2025, 1), county)
    assert f.status == FigureStatus.INCOMPLETE
    assert f.missing_months == ["2025-02", "2025-03"]
    assert f.value == Decimal("40.00")


def test_a_period_without_any_data_has_no_value(county):
    f = figure(7, Period("month", 2024, 6), county)
    assert f.status == FigureStatus.NO_DATA and f.value is None


def test_a_yearly_indicator_is_not_computed_for_a_month(county):
    f = figure(6, JAN, county)
    assert f.status == FigureStatus.NOT_APPLICABLE and f.value is None


def test_a_township_scope_counts_the_township_and_its_villages(personas, county):
    scope = resolve_scope(
        personas.commission, personas.community_a.external_id, personas.township_a.external_id
    )
    assert scope.institution_ids == {personas.township_a.pk, personas.village_a.pk}
    f = figure(7, JAN, scope)
    assert (f.numerator, f.denominator) == (Decimal(400), Decimal(400))


def test_stationed_physicians_per_10000_residents(personas, county):
    expert = PractitionerFactory(
        name="李主治",
        institution=personas.county_a,
        title=Title.ATTENDING,
        profession=Profession.PHYSICIAN,
    )
    for host, start, end in (
        (personas.township_a, datetime.date(2025, 3, 1), datetime.date(2025, 9, 30)),
        (personas.township_a, datetime.date(2025, 10, 1), datetime.date(2026, 4, 30)),
    ):
        Posting.objects.create(
            practitioner=expert,
            home_institution=personas.county_a,
            host_institution=host,
            kind=PostingKind.STATIONING,
            starts_on=start,
            ends_on=end,
        )
    f = figure(4, YEAR, county)
    # One physician (two stationings count once) per 20,000 imported residents.
    assert (f.numerator, f.value) == (Decimal(1), Decimal("0.50"))
    assert ("Stationings counted (person-times)", 2) in f.components


def test_village_ecg_coverage_counts_villages_that_sent_a_record_in_the_last_30_days(
    personas, county
):
    from lianxin.indicators.tests.records import ecg_order

    with time_machine.travel(datetime.datetime(2025, 2, 10, tzinfo=datetime.UTC)):
        ecg_order(personas, performed=datetime.datetime(2025, 1, 20, 9, tzinfo=datetime.UTC))
    f = figure(5, JAN, county)
    assert (f.numerator, f.denominator, f.value) == (Decimal(1), Decimal(1), Decimal("100.00"))
    f = figure(5, Period("month", 2025, 3), county)
    assert f.numerator == Decimal(0)  # nothing sent in March


def test_the_chronic_admission_rate_reads_the_family_doctor_teams(county):
    from django.apps import apps

    f = figure(13, YEAR, county)
    if apps.is_installed("lianxin.primarycare"):
        # No team manages anyone in this county yet: nothing to divide by.
        assert f.denominator == Decimal(0) and f.value is None
        assert f.sources and f.sources[0].model == "primarycare.FollowUpPlan"
    else:
        assert f.value is None and f.notes
    assert figure(13, JAN, county).status == FigureStatus.NOT_APPLICABLE


def test_every_computed_indicator_names_a_function_and_every_name_is_unique():
    from lianxin.indicators.compute import FUNCTIONS

    names = [i.name for i in EDITION.indicators]
    assert len(EDITION.indicators) == 14 and len(set(names)) == 14
    assert {a.code for a in EDITION.aspects} == {i.aspect for i in EDITION.indicators}
    for indicator in EDITION.indicators:
        assert indicator.citation
        if indicator.status != "qualitative":
            assert indicator.compute in FUNCTIONS
            assert indicator.numerator and indicator.denominator
            assert indicator.numerator_code and indicator.denominator_code
    assert EDITION.indicator(7).name == "县域内基层医疗卫生机构诊疗人次数占比"
    assert Tier.VILLAGE  # the catalogue's village rules use the registry's tiers
