"""Referral fixtures: a cardiology department at the county hospital with its head and duty
officer, on top of the shared personas."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianxin.core.access import forget_access
from lianxin.testing.factories import DepartmentFactory, MembershipFactory, UserFactory
from lianxin.workforce.models import Practitioner


@pytest.fixture
def cardiology(personas):
    department = DepartmentFactory(institution=personas.county_a, name="心血管内科", code="CARD")
    # The specialist works in cardiology (a department-level membership).
    membership = personas.specialist.memberships.get()
    membership.department = department
    membership.save()
    forget_access(personas.specialist)
    Practitioner.objects.create(
        name="李主任",
        title="chief",
        institution=personas.county_a,
        department=department,
        user=personas.specialist,
    )
    return department


@pytest.fixture
def head(personas, cardiology):
    user = UserFactory(username="head")
    MembershipFactory(
        user=user, institution=personas.county_a, department=cardiology, role="department_head"
    )
    return user


@pytest.fixture
def duty(personas):
    user = UserFactory(username="duty")
    MembershipFactory(user=user, institution=personas.county_a, role="duty_officer")
    return user


@pytest.fixture
def tomorrow_9():
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
