"""Recording follow-ups: control classes, due dates under clock control, referral triggers, bad
input, escalation of an overdue plan, and the care plan of a down-referral closed in the village."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import ActionError, NotAllowed
from lianxin.core.models import Notification
from lianxin.core.workflow import Status, escalate_overdue
from lianxin.primarycare.actions import (
    VisitInput,
    do_record_key_population,
    do_record_visit,
    do_terminate_contract,
)
from lianxin.primarycare.assess import Measurements
from lianxin.primarycare.models import FollowUpPlan
from lianxin.primarycare.tests.test_contracts import sign
from lianxin.referrals.actions import do_accept_referral, do_create_referral
from lianxin.referrals.actions.referrals import PlanItem
from lianxin.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(personas, family, today):
    contract = sign(personas, family, starts_on=today - datetime.timedelta(days=30))
    do_record_key_population(actor=personas.doctor, contract=contract, population="hypertension")
    return contract


def visit(actor, contract, at=None, mode="clinic", **m):
    return do_record_visit(
        actor=actor,
        contract=contract,
        data=VisitInput(
            visited_at=at or timezone.now(),
            mode=mode,
            measurements=Measurements(**m),
            medication="氨氯地平 5mg qd",
        ),
    )


def test_a_controlled_visit_sets_the_next_follow_up_three_months_on(personas, family, contract):
    later = timezone.now() + datetime.timedelta(days=10)
    with time_machine.travel(later, tick=False):
        v = visit(family.villager, contract, systolic=132, diastolic=84, weight_kg=Decimal("64"))
    plan = FollowUpPlan.objects.get(programme="hypertension")
    assessment = v.assessments.get(plan=plan)
    assert assessment.control == "controlled" and assessment.on_time
    assert plan.next_due_on == timezone.localdate(later) + datetime.timedelta(days=90)
    assert plan.due_at.astimezone(timezone.get_current_timezone()).date() == plan.next_due_on
    assert v.site == personas.village_a
    assert v.triggers == []


def test_twice_not_controlled_asks_for_a_referral_within_two_weeks(personas, family, contract):
    day = timezone.now()
    visit(
        family.villager, contract, at=day - datetime.timedelta(days=20), systolic=152, diastolic=92
    )
    v = visit(family.villager, contract, at=day, systolic=156, diastolic=95)
    plan = FollowUpPlan.objects.get(programme="hypertension")
    assert plan.uncontrolled_in_a_row == 2
    assert plan.next_due_on == timezone.localdate(day) + datetime.timedelta(days=14)
    assert "twice_uncontrolled" in v.triggers
    assert v.referral is not None and v.referral.urgency == "routine"


def test_bp_of_180_over_110_proposes_an_urgent_up_referral_with_the_visit(
    personas, family, contract
):
    v = visit(family.villager, contract, systolic=186, diastolic=112)
    referral = Referral.objects.get(pk=v.referral_id)
    assert "bp" in v.triggers
    assert referral.status == Status.DRAFT and referral.urgency == "urgent"
    assert referral.direction == "up" and referral.requester_institution == personas.village_a
    assert referral.performer_institution == personas.county_a
    assert "186/112" in referral.history_summary
    assert referral.attachments.count() == 1


def test_glucose_of_16_7_is_an_urgent_trigger_for_a_diabetic(personas, family, contract):
    do_record_key_population(actor=personas.doctor, contract=contract, population="diabetes")
    v = visit(personas.doctor, contract, systolic=130, diastolic=80, glucose=Decimal("16.7"))
    assert "glucose_high" in v.triggers
    classes = dict(v.assessments.values_list("plan__programme", "control"))
    assert classes == {"hypertension": "controlled", "diabetes": "uncontrolled", "elderly": ""}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"systolic": 400, "diastolic": 90}, "systolic"),
        ({"systolic": 80, "diastolic": 120}, "diastolic"),
        ({"systolic": 130}, "diastolic"),
        ({"systolic": 130, "diastolic": 80, "glucose": Decimal("0.2")}, "glucose"),
        ({"systolic": 130, "diastolic": 80, "weight_kg": Decimal("900")}, "weight_kg"),
        ({}, "systolic"),
    ],
)
def test_impossible_or_missing_measurements_are_refused_by_field(family, contract, values, field):
    with pytest.raises(ValidationError) as err:
        visit(family.villager, contract, **values)
    assert field in err.value.message_dict
    assert not contract.visits.exists()


def test_a_visit_on_a_terminated_contract_is_refused(personas, family, contract):
    do_terminate_contract(actor=personas.doctor, contract=contract, reason="request")
    contract.refresh_from_db()
    with pytest.raises(ActionError) as err:
        visit(family.villager, contract, systolic=130, diastolic=80)
    assert "terminated" in str(err.value)


def test_a_visit_in_the_future_is_refused(family, contract):
    with pytest.raises(ValidationError):
        visit(
            family.villager,
            contract,
            at=timezone.now() + datetime.timedelta(days=1),
            systolic=130,
            diastolic=80,
        )


def test_another_townships_doctor_cannot_record_a_visit(family, contract):
    with pytest.raises(NotAllowed):
        visit(family.rival, contract, systolic=130, diastolic=80)


def test_an_overdue_plan_escalates_to_the_lead_then_the_centre(
    personas, family, contract, django_capture_on_commit_callbacks
):
    plan = FollowUpPlan.objects.get(programme="hypertension")
    later = plan.due_at + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue(now=later) == 2  # hypertension and the elderly's yearly check
    plan.refresh_from_db()
    assert plan.escalation_level == 1
    assert Notification.objects.filter(recipient=personas.doctor, verb="primarycare.overdue")
    assert escalate_overdue(now=later) == 0  # not again at the same time
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue(now=later + datetime.timedelta(days=8))
    plan.refresh_from_db()
    assert plan.escalation_level == 2
    assert Notification.objects.filter(recipient=personas.admin, verb="primarycare.overdue")
    # A visit puts it back on time.
    visit(family.villager, contract, systolic=130, diastolic=80)
    plan.refresh_from_db()
    assert plan.escalation_level == 0 and not plan.is_overdue()


def test_a_down_referral_care_plan_done_in_the_village_closes_the_referral_loop(
    personas, family, contract, today, django_capture_on_commit_callbacks
):
    specialist = personas.specialist
    up = do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction="up",
        performer_institution=personas.county_a,
        reason="血压控制不佳",
        diagnosis_text="高血压",
    )
    do_accept_referral(actor=specialist, referral=up)
    with django_capture_on_commit_callbacks(execute=True):
        down = do_create_referral(
            actor=specialist,
            patient=personas.patient,
            direction="down",
            performer_institution=personas.township_a,
            reason="出院后随访",
            diagnosis_text="高血压",
            follow_ups=[
                PlanItem("visit", "出院后1周测血压", today + datetime.timedelta(days=7)),
                PlanItem("medication", "2周复查用药", today + datetime.timedelta(days=14)),
            ],
        )
    plan = FollowUpPlan.objects.get(referral=down)
    assert plan.programme == "care_plan" and plan.team == family.team
    assert plan.next_due_on == today + datetime.timedelta(days=7)
    assert Notification.objects.filter(recipient=personas.doctor, verb="primarycare.discharged")
    do_accept_referral(actor=personas.doctor, referral=down)
    items = list(down.follow_ups.order_by("due_on"))
    # The village doctor acts for the village clinic, not for the centre the plan went to.
    do_record_visit(
        actor=family.villager,
        contract=contract,
        plans=[],
        care_items=[items[0]],
        data=VisitInput(timezone.now(), "home", Measurements(systolic=128, diastolic=80)),
    )
    plan.refresh_from_db()
    assert plan.next_due_on == items[1].due_on
    do_record_visit(
        actor=family.villager,
        contract=contract,
        plans=[],
        care_items=[items[1]],
        data=VisitInput(timezone.now(), "home", Measurements(systolic=126, diastolic=78)),
    )
    down.refresh_from_db()
    plan.refresh_from_db()
    assert down.status == Status.COMPLETED
    assert "128/80" in down.outcome_summary
    assert plan.status == Status.COMPLETED


def test_an_outsider_is_not_a_delegate_for_the_care_plan(
    personas, family, contract, today, django_capture_on_commit_callbacks
):
    from lianxin.primarycare.actions.visits import may_record_for_referral
    from lianxin.testing.factories import register_at

    register_at(personas.patient, personas.county_a, "C1")
    with django_capture_on_commit_callbacks(execute=True):
        down = do_create_referral(
            actor=personas.specialist,
            patient=personas.patient,
            direction="down",
            performer_institution=personas.township_a,
            reason="出院后随访",
            diagnosis_text="高血压",
            follow_ups=[PlanItem("visit", "测血压", today + datetime.timedelta(days=7))],
        )
    assert may_record_for_referral(family.villager, down)
    assert not may_record_for_referral(family.rival, down)
    assert not may_record_for_referral(personas.outsider, down)
