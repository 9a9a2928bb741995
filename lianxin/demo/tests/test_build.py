"""The demo county: tiers, communities, residents, accounts and the step registry."""

from __future__ import annotations

import datetime

import pytest

from lianxin.core import audit
from lianxin.core.idnumber import parse_id_number
from lianxin.core.models import AuditEvent
from lianxin.demo import county as geo
from lianxin.demo.accounts import DEMO_ACCOUNTS
from lianxin.demo.context import DEMO_PASSWORD, DemoOptions
from lianxin.network.models import (
    CentreType,
    Community,
    CommunityKind,
    CommunityMember,
    Department,
    Equipment,
    EquipmentStatus,
    Institution,
    Tier,
)
from lianxin.patients.models import Patient, PatientIdentifier
from lianxin.testing.demo import module_county
from lianxin.workforce.models import Credential, Practitioner, Title

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)
SMALL = DemoOptions(residents=300, villages=22, seed=7, today=TODAY)


county = module_county(SMALL)


def test_it_builds_one_county_hospital_two_county_hospitals_and_eleven_townships(county):
    counts = {tier: Institution.objects.filter(tier=tier).count() for tier in Tier.values}
    assert counts[Tier.COUNTY_TCM] == 1
    assert counts[Tier.COUNTY_MCH] == 1
    assert counts[Tier.TOWNSHIP] == 11
    assert counts[Tier.VILLAGE] == 22
    assert counts[Tier.TERTIARY] == 1
    assert counts[Tier.COMMISSION] == 1
    community = county.county_community
    assert community.lead.tier == Tier.COUNTY_HOSPITAL
    townships = Institution.objects.filter(tier=Tier.TOWNSHIP)
    assert sorted(t.division_code for t in townships) == [t.code for t in geo.TOWNSHIPS]


def test_every_village_clinic_sits_under_a_township_of_its_own_division(county):
    for village in Institution.objects.filter(tier=Tier.VILLAGE).select_related("parent"):
        assert village.parent.tier == Tier.TOWNSHIP
        assert len(village.division_code) == 12
        assert village.division_code.startswith(village.parent.division_code)
        assert village.beds == 0


def test_the_alliance_contains_the_county_community(county):
    alliance = Community.objects.get(kind=CommunityKind.ALLIANCE)
    assert alliance.lead.tier == Tier.TERTIARY
    assert CommunityMember.objects.filter(
        community=alliance, member_community=county.county_community
    ).exists()
    assert CommunityMember.objects.filter(
        community=alliance, member_institution__tier=Tier.COUNTY_HOSPITAL
    ).count() == len(county.other_hospitals)
    county_members = set(
        CommunityMember.objects.filter(community=county.county_community).values_list(
            "member_institution__tier", flat=True
        )
    )
    assert county_members == {
        Tier.COUNTY_HOSPITAL,
        Tier.COUNTY_TCM,
        Tier.COUNTY_MCH,
        Tier.TOWNSHIP,
        Tier.VILLAGE,
    }


def test_the_shared_centres_sit_at_the_county_hospital(county):
    centres = Department.objects.filter(kind="shared_centre")
    assert {c.centre_type for c in centres} == set(CentreType.values)
    assert {c.institution_id for c in centres} == {county.county_hospital.pk}


def test_equipment_matches_the_tiers(county):
    def in_use(institution, code):
        return Equipment.objects.filter(
            institution=institution, capability__code=code, status=EquipmentStatus.IN_USE
        ).exists()

    assert in_use(county.county_hospital, "ct")
    assert in_use(county.tertiary, "pci_lab")
    assert not Equipment.objects.filter(
        institution=county.county_hospital, capability__code="pci_lab"
    ).exists()
    for township in county.townships:
        assert in_use(township, "ecg"), township
    statuses = set(Equipment.objects.values_list("status", flat=True))
    assert EquipmentStatus.IN_USE in statuses and len(statuses) > 1


