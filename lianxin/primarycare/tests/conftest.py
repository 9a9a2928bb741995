"""Family-doctor fixtures on top of the shared personas.

- team A: based at township A1, serving village A1-东门; lead ``doctor`` (王医生), village doctor
  ``villager`` (李村医, at the village clinic), nurse ``nurse`` (at A1).
- team B: another township (A2, same county community) with its own lead ``rival``.
- the resident 张三 lives in 东门村 and is on A1's books.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from lianxin.network.models import Institution, Tier
from lianxin.primarycare.actions import do_create_team, do_load_default_packages
from lianxin.primarycare.models import ServicePackage, Team, TeamMember
from lianxin.primarycare.rules import TeamRole
from lianxin.testing.factories import (
    InstitutionFactory,
    MembershipFactory,
    PractitionerFactory,
    UserFactory,
    add_member,
    register_at,
)
from lianxin.workforce.models import Practitioner, Title


@dataclass
class Family:
    team: Team
    lead: TeamMember
    villager: object
    nurse: object
    township_b: Institution
    team_b: Team
    rival: object
    basic: ServicePackage
    chronic: ServicePackage


def _user(username: str, institution: Institution, role: str = "clinician"):
    user = UserFactory(username=username, display_name=username)
    MembershipFactory(user=user, institution=institution, role=role)
    return user


@pytest.fixture
def family(personas) -> Family:
    do_load_default_packages(actor=None)
    p = personas
    p.patient.division_code = p.village_a.division_code
    p.patient.save(update_fields=["division_code"])
    lead = Practitioner.objects.get(user=p.doctor)
    villager = _user("villager", p.village_a)
    village_doctor = PractitionerFactory(
        name="李村医", title=Title.VILLAGE_DOCTOR, institution=p.village_a, user=villager
    )
    nurse = _user("nurse", p.township_a, "nurse")
    nurse_p = PractitionerFactory(name="陈护士", institution=p.township_a, user=nurse)
    team = do_create_team(
        actor=p.admin,
        institution=p.township_a,
        name="城关镇第一团队",
        villages=[p.village_a],
        members=[
            (lead, TeamRole.LEAD),
            (village_doctor, TeamRole.VILLAGE_DOCTOR),
            (nurse_p, TeamRole.NURSE),
        ],
    )
    township_b = InstitutionFactory(name="西城镇卫生院", division_code="350426101")
    add_member(p.community_a, township_b)
    village_b = InstitutionFactory(
        name="西城镇上村卫生室",
        tier=Tier.VILLAGE,
        division_code="350426101201",
        parent=township_b,
    )
    add_member(p.community_a, village_b)
    rival = _user("rival", township_b)
    rival_p = PractitionerFactory(name="赵医生", institution=township_b, user=rival)
    admin_b = _user("admin_b", township_b, "institution_admin")
    team_b = do_create_team(
        actor=admin_b,
        institution=township_b,
        name="西城镇团队",
        villages=[village_b],
        members=[(rival_p, TeamRole.LEAD)],
    )
    return Family(
        team=team,
        lead=TeamMember.objects.get(team=team, role=TeamRole.LEAD),
        villager=villager,
        nurse=nurse,
        township_b=township_b,
        team_b=team_b,
        rival=rival,
        basic=ServicePackage.objects.get(code="BASIC"),
        chronic=ServicePackage.objects.get(code="CHRONIC"),
    )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def register(patient, institution):
    return register_at(patient, institution)
