"""The demo county's year of referrals and consultations."""

from __future__ import annotations

import datetime
import itertools

import pytest

from lianxin.core.access import access_for
from lianxin.core.workflow import CLOSED_STATUSES, OPEN_STATUSES, Status
from lianxin.demo.context import DemoOptions
from lianxin.patients.models import CareRelationship, Patient
from lianxin.referrals.demo import anchor_time
from lianxin.referrals.models import (
    AppointmentSlot,
    Consultation,
    ConsultationTransition,
    FollowUpItem,
    GreenChannelEvent,
    Referral,
    ReferralTransition,
)
from lianxin.referrals.queries import worklist
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 1)
SMALL = DemoOptions(residents=600, villages=22, seed=7, today=TODAY)
# What the referral actions can leave a referral in (no action puts one on hold, fails one in
# progress or enters one in error).
REFERRAL_STATUSES = {
    Status.DRAFT,
    Status.REQUESTED,
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.COMPLETED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.FAILED,
}
# Signing an opinion starts and completes a consultation in one action.
CONSULTATION_STATUSES = {
    Status.REQUESTED,
    Status.ACCEPTED,
    Status.COMPLETED,
    Status.REJECTED,
    Status.CANCELLED,
}


county = module_county(SMALL)


@pytest.fixture
def now():
    return anchor_time(TODAY)


def test_referrals_are_in_every_status_the_actions_can_leave_them_in(county):
    assert set(Referral.objects.values_list("status", flat=True)) == REFERRAL_STATUSES
    assert set(Referral.objects.values_list("direction", flat=True)) == {"up", "down"}
    closed = Referral.objects.filter(status__in=CLOSED_STATUSES).count()
    completed = Referral.objects.filter(status=Status.COMPLETED).count()
    assert completed > 0.7 * closed


def test_the_year_scales_with_the_residents(county, now):
    ups = Referral.objects.filter(direction="up").count()
    assert 0.3 * 600 < ups < 0.7 * 600
    oldest = Referral.objects.order_by("created_at").first().created_at
    assert now - datetime.timedelta(days=366) < oldest < now - datetime.timedelta(days=300)
    assert not Referral.objects.filter(created_at__gt=now).exists()


def test_some_open_referrals_are_overdue_and_escalated(county, now):
    overdue = Referral.objects.overdue(now)
    assert overdue.exists()
    assert Referral.objects.open().filter(escalation_level__gt=0).exists()
    escalations = ReferralTransition.objects.filter(name="escalate")
    assert escalations.exists()
    assert not escalations.filter(escalation_level__gt=2).exists()


def test_closed_items_have_no_due_time_and_open_ones_do(county):
    for model in (Referral, Consultation):
        assert not model.objects.filter(status__in=CLOSED_STATUSES, due_at__isnull=False).exists()
        assert not model.objects.filter(
            status__in=OPEN_STATUSES - {Status.DRAFT}, due_at__isnull=True
        ).exists()


@pytest.mark.parametrize(
    ("model", "history"),
    [(Referral, ReferralTransition), (Consultation, ConsultationTransition)],
)
def test_history_starts_with_create_and_ends_in_the_items_status(county, model, history):
    rows: dict[int, list[tuple]] = {}
    for row in history.objects.order_by("item_id", "at", "id").values_list(
        "item_id", "name", "from_status", "to_status", "version", "at"
    ):
        rows.setdefault(row[0], []).append(row[1:])
    items = model.objects.values_list("id", "status", "version", "status_changed_at", "created_at")
    assert items
    for pk, status, version, changed_at, created_at in items:
        steps = rows[pk]
        assert steps[0][0] == "create" and steps[0][1] == ""
        assert steps[0][4] == created_at
        assert steps[-1][2] == status
        moves = [s for s in steps if s[0] != "escalate"]
        assert moves[-1][3] == version == len(moves)
        assert moves[-1][4] == changed_at
        for before, after in itertools.pairwise(moves):
            assert after[1] == before[2], (pk, steps)
            assert after[4] >= before[4]


