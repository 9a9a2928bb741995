"""Diagnostics fixtures: the county hospital's shared imaging and laboratory centres with a
resident and an attending reader, service agreements from township A1, the ordering site's
department head, duty officer and duty phone, and an alliance whose tertiary hospital takes
overflow."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from lianxin.core.models import User
from lianxin.diagnostics.catalogue import sync_catalogue
from lianxin.diagnostics.models import DutyPhone, ExamItem, ServiceAgreement
from lianxin.network.models import CommunityKind, CommunityMember, Department, Institution, Tier
from lianxin.testing.factories import (
    CommunityFactory,
    DepartmentFactory,
    InstitutionFactory,
    MembershipFactory,
    PractitionerFactory,
    UserFactory,
)


@dataclass
class Centre:
    imaging: Department
    laboratory: Department
    ecg: Department
    resident: User
    attending: User
    second: User
    head: User
    duty: User
    tertiary: Institution
    tertiary_reader: User


def _staff(username: str, institution, department, title: str, role: str = "centre_staff"):
    user = UserFactory(username=username)
    MembershipFactory(user=user, institution=institution, department=department, role=role)
    PractitionerFactory(
        name=username, institution=institution, department=department, title=title, user=user
    )
    return user


@pytest.fixture(autouse=True)
def catalogue(db):
    """Tests with real transactions flush the tables the data migration filled."""
    if not ExamItem.objects.exists():
        sync_catalogue()


@pytest.fixture
def centre(personas) -> Centre:
    county = personas.county_a
    imaging = DepartmentFactory(
        institution=county,
        name="医共体影像中心",
        code="YXZX",
        kind="shared_centre",
        centre_type="imaging",
    )
    laboratory = DepartmentFactory(
        institution=county,
        name="医共体检验中心",
        code="JYZX",
        kind="shared_centre",
        centre_type="laboratory",
    )
    ecg = DepartmentFactory(
        institution=county,
        name="医共体心电中心",
        code="XDZX",
        kind="shared_centre",
        centre_type="ecg",
    )
    since = datetime.date(2020, 1, 1)
    for dept in (imaging, laboratory, ecg):
        ServiceAgreement.objects.create(
            site=personas.township_a, centre=dept, centre_type=dept.centre_type, starts_on=since
        )
    head = UserFactory(username="site_head")
    MembershipFactory(
        user=head,
        institution=personas.township_a,
        department=personas.department_a,
        role="department_head",
    )
    duty = UserFactory(username="site_duty")
    MembershipFactory(user=duty, institution=personas.township_a, role="duty_officer")
    DutyPhone.objects.create(institution=personas.township_a, label="护士站", phone="13800000001")
    tertiary = InstitutionFactory(
        name="市第一医院", tier=Tier.TERTIARY, division_code="350600", beds=2000
    )
    pool = DepartmentFactory(institution=tertiary, name="医学影像科", code="YXK", kind="medtech")
    alliance = CommunityFactory(
        name="市医联体", kind=CommunityKind.ALLIANCE, lead=tertiary, division_code="3506"
    )
    CommunityMember.objects.create(community=alliance, member_institution=tertiary)
    CommunityMember.objects.create(community=alliance, member_community=personas.community_a)
    return Centre(
        imaging=imaging,
        laboratory=laboratory,
        ecg=ecg,
        resident=_staff("resident", county, imaging, "resident"),
        attending=_staff("attending", county, imaging, "attending"),
        second=_staff("second", county, imaging, "attending"),
        head=head,
        duty=duty,
        tertiary=tertiary,
        tertiary_reader=_staff("pool_reader", tertiary, pool, "chief", role="clinician"),
    )


@pytest.fixture
def pathology(personas, centre) -> Department:
    """The county hospital's pathology centre, with an agreement from township A1."""
    dept = DepartmentFactory(
        institution=personas.county_a,
        name="病理中心",
        code="BLZX",
        kind="shared_centre",
        centre_type="pathology",
    )
    ServiceAgreement.objects.create(
        site=personas.township_a,
        centre=dept,
        centre_type="pathology",
        starts_on=datetime.date(2020, 1, 1),
    )
    return dept


def exam(code: str) -> ExamItem:
    return ExamItem.objects.get(code=code)
