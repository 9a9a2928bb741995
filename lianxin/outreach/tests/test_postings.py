"""Postings: who may enter them, one place a day, the 驻点 minimum, and activity inside the
period."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from lianxin.core import audit
from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.outreach.actions import (
    do_cancel_posting,
    do_change_posting_period,
    do_create_posting,
    do_record_activity,
)
from lianxin.outreach.actions.common import add_months
from lianxin.outreach.models import Posting
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import DepartmentFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def _post(officer, expert, host, start, end, kind="short_term", **extra) -> Posting:
    return do_create_posting(
        actor=officer,
        practitioner=expert,
        host_institution=host,
        kind=kind,
        starts_on=start,
        ends_on=end,
        **extra,
    )


def test_the_outreach_office_posts_a_doctor_to_a_member_and_it_is_audited(
    personas, officer, expert, today
):
    posting = _post(
        officer,
        expert,
        personas.township_a,
        today,
        add_months(today, 6),
        kind="stationing",
        role_at_host="执行院长",
        purpose="带教胸痛中心",
    )
    assert posting.home_institution == personas.county_a
    assert posting.role_at_host == "执行院长"
    event = AuditEvent.objects.get(action="outreach.posting.create")
    assert event.target_id == str(posting.external_id)
    assert audit.verify() == []


def test_it_refuses_an_overlapping_posting_and_names_the_clash(personas, officer, expert, today):
    first = _post(officer, expert, personas.township_a, today, today + days(10))
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.village_a, today + days(10), today + days(20))
    message = " ".join(exc.value.message_dict["starts_on"])
    assert personas.township_a.name in message
    assert str(first.external_id) in message
    assert Posting.objects.count() == 1


def test_back_to_back_postings_are_fine(personas, officer, expert, today):
    _post(officer, expert, personas.township_a, today, today + days(10))
    second = _post(officer, expert, personas.village_a, today + days(11), today + days(20))
    assert second.pk


def test_a_cancelled_posting_frees_its_days(personas, officer, expert, today):
    first = _post(officer, expert, personas.township_a, today, today + days(10))
    do_cancel_posting(actor=officer, posting=first, reason="医院另有安排")
    assert _post(officer, expert, personas.village_a, today, today + days(10)).pk


def test_it_refuses_reversed_dates(personas, officer, expert, today):
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.township_a, today, today - days(1))
    assert "ends_on" in exc.value.message_dict


def test_it_refuses_a_posting_to_the_practitioners_own_institution(
    personas, officer, expert, today
):
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.county_a, today, today + days(3))
    assert "host_institution" in exc.value.message_dict


def test_it_refuses_a_stationing_shorter_than_six_months(personas, officer, expert):
    start = datetime.date(2026, 3, 1)
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.township_a, start, datetime.date(2026, 8, 30), "stationing")
    assert "2026-08-31" in " ".join(exc.value.message_dict["ends_on"])
    posting = _post(
        officer, expert, personas.township_a, start, datetime.date(2026, 8, 31), "stationing"
    )
    assert posting.days == 184


def test_management_staff_need_an_area_and_others_have_none(personas, officer, expert, today):
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.township_a, today, today + days(30), "management")
    assert "management_area" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _post(
            officer,
            expert,
            personas.township_a,
            today,
            today + days(30),
            management_area="nursing",
        )
    posting = _post(
        officer,
        expert,
        personas.township_a,
        today,
        today + days(30),
        "management",
        management_area="infection_control",
    )
    assert posting.get_management_area_display()


def test_it_refuses_a_host_department_of_another_institution(personas, officer, expert, today):
    elsewhere = DepartmentFactory(institution=personas.village_a)
    with pytest.raises(ValidationError) as exc:
        _post(
            officer, expert, personas.township_a, today, today + days(3), host_department=elsewhere
        )
    assert "host_department" in exc.value.message_dict


def test_it_refuses_a_host_outside_the_community(personas, officer, expert, today):
    with pytest.raises(ValidationError) as exc:
        _post(officer, expert, personas.county_b, today, today + days(3))
    assert "host_institution" in exc.value.message_dict


def test_a_clinician_cannot_post_anyone(personas, expert, today):
    with pytest.raises(NotAllowed):
        _post(personas.specialist, expert, personas.township_a, today, today + days(3))


def test_an_outreach_office_elsewhere_cannot_post_our_doctor(personas, expert, today):
    other = InstitutionFactory(name="另一医院", tier="county_hospital")
    from lianxin.testing.factories import MembershipFactory, UserFactory

    user = UserFactory(username="other_office")
    MembershipFactory(user=user, institution=other, role="outreach_officer")
    with pytest.raises(NotAllowed):
        _post(user, expert, personas.township_a, today, today + days(3))


def test_the_posted_doctor_records_activity_inside_the_period(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(5), today + days(5))
    activity = do_record_activity(
        actor=personas.specialist, posting=posting, on=today, kind="clinic", patients=23
    )
    assert activity.patients == 23 and activity.recorded_by == personas.specialist


def test_it_refuses_activity_outside_the_posting_period(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(5), today + days(5))
    with pytest.raises(ValidationError) as exc:
        do_record_activity(actor=officer, posting=posting, on=today - days(6), kind="clinic")
    assert "on" in exc.value.message_dict


def test_it_refuses_activity_in_the_future_or_with_absurd_counts(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(5), today + days(5))
    with pytest.raises(ValidationError):
        do_record_activity(actor=officer, posting=posting, on=today + days(1), kind="clinic")
    with pytest.raises(ValidationError) as exc:
        do_record_activity(
            actor=officer, posting=posting, on=today, kind="clinic", sessions=0, patients=-1
        )
    assert {"sessions", "patients"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError):
        do_record_activity(actor=officer, posting=posting, on=today, kind="juggling")


def test_another_clinician_cannot_record_activity(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(5), today + days(5))
    with pytest.raises(NotAllowed):
        do_record_activity(actor=personas.doctor, posting=posting, on=today, kind="clinic")


def test_cutting_a_posting_short_keeps_recorded_activity_inside(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(10), today + days(10))
    do_record_activity(actor=officer, posting=posting, on=today - days(2), kind="ward_round")
    with pytest.raises(ValidationError):
        do_change_posting_period(
            actor=officer, posting=posting, starts_on=today - days(10), ends_on=today - days(3)
        )
    changed = do_change_posting_period(
        actor=officer, posting=posting, starts_on=today - days(10), ends_on=today - days(2)
    )
    assert changed.ends_on == today - days(2)


def test_extending_into_another_posting_is_refused(personas, officer, expert, today):
    first = _post(officer, expert, personas.township_a, today, today + days(10))
    _post(officer, expert, personas.village_a, today + days(20), today + days(30))
    with pytest.raises(ValidationError):
        do_change_posting_period(
            actor=officer, posting=first, starts_on=today, ends_on=today + days(25)
        )


def test_a_posting_with_activity_cannot_be_cancelled(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today - days(1), today + days(1))
    do_record_activity(actor=officer, posting=posting, on=today, kind="clinic")
    with pytest.raises(Conflict):
        do_cancel_posting(actor=officer, posting=posting, reason="错录")
    posting.refresh_from_db()
    assert not posting.is_cancelled


def test_cancelling_needs_a_reason_and_happens_once(personas, officer, expert, today):
    posting = _post(officer, expert, personas.township_a, today, today + days(1))
    with pytest.raises(ValidationError):
        do_cancel_posting(actor=officer, posting=posting, reason="  ")
    do_cancel_posting(actor=officer, posting=posting, reason="取消")
    with pytest.raises(Conflict):
        do_cancel_posting(actor=officer, posting=posting, reason="再次")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint: PostgreSQL")
def test_the_database_refuses_an_overlap_that_skips_the_action(personas, officer, expert, today):
    first = _post(officer, expert, personas.township_a, today, today + days(10))
    with pytest.raises(IntegrityError):
        Posting.objects.create(
            practitioner=expert,
            home_institution=first.home_institution,
            host_institution=personas.village_a,
            kind="short_term",
            starts_on=today + days(10),
            ends_on=today + days(12),
        )