def test_procedures_are_credentialed_where_the_facilities_are(county):
    pci = Credential.objects.filter(capability__code="pci")
    assert pci.exists()
    assert set(pci.values_list("practitioner__institution__tier", flat=True)) == {Tier.TERTIARY}
    assert Credential.objects.filter(
        capability__code="thrombolysis_stemi", practitioner__institution=county.county_hospital
    ).exists()
    assert Credential.objects.filter(capability__code="caesarean_section").exists()


def test_titles_follow_the_tier(county):
    village_titles = set(
        Practitioner.objects.filter(institution__tier=Tier.VILLAGE).values_list("title", flat=True)
    )
    assert village_titles <= {Title.VILLAGE_DOCTOR, Title.ASSISTANT}
    county_titles = set(
        Practitioner.objects.filter(institution=county.county_hospital).values_list(
            "title", flat=True
        )
    )
    assert {Title.CHIEF, Title.ATTENDING, Title.RESIDENT} <= county_titles
    assert Title.VILLAGE_DOCTOR not in county_titles


def test_every_resident_id_number_is_valid_and_agrees_with_birth_date_and_sex(county):
    rows = list(Patient.objects.values_list("id_number", "birth_date", "sex", "division_code"))
    assert len(rows) == 300
    for id_number, birth_date, sex, division in rows:
        parsed = parse_id_number(id_number, today=TODAY)
        assert parsed.birth_date == birth_date
        assert parsed.sex == sex
        assert parsed.division_code == geo.COUNTY_CODE == division[:6]
        assert birth_date <= TODAY
    assert len({row[0] for row in rows}) == len(rows)


def test_each_resident_is_registered_at_the_township_centre_of_their_village(county):
    townships = {t.pk: t for t in county.townships}
    patients = Patient.objects.prefetch_related("identifiers__institution")
    for patient in patients:
        held = {i.institution_id: i for i in patient.identifiers.all()}
        home = [townships[i] for i in held if i in townships]
        assert len(home) == 1, patient
        assert patient.division_code.startswith(home[0].division_code)
        assert held[home[0].pk].value.startswith(f"{home[0].code}-")
        town = home[0].short_name.removesuffix("卫生院")
        assert patient.address.startswith(f"福建省漳州市南靖县{town}")
        assert patient.name_initials.isupper()
    at_county = PatientIdentifier.objects.filter(institution=county.county_hospital).count()
    assert 0 < at_county < 300


def test_the_audit_log_holds_the_generated_history_and_the_chain_holds(county):
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    # Every resident's registration, every workflow transition, the break-glass access taken
    # through its action, and the summary row last.
    assert actions.count("patient.register") == 300
    assert any(a.startswith("referrals.referral.") for a in actions)
    assert "patient.break_glass" in actions
    assert actions[-1] == "demo.build"
    assert AuditEvent.objects.get(action="demo.build").after["residents"] == 300
    registration = AuditEvent.objects.filter(action="patient.register").first()
    assert "*" in registration.after["id_number"]  # masked, as every audit row
    assert audit.verify() == []


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_each_demo_account_signs_in_and_reaches_the_home_page(county, client, account):
    response = client.post(
        "/login/", {"username": account.username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.username == account.username
    assert client.get("/").status_code == 200


def test_clinician_accounts_are_practitioners_at_their_institution(county):
    for account in DEMO_ACCOUNTS:
        user, role, institution = county.accounts[account.username]
        assert user.memberships.get().role == role == account.role
        practitioner = Practitioner.objects.filter(user=user).first()
        if account.title:
            assert practitioner.institution == institution
            assert practitioner.title == account.title
        else:
            assert practitioner is None
    _, _, commission = county.accounts["commission"]
    assert commission.tier == Tier.COMMISSION
    assert commission.division_code == geo.COUNTY_CODE


def test_it_refuses_fewer_villages_than_townships():
    with pytest.raises(ValueError):
        DemoOptions(villages=10)