def test_consultations_are_completed_and_rated(county):
    assert set(Consultation.objects.values_list("status", flat=True)) == CONSULTATION_STATUSES
    rated = Consultation.objects.filter(status=Status.COMPLETED, rating__isnull=False)
    assert rated.exists()
    assert not rated.filter(opinion="").exists()
    assert not rated.filter(signed_by__isnull=True).exists()
    assert all(r.rated_at > r.signed_at for r in rated)
    assert not Consultation.objects.exclude(status=Status.COMPLETED).exclude(rating=None).exists()


def test_completed_referrals_carry_an_outcome_in_chinese(county):
    done = Referral.objects.filter(status=Status.COMPLETED)
    assert not done.filter(outcome_summary="").exists()
    assert not done.filter(outcome_at__isnull=True).exists()
    up = done.filter(direction="up").first()
    assert up.diagnosis_code in up.outcome_summary and "出院" in up.outcome_summary
    assert not Referral.objects.exclude(status=Status.COMPLETED).exclude(outcome_at=None).exists()


def test_down_referrals_follow_an_up_referral_with_a_care_plan(county):
    sent_down = Referral.objects.filter(direction="down").exclude(status=Status.DRAFT)
    assert sent_down.exists()
    for down in sent_down.select_related("follows"):
        assert down.follows.direction == "up" and down.follows.status == Status.COMPLETED
        assert down.performer_institution_id == down.follows.requester_institution_id
        assert down.follow_ups.exists()
    done = FollowUpItem.objects.filter(
        referral__status=Status.COMPLETED, referral__direction="down"
    )
    assert done.exists() and not done.filter(done_at__isnull=True).exists()
    assert not FollowUpItem.objects.filter(done_at__isnull=False, result="").exists()


def test_emergencies_have_their_green_channel_milestones_in_order(county):
    arrived = Referral.objects.filter(urgency="emergency", status=Status.COMPLETED)
    assert arrived.exists()
    for referral in arrived:
        times = dict(referral.milestones.values_list("milestone", "at"))
        assert times["decision"] <= times["arrival"] <= times["treatment_start"]
    assert not GreenChannelEvent.objects.exclude(referral__urgency="emergency").exists()


def test_receiving_sites_see_their_patients_while_the_referral_needs_it(county, now):
    open_items = Referral.objects.open().exclude(status=Status.DRAFT)
    for referral in open_items:
        assert CareRelationship.objects.filter(
            patient_id=referral.patient_id,
            institution_id=referral.performer_institution_id,
            source_id=str(referral.external_id),
            ends_at__isnull=True,
        ).exists()
    assert not CareRelationship.objects.filter(
        source_id__in=[
            str(r)
            for r in Referral.objects.filter(status=Status.DRAFT).values_list(
                "external_id", flat=True
            )
        ]
    ).exists()


def test_the_specialist_finds_incoming_work_including_an_emergency(county):
    user = county.accounts["specialist"][0]
    access = access_for(user)
    mine = worklist(
        Referral.objects.visible_to(user),
        box="incoming",
        access=access,
        status="open",
        department_ids=access.department_ids,
    )
    assert mine.exists()
    assert mine.filter(urgency="emergency").exists()
    patient = mine.first().patient
    assert Patient.objects.visible_to(user).filter(pk=patient.pk).exists()


def test_the_township_doctor_has_a_down_referral_under_way(county):
    user = county.accounts["township"][0]
    incoming = worklist(
        Referral.objects.visible_to(user), box="incoming", access=access_for(user), status="open"
    )
    assert incoming.filter(direction="down").exists()


def test_slots_are_published_for_the_coming_two_weeks_and_some_are_booked(county, now):
    future = AppointmentSlot.objects.filter(starts_at__gt=now)
    assert future.filter(referral__isnull=True).count() > 100
    assert future.filter(referral__status=Status.ACCEPTED).exists()
    assert not future.filter(starts_at__gt=now + datetime.timedelta(days=15)).exists()
    booked = AppointmentSlot.objects.filter(referral__isnull=False).select_related("referral")
    for slot in booked:
        assert slot.referral.performer_department_id == slot.department_id
        assert slot.booked_at < slot.starts_at
