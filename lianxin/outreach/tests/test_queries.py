"""What a site can do at a moment and who brings which; the sites that can do one thing; the
yearly figures and the national stationing indicator."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core.access import forget_access
from lianxin.network.actions import do_change_equipment_status, do_register_equipment
from lianxin.network.models import Capability, Equipment
from lianxin.outreach.actions import do_create_posting
from lianxin.outreach.models import Posting
from lianxin.outreach.queries import (
    Source,
    capabilities,
    capabilities_many,
    figures,
    residents,
    sites_with,
    stationed_seniors,
)
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import (
    InstitutionFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    add_member,
)
from lianxin.workforce.models import Credential, Title

pytestmark = pytest.mark.django_db


def equip(institution, code, status="in_use"):
    return Equipment.objects.create(
        institution=institution,
        capability=Capability.objects.get(code=code),
        name=code,
        status=status,
    )


def credential(practitioner, code, granted=datetime.date(2020, 1, 1), expires=None):
    return Credential.objects.create(
        practitioner=practitioner,
        capability=Capability.objects.get(code=code),
        granted_on=granted,
        expires_on=expires,
    )


@pytest.fixture
def township_with_ct(personas):
    equip(personas.township_a, "ct")
    equip(personas.township_a, "ecg")
    return personas.township_a


def post(officer, practitioner, host, start, end, kind="short_term"):
    return do_create_posting(
        actor=officer,
        practitioner=practitioner,
        host_institution=host,
        kind=kind,
        starts_on=start,
        ends_on=end,
    )


def test_a_posted_expert_brings_a_procedure_the_host_has_the_equipment_for(
    personas, officer, expert, township_with_ct, today
):
    credential(expert, "thrombolysis_stroke")
    credential(expert, "pci")  # the township has no cath lab
    before = capabilities(township_with_ct, today)
    assert "thrombolysis_stroke" not in before.codes
    posting = post(officer, expert, township_with_ct, today - days(3), today + days(3))
    now = capabilities(township_with_ct, today)
    assert {"ct", "ecg", "thrombolysis_stroke"} <= now.codes
    assert "pci" not in now.codes
    (provider,) = now.available["thrombolysis_stroke"].providers
    assert provider.source == Source.POSTED and provider.posting_id == posting.external_id
    assert provider.home_institution == personas.county_a.name
    assert now.available["thrombolysis_stroke"].brought_by_posting
    (blocked,) = now.blocked
    assert blocked.capability.code == "pci"
    assert [c.code for c in blocked.missing] == ["pci_lab"]
    # The day after the posting ends, the capability leaves with the expert.
    assert "thrombolysis_stroke" not in capabilities(township_with_ct, today + days(4)).codes


def test_own_staff_count_only_with_a_valid_credential_and_while_at_home(
    personas, officer, expert, today
):
    equip(personas.county_a, "ct")
    colleague = PractitionerFactory(institution=personas.county_a, title=Title.ATTENDING)
    credential(expert, "thrombolysis_stroke")
    credential(colleague, "thrombolysis_stroke", expires=today - days(1))
    county = capabilities(personas.county_a, today)
    assert [p.practitioner_name for p in county.available["thrombolysis_stroke"].providers] == [
        expert.name
    ]
    assert county.available["thrombolysis_stroke"].providers[0].source == Source.STAFF
    post(officer, expert, personas.township_a, today, today + days(5))
    assert "thrombolysis_stroke" not in capabilities(personas.county_a, today).codes
    # A moment given as a datetime counts by its local day.
    earlier = datetime.datetime.combine(today - days(1), datetime.time(10))
    assert "thrombolysis_stroke" in capabilities(personas.county_a, earlier).codes


def test_broken_equipment_provides_nothing(personas):
    equip(personas.township_a, "ct", status="broken")
    assert "ct" not in capabilities(personas.township_a).codes


def test_sites_with_finds_each_site_and_who_brings_it(
    personas, officer, expert, township_with_ct, today
):
    equip(personas.county_a, "ct")
    other = PractitionerFactory(institution=personas.county_a, title=Title.ATTENDING)
    credential(expert, "thrombolysis_stroke")
    credential(other, "thrombolysis_stroke")
    post(officer, expert, township_with_ct, today, today + days(1))
    found = dict(sites_with("thrombolysis_stroke", today))
    assert set(found) == {personas.county_a, township_with_ct}
    assert [p.practitioner_name for p in found[personas.county_a].providers] == [other.name]
    assert found[township_with_ct].providers[0].source == Source.POSTED
    among = dict(sites_with("thrombolysis_stroke", today, among=[township_with_ct.pk]))
    assert set(among) == {township_with_ct}
    assert sites_with("no-such-thing", today) == []


def test_capabilities_of_many_sites_take_a_constant_number_of_queries(
    personas, officer, today, django_assert_max_num_queries
):
    sites = [InstitutionFactory() for _ in range(15)]
    for site in sites:
        add_member(personas.community_a, site)
    forget_access(officer)
    for index, site in enumerate(sites):
        equip(site, "ct")
        doctor = PractitionerFactory(institution=personas.county_a, title=Title.CHIEF)
        credential(doctor, "thrombolysis_stroke")
        post(officer, doctor, site, today - days(index), today + days(1))
    ids = [site.pk for site in sites]
    with django_assert_max_num_queries(6):
        result = capabilities_many(ids, today)
    assert all("thrombolysis_stroke" in result[pk].codes for pk in ids)
    with django_assert_max_num_queries(8):
        assert len(sites_with("thrombolysis_stroke", today)) == 15


def _stationing(expert, home, host, start, end, kind="stationing"):
    # Written directly: some of these rows are what the action refuses, and the indicator must
    # not count them even so.
    return Posting.objects.create(
        practitioner=expert,
        home_institution=home,
        host_institution=host,
        kind=kind,
        starts_on=start,
        ends_on=end,
    )


def test_the_indicator_counts_long_stationings_of_senior_physicians_once_a_year(personas):
    county, township = personas.county_a, personas.township_a
    chief = PractitionerFactory(institution=county, title=Title.CHIEF)
    counted = _stationing(
        chief, county, township, datetime.date(2025, 9, 1), datetime.date(2026, 2, 28)
    )
    # Excluded: an itinerant clinic, a short stationing, a resident doctor, a nurse, a
    # township doctor sent to a village, a posting to the county hospital, a cancelled one.
    attending = PractitionerFactory(institution=county, title=Title.ATTENDING)
    _stationing(
        attending,
        county,
        township,
        datetime.date(2025, 3, 1),
        datetime.date(2025, 12, 31),
        "itinerant",
    )
    _stationing(
        PractitionerFactory(institution=county, title=Title.CHIEF),
        county,
        township,
        datetime.date(2025, 3, 1),
        datetime.date(2025, 8, 30),
    )
    _stationing(
        PractitionerFactory(institution=county, title=Title.RESIDENT),
        county,
        township,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    _stationing(
        PractitionerFactory(institution=county, title=Title.CHIEF_NURSE, profession="nurse"),
        county,
        township,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    _stationing(
        PractitionerFactory(institution=township, title=Title.CHIEF),
        township,
        personas.village_a,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    _stationing(
        PractitionerFactory(institution=personas.county_b, title=Title.CHIEF),
        personas.county_b,
        county,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    cancelled = _stationing(
        PractitionerFactory(institution=county, title=Title.CHIEF),
        county,
        township,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
    )
    cancelled.is_cancelled = True
    cancelled.save()
    ids = {county.pk, township.pk, personas.village_a.pk}
    assert [p.pk for p in stationed_seniors(ids, 2025)] == [counted.pk]
    # Spanning two years, it counts once in each.
    assert [p.pk for p in stationed_seniors(ids, 2026)] == [counted.pk]
    assert stationed_seniors(ids, 2027) == []


def test_residents_are_patients_living_in_the_division(personas):
    PatientFactory(division_code="350426100201")
    PatientFactory(division_code="350426000000")
    PatientFactory(division_code="350425100000")
    assert residents(["350426"]) == 2
    assert residents(["350426000000"]) == 2
    assert residents([]) == 0


def test_figures_add_up_per_member_and_give_the_indicator(personas, officer, expert):
    county, township = personas.county_a, personas.township_a
    for _n in range(4):
        PatientFactory(division_code="350426100201")
    posting = _stationing(
        expert, county, township, datetime.date(2025, 11, 1), datetime.date(2026, 4, 30)
    )
    _stationing(
        PractitionerFactory(institution=county),
        county,
        personas.village_a,
        datetime.date(2025, 3, 1),
        datetime.date(2025, 3, 10),
        "itinerant",
    )
    result = figures(
        2025, {county.pk, township.pk, personas.village_a.pk}, resident_prefixes=["350426"]
    )
    assert result.totals["person_times"] == 2
    assert result.totals["person_days"] == 61 + 10
    rows = {row["institution"]: row for row in result.by_member}
    assert rows[township]["stationings"] == 1 and rows[personas.village_a]["person_days"] == 10
    assert result.by_month[2]["person_times"] == 1 and result.by_month[10]["person_times"] == 1
    assert result.by_month[11]["person_days"] == 31
    # The commission's own patient registry (persona patient) lives elsewhere or not at all.
    population = residents(["350426"])
    assert result.indicator == {
        "postings": 1,
        "physicians": 1,
        "residents": population,
        "per_10k": round(10_000 / population, 2),
        "physicians_per_10k": round(10_000 / population, 2),
    }
    assert posting.pk


def test_the_indicator_counts_postings_and_also_gives_the_physicians_once(personas):
    """Two qualifying stationings of one physician in a year: two postings (the issue's rule),
    one person (派驻人数, the published wording)."""
    county, township = personas.county_a, personas.township_a
    chief = PractitionerFactory(institution=county, title=Title.CHIEF)
    _stationing(chief, county, township, datetime.date(2025, 1, 1), datetime.date(2025, 6, 30))
    _stationing(
        chief, county, personas.village_a, datetime.date(2025, 7, 1), datetime.date(2025, 12, 31)
    )
    PatientFactory(division_code="350426100201")
    result = figures(
        2025, {county.pk, township.pk, personas.village_a.pk}, resident_prefixes=["350426"]
    )
    assert result.indicator["postings"] == 2 and result.indicator["physicians"] == 1
    population = result.indicator["residents"]
    assert result.indicator["physicians_per_10k"] == round(10_000 / population, 2)


def test_a_ct_broken_yesterday_and_repaired_today_is_missing_only_yesterday(
    personas, officer, expert, time_machine, django_assert_max_num_queries
):
    """The moment asked about decides: yesterday the broken CT blocked thrombolysis at the
    township although the expert was posted there; now it is repaired and both are back."""
    now = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
    today = now.date()
    yesterday = today - days(1)
    site = personas.township_a
    time_machine.move_to(now - days(5), tick=False)
    ct = do_register_equipment(
        actor=personas.admin,
        institution=site,
        capability=Capability.objects.get(code="ct"),
        name="CT",
    )
    credential(expert, "thrombolysis_stroke")
    post(officer, expert, site, today - days(3), today + days(3))
    time_machine.move_to(now - days(1) - datetime.timedelta(hours=2), tick=False)
    do_change_equipment_status(actor=personas.admin, equipment=ct, status="broken")
    time_machine.move_to(now - datetime.timedelta(hours=3), tick=False)
    do_change_equipment_status(actor=personas.admin, equipment=ct, status="in_use")
    time_machine.move_to(now, tick=False)

    then = now - days(1)
    with django_assert_max_num_queries(6):
        past = capabilities(site, then)
    assert "ct" not in past.codes and "thrombolysis_stroke" not in past.codes
    assert [b.capability.code for b in past.blocked] == ["thrombolysis_stroke"]
    assert "ct" not in capabilities(site, yesterday).codes  # the end of yesterday
    assert {"ct", "thrombolysis_stroke"} <= capabilities(site).codes
    assert {"ct", "thrombolysis_stroke"} <= capabilities(site, today).codes
    # Before it broke, three days ago, it was there.
    assert "ct" in capabilities(site, now - days(3)).codes
    with django_assert_max_num_queries(8):
        assert sites_with("thrombolysis_stroke", then) == []
    assert [s for s, _ in sites_with("thrombolysis_stroke", now)] == [site]


def test_capabilities_of_many_sites_at_a_past_moment_take_the_same_queries(
    personas, django_assert_max_num_queries
):
    registrar = UserFactory(is_superuser=True)
    sites = [InstitutionFactory() for _ in range(10)]
    for site in sites:
        add_member(personas.community_a, site)
        do_register_equipment(
            actor=registrar,
            institution=site,
            capability=Capability.objects.get(code="ct"),
            name="CT",
            installed_on=datetime.date(2020, 1, 1),
        )
        doctor = PractitionerFactory(institution=personas.county_a, title=Title.CHIEF)
        credential(doctor, "thrombolysis_stroke")
        Posting.objects.create(
            practitioner=doctor,
            home_institution=personas.county_a,
            host_institution=site,
            kind="short_term",
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 1, 31),
        )
    ids = [site.pk for site in sites]
    with django_assert_max_num_queries(6):
        result = capabilities_many(ids, datetime.datetime(2025, 1, 15, 9, 0))
    assert all({"ct", "thrombolysis_stroke"} <= result[pk].codes for pk in ids)
    with django_assert_max_num_queries(8):
        assert len(sites_with("thrombolysis_stroke", datetime.date(2025, 1, 15))) == 10
    # Before the CTs were installed the procedure was blocked everywhere.
    early = capabilities_many(ids, datetime.date(2019, 12, 31))
    assert not any(early[pk].codes for pk in ids)
