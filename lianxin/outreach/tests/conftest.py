"""Outreach fixtures: the county hospital's outreach office and two of its doctors, on top of the
shared personas (township A1 hosts them)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianxin.testing.factories import MembershipFactory, PractitionerFactory, UserFactory
from lianxin.workforce.models import Title


@pytest.fixture
def officer(personas):
    """The outreach office (医务科) of county hospital A."""
    user = UserFactory(username="officer")
    MembershipFactory(user=user, institution=personas.county_a, role="outreach_officer")
    return user


@pytest.fixture
def expert(personas):
    """A chief physician of county hospital A with a login (the specialist persona)."""
    return PractitionerFactory(
        name="李主任", title=Title.CHIEF, institution=personas.county_a, user=personas.specialist
    )


@pytest.fixture
def resident_doctor(personas):
    return PractitionerFactory(name="赵住院", title=Title.RESIDENT, institution=personas.county_a)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)
