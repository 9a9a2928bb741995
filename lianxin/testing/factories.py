"""Builders (factory-boy) for the foundation's models, used by every app's tests."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from lianxin.core.idnumber import make_id_number
from lianxin.core.models import User
from lianxin.network.models import (
    Community,
    CommunityKind,
    CommunityMember,
    Department,
    Institution,
    Tier,
)
from lianxin.patients.models import Patient, PatientIdentifier, Sex
from lianxin.workforce.models import Membership, Practitioner, Title


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试卫生院{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:8])
    code = factory.Sequence(lambda n: f"PDY{n:08d}")
    tier = Tier.TOWNSHIP
    division_code = "350426100"
    beds = 30


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"测试医共体{n}")
    kind = CommunityKind.COUNTY
    lead = factory.SubFactory(InstitutionFactory, tier=Tier.COUNTY_HOSPITAL)
    division_code = "350426"


def add_member(community: Community, institution: Institution) -> CommunityMember:
    return CommunityMember.objects.create(community=community, member_institution=institution)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"科室{n}")
    code = factory.Sequence(lambda n: f"D{n:04d}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = "clinician"


class PractitionerFactory(DjangoModelFactory):
    class Meta:
        model = Practitioner

    name = factory.Sequence(lambda n: f"医生{n}")
    sex = "M"
    title = Title.ATTENDING
    licence_number = factory.Sequence(lambda n: f"1103500{n:08d}")
    institution = factory.SubFactory(InstitutionFactory)


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    name = factory.Sequence(lambda n: f"患者{n}")
    name_initials = "HZ"
    sex = Sex.MALE
    birth_date = datetime.date(1960, 5, 17)
    id_number = factory.Sequence(
        lambda n: make_id_number("350426", datetime.date(1960, 5, 17), n % 500 * 2 + 1)
    )
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    address = "福建省三明市尤溪县城关镇"


def register_at(patient: Patient, institution: Institution, mrn: str | None = None):
    return PatientIdentifier.objects.create(
        patient=patient, institution=institution, value=mrn or f"MRN{patient.pk:08d}"
    )
