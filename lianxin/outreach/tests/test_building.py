"""Technique transfer, co-built specialties, training placements and remote education."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from lianxin.core.errors import Conflict, NotAllowed
from lianxin.core.models import AuditEvent
from lianxin.network.models import Agreement, Capability
from lianxin.outreach.actions import (
    Attendance,
    do_assess_placement,
    do_create_cobuilt_specialty,
    do_create_course,
    do_create_placement,
    do_introduce_technique,
    do_record_attendance,
    do_record_session,
    do_record_technique_case,
    do_set_specialty_status,
    do_update_cobuilt_specialty,
    do_update_course,
)
from lianxin.outreach.tests.conftest import days
from lianxin.testing.factories import DepartmentFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def technique(personas, officer, expert, today):
    return do_introduce_technique(
        actor=officer,
        host_institution=personas.township_a,
        name="无痛胃镜",
        mentor=expert,
        introduced_on=today - days(60),
        capability=Capability.objects.get(code="endoscopic_haemostasis"),
    )


def test_the_first_case_and_independence_follow_the_cases(personas, officer, technique, today):
    host_doctor = PractitionerFactory(institution=personas.township_a)
    do_record_technique_case(
        actor=officer, technique=technique, performed_on=today - days(50), with_mentor=True
    )
    do_record_technique_case(
        actor=officer,
        technique=technique,
        performed_on=today - days(10),
        with_mentor=False,
        operator=host_doctor,
    )
    # A case entered late but earlier in time becomes the first case.
    do_record_technique_case(
        actor=officer, technique=technique, performed_on=today - days(55), with_mentor=True
    )
    technique.refresh_from_db()
    assert technique.first_case_on == today - days(55)
    assert technique.independent_on == today - days(10)


def test_a_case_without_the_mentor_needs_a_host_doctor(personas, officer, technique, today):
    with pytest.raises(ValidationError) as exc:
        do_record_technique_case(
            actor=officer, technique=technique, performed_on=today, with_mentor=False
        )
    assert "operator" in exc.value.message_dict
    lead_doctor = PractitionerFactory(institution=personas.county_a)
    with pytest.raises(ValidationError):
        do_record_technique_case(
            actor=officer,
            technique=technique,
            performed_on=today,
            with_mentor=False,
            operator=lead_doctor,
        )


def test_a_case_before_the_introduction_is_refused(officer, technique, today):
    with pytest.raises(ValidationError):
        do_record_technique_case(
            actor=officer, technique=technique, performed_on=today - days(61), with_mentor=True
        )


def test_a_technique_is_a_procedure_taught_by_someone_from_elsewhere(
    personas, officer, expert, today
):
    with pytest.raises(ValidationError) as exc:
        do_introduce_technique(
            actor=officer,
            host_institution=personas.county_a,
            name="x",
            mentor=expert,
            introduced_on=today,
            capability=Capability.objects.get(code="ct"),
        )
    assert {"mentor", "capability"} <= set(exc.value.message_dict)


def test_a_clinician_cannot_introduce_a_technique(personas, expert, today):
    with pytest.raises(NotAllowed):
        do_introduce_technique(
            actor=personas.doctor,
            host_institution=personas.township_a,
            name="x",
            mentor=expert,
            introduced_on=today,
        )


def test_a_cobuilt_specialty_has_goals_and_a_status(personas, officer, today):
    item = do_create_cobuilt_specialty(
        actor=officer,
        lead_institution=personas.county_a,
        host_institution=personas.township_a,
        name="全科医学科",
        goals="两年内独立开展慢病管理",
        starts_on=today,
    )
    do_set_specialty_status(actor=officer, item=item, status="building")
    item.refresh_from_db()
    assert item.status == "building"
    with pytest.raises(ValidationError):
        do_set_specialty_status(actor=officer, item=item, status="finished-ish")
    with pytest.raises(ValidationError):
        do_create_cobuilt_specialty(
            actor=officer,
            lead_institution=personas.county_a,
            host_institution=personas.county_a,
            name="x",
            goals="",
            starts_on=today,
        )


def test_a_placement_is_assessed_once(personas, officer, today):
    trainee = PractitionerFactory(institution=personas.township_a)
    department = DepartmentFactory(institution=personas.county_a)
    supervisor = PractitionerFactory(institution=personas.county_a)
    placement = do_create_placement(
        actor=officer,
        trainee=trainee,
        host_institution=personas.county_a,
        department=department,
        supervisor=supervisor,
        starts_on=today - days(90),
        ends_on=today,
    )
    do_assess_placement(actor=officer, placement=placement, result="passed", assessed_on=today)
    assert placement.result == "passed"
    with pytest.raises(Conflict):
        do_assess_placement(actor=officer, placement=placement, result="failed", assessed_on=today)


def test_overlapping_placements_and_foreign_supervisors_are_refused(personas, officer, today):
    trainee = PractitionerFactory(institution=personas.township_a)
    do_create_placement(
        actor=officer,
        trainee=trainee,
        host_institution=personas.county_a,
        starts_on=today,
        ends_on=today + days(30),
    )
    with pytest.raises(ValidationError) as exc:
        do_create_placement(
            actor=officer,
            trainee=trainee,
            host_institution=personas.county_a,
            starts_on=today + days(30),
            ends_on=today + days(60),
        )
    assert personas.county_a.name in " ".join(exc.value.message_dict["starts_on"])
    with pytest.raises(ValidationError) as exc:
        do_create_placement(
            actor=officer,
            trainee=PractitionerFactory(institution=personas.township_a),
            host_institution=personas.county_a,
            supervisor=PractitionerFactory(institution=personas.township_a),
            starts_on=today,
            ends_on=today + days(30),
        )
    assert "supervisor" in exc.value.message_dict


def test_a_session_records_attendance_per_site(personas, officer, expert, today):
    course = do_create_course(
        actor=officer, provider=personas.county_a, title="基层胸痛识别", starts_on=today - days(30)
    )
    session = do_record_session(
        actor=officer,
        course=course,
        held_on=today - days(1),
        topic="心电图判读",
        lecturer=expert,
        attendance=[
            Attendance(personas.township_a, attendees=12, assessed=10, passed=9),
            Attendance(personas.village_a, attendees=5),
        ],
    )
    assert sum(row.attendees for row in session.attendance.all()) == 17


def test_inconsistent_attendance_is_refused(personas, officer, today):
    course = do_create_course(
        actor=officer, provider=personas.county_a, title="课程", starts_on=today - days(30)
    )
    for rows in (
        [Attendance(personas.township_a, attendees=3, assessed=5, passed=1)],
        [Attendance(personas.township_a, 3), Attendance(personas.township_a, 4)],
    ):
        with pytest.raises(ValidationError) as exc:
            do_record_session(
                actor=officer, course=course, held_on=today, topic="x", attendance=rows
            )
        assert "attendance" in exc.value.message_dict
    with pytest.raises(ValidationError):
        do_record_session(actor=officer, course=course, held_on=today - days(31), topic="x")


@pytest.fixture
def agreement(personas):
    return Agreement.objects.create(
        party_a=personas.county_a,
        party_b=personas.township_a,
        kind="tight",
        scope="专科共建",
        starts_on=datetime.date(2020, 1, 1),
    )


@pytest.fixture
def specialty(personas, officer, today):
    return do_create_cobuilt_specialty(
        actor=officer,
        lead_institution=personas.county_a,
        host_institution=personas.township_a,
        name="慢病管理",
        goals="年内开设慢病门诊",
        starts_on=today - days(30),
    )


def test_a_specialty_is_edited_with_an_audit_row_of_what_changed(
    personas, officer, specialty, agreement, today
):
    do_update_cobuilt_specialty(
        actor=officer,
        item=specialty,
        goals="开设慢病门诊，管理高血压患者 500 人",
        agreement=agreement,
        status="building",
        ends_on=today + days(365),
    )
    specialty.refresh_from_db()
    assert specialty.agreement == agreement and specialty.status == "building"
    event = AuditEvent.objects.get(action="outreach.specialty.update")
    assert set(event.after) == {"goals", "agreement", "status", "ends_on"}
    assert event.before["status"] == "planned"
    # The same values again write nothing.
    do_update_cobuilt_specialty(actor=officer, item=specialty, status="building")
    assert AuditEvent.objects.filter(action="outreach.specialty.update").count() == 1


def test_a_specialty_edit_with_bad_values_changes_nothing(
    personas, officer, specialty, today, outsider_agreement
):
    for changes, field in (
        ({"goals": "  "}, "goals"),
        ({"name": ""}, "name"),
        ({"status": "done"}, "status"),
        ({"agreement": outsider_agreement}, "agreement"),
        ({"ends_on": today - days(60)}, "ends_on"),
        ({"host_institution": personas.county_b}, "host_institution"),
    ):
        with pytest.raises(ValidationError) as exc:
            do_update_cobuilt_specialty(actor=officer, item=specialty, **changes)
        assert field in exc.value.message_dict
    with pytest.raises(NotAllowed):
        do_update_cobuilt_specialty(actor=personas.doctor, item=specialty, status="achieved")
    specialty.refresh_from_db()
    assert specialty.status == "planned" and specialty.goals == "年内开设慢病门诊"


@pytest.fixture
def outsider_agreement(personas):
    return Agreement.objects.create(
        party_a=personas.county_b,
        party_b=personas.county_a,
        kind="loose",
        scope="x",
        starts_on=datetime.date(2020, 1, 1),
    )


def test_attendance_is_recorded_per_institution_and_replaced_when_entered_again(
    personas, officer, today
):
    course = do_create_course(
        actor=officer, provider=personas.county_a, title="基层胸痛识别", starts_on=today - days(30)
    )
    session = do_record_session(actor=officer, course=course, held_on=today, topic="心电图判读")
    do_record_attendance(
        actor=officer, session=session, institution=personas.township_a, attendees=12
    )
    row = do_record_attendance(
        actor=officer,
        session=session,
        institution=personas.township_a,
        attendees=12,
        assessed=10,
        passed=8,
    )
    assert (row.attendees, row.assessed, row.passed) == (12, 10, 8)
    assert session.attendance.count() == 1
    events = AuditEvent.objects.filter(action="outreach.attendance.record").order_by("seq")
    assert [e.before for e in events] == [None, {"attendees": 12, "assessed": 0, "passed": 0}]


def test_impossible_attendance_figures_are_refused(personas, officer, today):
    course = do_create_course(
        actor=officer, provider=personas.county_a, title="课程", starts_on=today - days(30)
    )
    session = do_record_session(actor=officer, course=course, held_on=today, topic="x")
    for numbers, field in (
        ({"attendees": 5, "assessed": 6, "passed": 0}, "assessed"),
        ({"attendees": 5, "assessed": 4, "passed": 5}, "passed"),
        ({"attendees": -1}, "attendees"),
        ({"attendees": 10**6}, "attendees"),
        ({"attendees": "12"}, "attendees"),
    ):
        with pytest.raises(ValidationError) as exc:
            do_record_attendance(
                actor=officer, session=session, institution=personas.township_a, **numbers
            )
        assert field in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        do_record_attendance(
            actor=officer, session=session, institution=personas.county_b, attendees=3
        )
    assert "institution" in exc.value.message_dict
    with pytest.raises(NotAllowed):
        do_record_attendance(
            actor=personas.doctor, session=session, institution=personas.township_a, attendees=3
        )
    assert not session.attendance.exists()


def test_a_course_cannot_start_after_its_first_session(personas, officer, today):
    course = do_create_course(
        actor=officer, provider=personas.county_a, title="课程", starts_on=today - days(30)
    )
    do_record_session(actor=officer, course=course, held_on=today - days(20), topic="x")
    with pytest.raises(ValidationError) as exc:
        do_update_course(actor=officer, course=course, title="课程", starts_on=today - days(10))
    assert (today - days(20)).isoformat() in exc.value.message_dict["starts_on"][0]
    do_update_course(
        actor=officer, course=course, title="课程（修订）", topic="胸痛", starts_on=today - days(25)
    )
    course.refresh_from_db()
    assert course.title == "课程（修订）" and course.starts_on == today - days(25)
    assert AuditEvent.objects.filter(action="outreach.course.update").count() == 1
