"""Setting up teams: the centre's administrator creates a team with its lead and villages, adds
members by role (the county specialist included) and villages; the rules on who may hold which
role, one team per village and a lead kept, on the page and the API alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianxin.core.access import forget_access
from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.network.models import Tier
from lianxin.primarycare.actions import (
    do_add_team_member,
    do_add_team_village,
    do_remove_team_member,
)
from lianxin.primarycare.models import Team, TeamMember, TeamVillage
from lianxin.primarycare.rules import TeamRole
from lianxin.primarycare.tests.test_contracts import sign
from lianxin.testing.factories import InstitutionFactory, PractitionerFactory, add_member
from lianxin.workforce.models import Practitioner

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def village_c(personas):
    village = InstitutionFactory(
        name="城关镇南门村卫生室",
        tier=Tier.VILLAGE,
        division_code="350426100202",
        parent=personas.township_a,
    )
    add_member(personas.community_a, village)
    forget_access(personas.admin)  # its registry scope was computed before the village existed
    return village


def test_the_centres_administrator_sets_up_a_team_on_the_page(personas, family, village_c):
    gp = PractitionerFactory(name="周医生", institution=personas.township_a)
    client = login(personas.admin)
    page = client.get(reverse("primarycare:teams"))
    assert "城关镇卫生院" in page.content.decode()  # offered as a centre to set a team up at
    url = reverse("primarycare:team-create") + f"?centre={personas.township_a.external_id}"
    form = client.get(url)
    assert form.status_code == 200
    assert "周医生" in form.content.decode() and "南门村" in form.content.decode()
    assert "东门村" not in form.content.decode()  # served by the first team already
    response = client.post(
        url,
        {
            "institution": str(personas.township_a.external_id),
            "name": "城关镇第二团队",
            "lead": str(gp.external_id),
            "villages": [str(village_c.external_id)],
        },
    )
    team = Team.objects.get(name="城关镇第二团队")
    assert response.status_code == 302 and response["Location"].endswith(f"{team.external_id}/")
    assert team.lead == gp
    assert list(team.villages.all()) == [village_c]
    assert AuditEvent.objects.filter(action="primarycare.team.create").count() == 3


def test_a_team_name_and_a_village_are_taken_once(personas, family):
    client = login(personas.admin)
    url = reverse("primarycare:team-create") + f"?centre={personas.township_a.external_id}"
    response = client.post(
        url,
        {
            "institution": str(personas.township_a.external_id),
            "name": family.team.name,
            "lead": str(family.lead.practitioner.external_id),
            "villages": [str(personas.village_a.external_id)],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already" in str(errors["name"]) and "already served" in str(errors["villages"])
    assert Team.objects.count() == 2


def test_a_doctor_cannot_set_up_a_team(personas, family):
    client = login(personas.doctor)
    url = reverse("primarycare:team-create") + f"?centre={personas.township_a.external_id}"
    assert client.get(url).status_code == 403
    with pytest.raises(NotAllowed):
        do_add_team_member(
            actor=personas.doctor,
            team=family.team,
            practitioner=PractitionerFactory(institution=personas.township_a),
            role=TeamRole.NURSE,
        )


def test_members_by_role_come_from_the_centre_its_villages_and_the_county(personas, family):
    specialist = PractitionerFactory(name="孙主任", institution=personas.county_a)
    do_add_team_member(
        actor=personas.admin, team=family.team, practitioner=specialist, role=TeamRole.SPECIALIST
    )
    roles = dict(TeamMember.objects.filter(team=family.team).values_list("practitioner", "role"))
    assert roles[specialist.pk] == TeamRole.SPECIALIST
    # A doctor of another county cannot be the county specialist, nor a centre doctor a
    # village doctor, nor another township's doctor a nurse here.
    other_county = PractitionerFactory(institution=personas.county_b)
    centre_doctor = PractitionerFactory(institution=personas.township_a)
    elsewhere = PractitionerFactory(institution=family.township_b)
    for practitioner, role, words in (
        (other_county, TeamRole.SPECIALIST, "county hospital of the team's community"),
        (centre_doctor, TeamRole.VILLAGE_DOCTOR, "team's village clinics"),
        (elsewhere, TeamRole.NURSE, "does not work at"),
        (specialist, TeamRole.DOCTOR, "on the team already"),
    ):
        with pytest.raises(ValidationError) as err:
            do_add_team_member(
                actor=personas.admin, team=family.team, practitioner=practitioner, role=role
            )
        assert words in str(err.value.message_dict["practitioner"])


def test_a_new_lead_takes_over_and_the_lead_cannot_be_removed(personas, family):
    old = family.lead
    new = PractitionerFactory(name="吴医生", institution=personas.township_a)
    with pytest.raises(ActionError):
        do_remove_team_member(actor=personas.admin, team=family.team, member=old)
    do_add_team_member(actor=personas.admin, team=family.team, practitioner=new, role="lead")
    old.refresh_from_db()
    assert old.role == TeamRole.DOCTOR
    assert Team.objects.get(pk=family.team.pk).lead == new


def test_a_family_doctor_with_running_contracts_stays_on_the_team(personas, family):
    village_doctor = TeamMember.objects.get(team=family.team, role=TeamRole.VILLAGE_DOCTOR)
    contract = sign(personas, family)
    contract.doctor = village_doctor.practitioner
    contract.save(update_fields=["doctor"])
    with pytest.raises(ActionError) as err:
        do_remove_team_member(actor=personas.admin, team=family.team, member=village_doctor)
    assert "1 running contracts" in str(err.value)


def test_the_team_page_adds_and_removes_members_and_villages(personas, family, village_c):
    client = login(personas.admin)
    team_url = reverse("primarycare:team", kwargs={"id": family.team.external_id})
    page = client.get(team_url).content.decode()
    assert "王医生" in page and "李村医" in page and "南门村" in page
    nurse = Practitioner.objects.get(name="陈护士")
    client.post(
        reverse("primarycare:team-remove_member", kwargs={"id": family.team.external_id}),
        {"practitioner": str(nurse.external_id)},
    )
    assert not TeamMember.objects.filter(team=family.team, practitioner=nurse).exists()
    client.post(
        reverse("primarycare:team-add_member", kwargs={"id": family.team.external_id}),
        {"practitioner": str(nurse.external_id), "role": "public_health"},
    )
    assert TeamMember.objects.get(team=family.team, practitioner=nurse).role == "public_health"
    client.post(
        reverse("primarycare:team-add_village", kwargs={"id": family.team.external_id}),
        {"village": str(village_c.external_id)},
    )
    assert TeamVillage.objects.filter(team=family.team, village=village_c).exists()
    client.post(
        reverse("primarycare:team-remove_village", kwargs={"id": family.team.external_id}),
        {"village": str(personas.village_a.external_id)},
    )
    assert not TeamVillage.objects.filter(village=personas.village_a).exists()
    # Its village doctor leaves the team with the village.
    assert not TeamMember.objects.filter(team=family.team, role="village_doctor").exists()


def test_a_village_of_another_centre_or_team_is_refused(personas, family):
    other = family.team_b.villages.get()
    with pytest.raises(ValidationError) as err:
        do_add_team_village(actor=personas.admin, team=family.team, village=other)
    assert "is not a village clinic of" in str(err.value)


def test_another_county_sees_no_team_and_a_doctor_gets_no_forms(personas, family):
    url = reverse("primarycare:team", kwargs={"id": family.team.external_id})
    assert login(personas.outsider).get(url).status_code == 404
    step = reverse("primarycare:team-add_village", kwargs={"id": family.team.external_id})
    assert login(personas.outsider).post(step, {"village": "x"}).status_code == 404
    page = login(personas.doctor).get(url)
    assert page.status_code == 200 and "member_form" not in page.context


def test_the_api_sets_up_a_team_and_answers_like_the_page(personas, family, village_c):
    gp = PractitionerFactory(name="郑医生", institution=personas.township_a)
    client = api(personas.admin)
    created = client.post(
        "/api/family-doctor-teams/",
        {
            "institution": str(personas.township_a.external_id),
            "name": "城关镇第三团队",
            "lead": str(gp.external_id),
            "villages": [str(village_c.external_id)],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    team_id = created.json()["id"]
    assert created.json()["members"][0]["name"] == "郑医生"
    bad = client.post(
        f"/api/family-doctor-teams/{team_id}/add-member/",
        {"practitioner": str(family.lead.practitioner.external_id), "role": "village_doctor"},
        format="json",
    )
    assert bad.status_code == 400
    assert "team's village clinics" in str(bad.json()["practitioner"])
    assert api(personas.outsider).get(f"/api/family-doctor-teams/{team_id}/").status_code == 404
    assert (
        api(personas.doctor)
        .post(
            f"/api/family-doctor-teams/{team_id}/add-village/",
            {"village": str(village_c.external_id)},
            format="json",
        )
        .status_code
        == 403
    )


def test_the_patient_page_offers_the_team_to_sign_and_then_shows_the_contract(personas, family):
    url = reverse("patients:detail", kwargs={"id": personas.patient.external_id})
    sign_url = reverse("primarycare:contract-sign")
    page = login(personas.doctor).get(url).content.decode()
    assert f"{sign_url}?patient={personas.patient.external_id}" in page
    contract = sign(personas, family)
    page = login(personas.doctor).get(url).content.decode()
    assert sign_url not in page
    assert reverse("primarycare:contract", kwargs={"id": contract.external_id}) in page
    assert family.team.name in page
