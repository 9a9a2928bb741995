"""The referral loop: up with a booked slot and back down with a care plan, through the actions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import ActionError, Conflict, NotAllowed
from lianxin.core.models import AuditEvent, Notification
from lianxin.core.workflow import Status, escalate_overdue
from lianxin.patients.models import Patient
from lianxin.referrals.actions import (
    do_accept_referral,
    do_cancel_referral,
    do_complete_referral,
    do_create_referral,
    do_publish_slots,
    do_receive_referral,
    do_record_arrival,
    do_record_follow_up,
    do_record_milestone,
    do_reject_referral,
    do_submit_referral,
)
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.models import AppointmentSlot, Referral

pytestmark = pytest.mark.django_db


def _refer_up(personas, cardiology=None, **extra):
    fields = {
        "actor": personas.doctor,
        "patient": personas.patient,
        "direction": "up",
        "performer_institution": personas.county_a,
        "performer_department": cardiology,
        "reason": "胸痛反复发作，需冠脉评估",
        "diagnosis_code": "I20.0",
        "diagnosis_text": "不稳定型心绞痛",
    }
    fields.update(extra)
    return do_create_referral(**fields)


def test_a_township_doctor_refers_up_and_the_county_sees_the_patient(personas, cardiology):
    assert not Patient.objects.visible_to(personas.specialist).exists()
    referral = _refer_up(personas, cardiology)
    assert referral.status == Status.REQUESTED and referral.requester == personas.doctor
    assert referral.requester_institution == personas.township_a
    assert referral.due_at is not None
    assert Patient.objects.visible_to(personas.specialist).filter(pk=personas.patient.pk).exists()
    assert referral.transitions.count() == 1
    assert AuditEvent.objects.filter(action="referrals.referral.create").count() == 1


def test_the_receiving_department_is_notified(
    personas, cardiology, head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _refer_up(personas, cardiology)
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"specialist", "head"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"diagnosis_text": ""}, "diagnosis_text"),
        ({"diagnosis_code": "chest pain"}, "diagnosis_code"),
        ({"urgency": "whenever"}, "urgency"),
        ({"direction": "down"}, "direction"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(
    personas, cardiology, extra, field
):
    with pytest.raises(ValidationError) as info:
        _refer_up(personas, cardiology, **extra)
    assert field in info.value.message_dict
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="referrals").exists()


def test_an_unknown_patient_is_refused(personas, cardiology):
    from lianxin.testing.factories import PatientFactory

    stranger = PatientFactory(name="陌生人")
    with pytest.raises(ValidationError) as info:
        _refer_up(personas, cardiology, patient=stranger)
    assert "patient" in info.value.message_dict


def test_a_referral_outside_the_community_is_refused(personas):
    with pytest.raises(ValidationError) as info:
        _refer_up(personas, performer_institution=personas.county_b)
    assert "performer_institution" in info.value.message_dict


def test_a_department_of_another_institution_is_refused(personas, cardiology):
    with pytest.raises(ValidationError):
        _refer_up(personas, performer_department=personas.department_a)


def test_accepting_with_a_slot_books_it_and_the_loop_closes_with_the_outcome(
    personas, cardiology, head, tomorrow_9, django_capture_on_commit_callbacks
):
    slots = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=20, count=3
    )
    referral = _refer_up(personas, cardiology)
    with django_capture_on_commit_callbacks(execute=True):
        do_accept_referral(actor=personas.specialist, referral=referral, slot=slots[0])
    referral.refresh_from_db()
    assert referral.status == Status.ACCEPTED and referral.business_status == "booked"
    assert referral.slot == slots[0] and referral.owner == personas.specialist
    # Overdue one day after the slot if the patient does not come.
    assert referral.due_at == slots[0].ends_at + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        do_record_arrival(actor=personas.specialist, referral=referral)
    assert referral.status == Status.IN_PROGRESS and referral.business_status == "arrived"
    with django_capture_on_commit_callbacks(execute=True):
        do_complete_referral(
            actor=personas.specialist,
            referral=referral,
            outcome_summary="冠脉造影示单支病变，PCI 术后出院",
        )
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED and referral.outcome_at is not None
    assert referral.due_at is None
    names = list(referral.transitions.values_list("name", flat=True))
    assert names == ["create", "accept_direct", "start", "complete"]
    # The referring doctor hears about every answer.
    titles = list(
        Notification.objects.filter(recipient=personas.doctor).values_list("verb", "title")
    )
    assert len(titles) == 3, titles


def test_discharge_of_an_up_referral_proposes_the_down_referral(personas, cardiology):
    referral = _refer_up(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral)
    do_record_arrival(actor=personas.specialist, referral=referral)
    do_complete_referral(actor=personas.specialist, referral=referral, outcome_summary="好转出院")
    proposal = Referral.objects.get(follows=referral)
    assert proposal.status == Status.DRAFT and proposal.direction == "down"
    assert proposal.requester_institution == personas.county_a
    assert proposal.performer_institution == personas.township_a
    # Sending it needs a care plan.
    with pytest.raises(ValidationError):
        do_submit_referral(actor=personas.specialist, referral=proposal)
    due = timezone.localdate() + datetime.timedelta(days=14)
    do_submit_referral(
        actor=personas.specialist,
        referral=proposal,
        follow_ups=[PlanItem("visit", "两周后复诊，查心电图", due)],
    )
    assert proposal.status == Status.REQUESTED


def test_a_down_referral_closes_when_its_care_plan_is_done(
    personas, cardiology, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    referral = do_create_referral(
        actor=personas.specialist,
        patient=_county_patient(personas),
        direction="down",
        performer_institution=personas.township_a,
        reason="出院后继续管理",
        diagnosis_text="高血压病",
        follow_ups=[
            PlanItem("visit", "一周后测血压", today + datetime.timedelta(days=7)),
            PlanItem("medication", "一月后药物评估", today + datetime.timedelta(days=30)),
        ],
    )
    do_accept_referral(actor=personas.doctor, referral=referral)
    first, second = referral.follow_ups.all()
    do_record_follow_up(actor=personas.doctor, item=first, result="血压 135/85")
    referral.refresh_from_db()
    assert referral.status == Status.IN_PROGRESS
    with pytest.raises(Conflict):
        do_record_follow_up(actor=personas.doctor, item=first, result="again")
    with django_capture_on_commit_callbacks(execute=True):
        do_record_follow_up(actor=personas.doctor, item=second, result="继续原方案")
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED
    assert "继续原方案" in referral.outcome_summary
    assert Notification.objects.filter(recipient=personas.specialist, verb="complete").exists()


def _county_patient(personas):
    # A patient the county hospital knows: registered there too.
    from lianxin.testing.factories import register_at

    register_at(personas.patient, personas.county_a, mrn="ZY-1")
    return personas.patient


def test_a_down_referral_needs_a_care_plan(personas):
    with pytest.raises(ValidationError) as info:
        do_create_referral(
            actor=personas.specialist,
            patient=_county_patient(personas),
            direction="down",
            performer_institution=personas.township_a,
            reason="出院",
            diagnosis_text="高血压病",
        )
    assert "follow_ups" in info.value.message_dict


def test_a_rejection_needs_a_reason_and_ends_the_access(personas, cardiology):
    referral = _refer_up(personas, cardiology)
    with pytest.raises(ValidationError):
        do_reject_referral(actor=personas.specialist, referral=referral, reason=" ")
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED
    do_reject_referral(actor=personas.specialist, referral=referral, reason="本院无此专科床位")
    assert referral.status == Status.REJECTED
    assert not Patient.objects.visible_to(personas.specialist).exists()


def test_the_referring_side_cannot_accept_its_own_referral(personas, cardiology):
    referral = _refer_up(personas, cardiology)
    with pytest.raises(NotAllowed):
        do_accept_referral(actor=personas.doctor, referral=referral)
    with pytest.raises(NotAllowed):
        do_accept_referral(actor=personas.outsider, referral=referral)


def test_a_transition_not_allowed_from_the_state_is_a_clear_error(personas, cardiology):
    referral = _refer_up(personas, cardiology)
    with pytest.raises(ActionError) as info:
        do_record_arrival(actor=personas.specialist, referral=referral)
    assert "Requested" in str(info.value)
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED


def test_a_slot_in_the_past_cannot_be_booked(personas, cardiology, head, tomorrow_9):
    (slot,) = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=30, count=1
    )
    AppointmentSlot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=2),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    slot.refresh_from_db()
    referral = _refer_up(personas, cardiology)
    with pytest.raises(ValidationError) as info:
        do_accept_referral(actor=personas.specialist, referral=referral, slot=slot)
    assert "slot" in info.value.message_dict
    referral.refresh_from_db()
    assert referral.status == Status.REQUESTED
    slot.refresh_from_db()
    assert slot.referral is None


def test_a_booked_slot_is_not_booked_twice(personas, cardiology, head, tomorrow_9):
    (slot,) = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=30, count=1
    )
    first, second = _refer_up(personas, cardiology), _refer_up(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=first, slot=slot)
    with pytest.raises(Conflict):
        do_accept_referral(actor=personas.specialist, referral=second, slot=slot)
    second.refresh_from_db()
    assert second.status == Status.REQUESTED


def test_publishing_slots_needs_the_right_and_a_future_time(personas, cardiology, head, tomorrow_9):
    with pytest.raises(NotAllowed):
        do_publish_slots(
            actor=personas.doctor, department=cardiology, starts_at=tomorrow_9, minutes=20, count=1
        )
    with pytest.raises(ValidationError):
        do_publish_slots(
            actor=head,
            department=cardiology,
            starts_at=timezone.now() - datetime.timedelta(days=1),
            minutes=20,
            count=1,
        )


def test_cancelling_releases_the_slot(personas, cardiology, head, tomorrow_9):
    (slot,) = do_publish_slots(
        actor=head, department=cardiology, starts_at=tomorrow_9, minutes=30, count=1
    )
    referral = _refer_up(personas, cardiology)
    do_accept_referral(actor=personas.specialist, referral=referral, slot=slot)
    do_cancel_referral(actor=personas.doctor, referral=referral, reason="患者改去市医院")
    slot.refresh_from_db()
    assert slot.is_free


def test_an_emergency_referral_is_urgent_and_keeps_a_timeline(
    personas, cardiology, duty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = _refer_up(personas, cardiology, urgency="emergency")
    assert referral.due_at - referral.created_at <= datetime.timedelta(minutes=15)
    urgent = Notification.objects.filter(urgent=True)
    assert {n.recipient.username for n in urgent} >= {"specialist", "duty"}
    do_record_milestone(actor=personas.doctor, referral=referral, milestone="departure")
    do_receive_referral(actor=personas.specialist, referral=referral)
    do_accept_referral(actor=personas.specialist, referral=referral)
    do_record_arrival(actor=personas.specialist, referral=referral)
    do_record_milestone(actor=personas.specialist, referral=referral, milestone="treatment_start")
    milestones = list(referral.milestones.values_list("milestone", flat=True))
    assert milestones == ["decision", "departure", "arrival", "treatment_start"]
    with pytest.raises(ActionError):
        do_record_milestone(actor=personas.doctor, referral=referral, milestone="departure")


def test_an_overdue_referral_escalates_to_the_head_then_the_duty_officer(
    personas, cardiology, head, duty, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now(), tick=False)
    referral = _refer_up(personas, cardiology)
    Notification.objects.all().delete()
    time_machine.shift(datetime.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue() == 1
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["head"]
    time_machine.shift(datetime.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue() == 1
    assert Notification.objects.filter(recipient=duty, verb="overdue").exists()
    referral.refresh_from_db()
    assert referral.escalation_level == 2


def test_a_long_care_plan_is_not_overdue_before_its_last_item(personas, cardiology):
    today = timezone.localdate()
    referral = do_create_referral(
        actor=personas.specialist,
        patient=_county_patient(personas),
        direction="down",
        performer_institution=personas.township_a,
        reason="出院后继续管理",
        diagnosis_text="2型糖尿病",
        follow_ups=[
            PlanItem("visit", "一月后复诊", today + datetime.timedelta(days=30)),
            PlanItem("test", "三月后查糖化血红蛋白", today + datetime.timedelta(days=90)),
        ],
    )
    do_accept_referral(actor=personas.doctor, referral=referral)
    first = referral.follow_ups.order_by("due_on").first()
    do_record_follow_up(actor=personas.doctor, item=first, result="血糖控制可")
    referral.refresh_from_db()
    assert referral.status == Status.IN_PROGRESS
    assert referral.due_at.date() >= today + datetime.timedelta(days=96)
