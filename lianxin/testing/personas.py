"""Named personas in two county communities and a health commission.

- ``doctor``: clinician at township centre A1 (county community A).
- ``colleague``: another clinician at A1 (same institution).
- ``specialist``: clinician at county hospital A (same community, another institution).
- ``outsider``: clinician at county hospital B, in another county community.
- ``admin``: institution administrator at A1.
- ``commission``: the county A health commission (aggregates only).
- ``patient``: registered at A1.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from lianxin.core.models import User
from lianxin.network.models import Community, Department, Institution, Tier
from lianxin.patients.models import Patient
from lianxin.testing.factories import (
    CommunityFactory,
    DepartmentFactory,
    InstitutionFactory,
    MembershipFactory,
    PatientFactory,
    PractitionerFactory,
    UserFactory,
    add_member,
    register_at,
)


@dataclass
class Personas:
    community_a: Community
    community_b: Community
    county_a: Institution
    township_a: Institution
    village_a: Institution
    county_b: Institution
    commission_body: Institution
    department_a: Department
    doctor: User
    colleague: User
    specialist: User
    outsider: User
    admin: User
    commission: User
    patient: Patient

    def client(self, name: str | None) -> Client:
        client = Client()
        if name is not None:
            client.force_login(getattr(self, name))
        return client


def build_personas() -> Personas:
    county_a = InstitutionFactory(
        name="尤溪县总医院", tier=Tier.COUNTY_HOSPITAL, division_code="350426", beds=600
    )
    township_a = InstitutionFactory(name="城关镇卫生院", division_code="350426100")
    village_a = InstitutionFactory(
        name="城关镇东门村卫生室",
        tier=Tier.VILLAGE,
        division_code="350426100201",
        parent=township_a,
    )
    community_a = CommunityFactory(name="尤溪县医共体", lead=county_a, division_code="350426")
    for inst in (county_a, township_a, village_a):
        add_member(community_a, inst)
    county_b = InstitutionFactory(
        name="大田县总医院", tier=Tier.COUNTY_HOSPITAL, division_code="350425", beds=500
    )
    community_b = CommunityFactory(name="大田县医共体", lead=county_b, division_code="350425")
    add_member(community_b, county_b)
    commission_body = InstitutionFactory(
        name="尤溪县卫生健康局", tier=Tier.COMMISSION, division_code="350426", beds=0
    )
    department_a = DepartmentFactory(institution=township_a, name="全科", code="GP")

    def member(username: str, institution: Institution, role: str = "clinician") -> User:
        user = UserFactory(username=username)
        MembershipFactory(user=user, institution=institution, role=role)
        return user

    doctor = member("doctor", township_a)
    PractitionerFactory(name="王医生", institution=township_a, department=department_a, user=doctor)
    patient = PatientFactory(name="张三")
    register_at(patient, township_a)
    return Personas(
        community_a=community_a,
        community_b=community_b,
        county_a=county_a,
        township_a=township_a,
        village_a=village_a,
        county_b=county_b,
        commission_body=commission_body,
        department_a=department_a,
        doctor=doctor,
        colleague=member("colleague", township_a),
        specialist=member("specialist", county_a),
        outsider=member("outsider", county_b),
        admin=member("admin", township_a, "institution_admin"),
        commission=member("commission", commission_body, "commission"),
        patient=patient,
    )
