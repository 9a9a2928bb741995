"""The scheduled programmes of 规范(第三版): a child's check-ups from birth to six, a pregnancy's
visits from the last menstrual period to the 42-day postpartum check; due dates under clock
control, the measurements each visit needs, and the end of the schedule."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.models import Notification
from lianxin.core.workflow import Status, escalate_overdue
from lianxin.patients.models import Sex
from lianxin.primarycare import assess
from lianxin.primarycare.actions import (
    VisitInput,
    do_record_key_population,
    do_record_visit,
    do_sign_contract,
)
from lianxin.primarycare.assess import Measurements
from lianxin.primarycare.models import FollowUpPlan, KeyPopulation
from lianxin.primarycare.rules import GUIDE, SCHEDULES, Population
from lianxin.testing.factories import PatientFactory, register_at

pytestmark = pytest.mark.django_db


def resident(personas, born: datetime.date, sex: str = Sex.MALE):
    patient = PatientFactory(
        birth_date=born, sex=sex, division_code=personas.village_a.division_code
    )
    register_at(patient, personas.township_a)
    return patient


def contract_for(personas, family, patient, starts_on=None):
    return do_sign_contract(
        starts_on=starts_on,
        actor=personas.doctor,
        patient=patient,
        team=family.team,
        doctor_member=family.lead,
        packages=[family.basic],
        consent_method="guardian",
        consent_by="母亲",
    )


def visit(actor, contract, at, plans, **m):
    return do_record_visit(
        actor=actor,
        contract=contract,
        plans=plans,
        data=VisitInput(visited_at=at, mode="home", measurements=Measurements(**m)),
    )


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def test_every_scheduled_visit_cites_the_specification_and_the_windows_follow_in_order():
    for programme, schedule in SCHEDULES.items():
        assert programme in (Population.CHILD, Population.PREGNANT)
        assert all(GUIDE in v.source and v.starts <= v.due for v in schedule)
        assert [v.starts for v in schedule] == sorted(v.starts for v in schedule)
    assert len(SCHEDULES[Population.CHILD]) == 13  # newborn, month, 8 infant, 3 preschool
    assert len(SCHEDULES[Population.PREGNANT]) == 7  # 5 antenatal, 2 postpartum


def test_a_newborns_check_ups_are_due_by_the_specifications_ages(personas, family):
    born = timezone.localdate() - datetime.timedelta(days=6)
    baby = resident(personas, born)
    contract = contract_for(personas, family, baby, starts_on=born)
    plan = FollowUpPlan.objects.get(patient=baby, programme=Population.CHILD)
    assert plan.anchor_on == born and plan.step == 0
    assert plan.next_due_on == born + datetime.timedelta(days=7)  # 新生儿家庭访视, 1 week
    assert plan.performer_institution == personas.village_a
    # Weight and length are what a child's check-up measures.
    with pytest.raises(ValidationError) as err:
        visit(family.villager, contract, noon(born + datetime.timedelta(days=4)), [plan])
    assert {"weight_kg", "height_cm"} <= set(err.value.message_dict)
    v = visit(
        family.villager,
        contract,
        noon(born + datetime.timedelta(days=4)),
        [plan],
        weight_kg=Decimal("3.4"),
        height_cm=Decimal("51"),
    )
    plan.refresh_from_db()
    assert v.assessments.get().on_time
    assert plan.step == 1 and plan.next_due_on == born + datetime.timedelta(days=30)


def test_a_late_check_up_is_overdue_escalates_and_counts_for_the_windows_it_spans(
    personas, family, django_capture_on_commit_callbacks
):
    born = timezone.localdate() - datetime.timedelta(days=3)
    baby = resident(personas, born)
    contract = contract_for(personas, family, baby)
    plan = FollowUpPlan.objects.get(patient=baby, programme=Population.CHILD)
    late = noon(born + datetime.timedelta(days=9))
    with time_machine.travel(late, tick=False):
        assert plan.is_overdue()
        with django_capture_on_commit_callbacks(execute=True):
            escalate_overdue(now=late)
        assert Notification.objects.filter(recipient=personas.doctor, verb="primarycare.overdue")
        # The newborn visit on day 9 is late; the one-month check's window (28-30) has not
        # opened yet, so it is still owed.
        v = visit(family.villager, contract, late, [plan], weight_kg=Decimal("3.6"), height_cm=52)
    plan.refresh_from_db()
    assert not v.assessments.get().on_time
    assert plan.step == 1 and plan.escalation_level == 0
    # A visit at 7 months meets the one-month, 3- and 6-month check-ups: the 8-month one is next.
    seven_months = noon(born + datetime.timedelta(days=213))
    with time_machine.travel(seven_months, tick=False):
        visit(family.villager, contract, seven_months, [plan], weight_kg=Decimal("8"), height_cm=68)
    plan.refresh_from_db()
    assert SCHEDULES["child"][plan.step].code == "infant_8m"
    assert plan.next_due_on == born + datetime.timedelta(days=round(8 * 30.44) + 30)


def test_a_child_who_joins_at_two_starts_at_the_next_check_up_and_the_schedule_ends_at_six(
    personas, family
):
    today = timezone.localdate()
    born = today - datetime.timedelta(days=round(26 * 30.44))
    assert SCHEDULES["child"][assess.first_step("child", born, today)].code == "infant_30m"
    six = today - datetime.timedelta(days=round(6 * 365.25) + 10)
    last = len(SCHEDULES["child"]) - 1
    assert assess.first_step("child", six, today) == last
    child = resident(personas, six)
    contract = contract_for(personas, family, child)
    plan = FollowUpPlan.objects.get(patient=child, programme=Population.CHILD)
    assert plan.step == last
    visit(family.villager, contract, timezone.now(), [plan], weight_kg=21, height_cm=116)
    plan.refresh_from_db()
    assert plan.status == Status.COMPLETED and plan.next_due_on is None


def test_a_pregnancy_is_recorded_with_the_last_period_and_its_visits_follow_the_weeks(
    personas, family
):
    today = timezone.localdate()
    woman = resident(personas, datetime.date(1996, 3, 2), sex=Sex.FEMALE)
    contract = contract_for(personas, family, woman)
    with pytest.raises(ValidationError) as err:
        do_record_key_population(actor=family.villager, contract=contract, population="pregnant")
    assert "last menstrual period" in str(err.value.message_dict["since"])
    with pytest.raises(ValidationError):
        do_record_key_population(
            actor=family.villager,
            contract=contract,
            population="pregnant",
            since=today - datetime.timedelta(days=400),
        )
    lmp = today - datetime.timedelta(weeks=10)
    do_record_key_population(
        actor=family.villager, contract=contract, population="pregnant", since=lmp
    )
    plan = FollowUpPlan.objects.get(patient=woman, programme=Population.PREGNANT)
    assert plan.anchor_on == lmp and plan.next_due_on == lmp + datetime.timedelta(days=90)
    with pytest.raises(ValidationError) as err:
        visit(family.villager, contract, timezone.now(), [plan], weight_kg=Decimal("55"))
    assert "systolic" in err.value.message_dict  # a pregnancy visit measures the BP
    visit(
        family.villager, contract, timezone.now(), [plan], systolic=112, diastolic=70, weight_kg=55
    )
    plan.refresh_from_db()
    assert plan.step == 1 and plan.next_due_on == lmp + datetime.timedelta(weeks=21, days=-1)
    # A visit at 14 weeks, before the 16-20 week window opens, leaves that visit due.
    week_14 = noon(lmp + datetime.timedelta(weeks=14))
    with time_machine.travel(week_14, tick=False):
        visit(family.villager, contract, week_14, [plan], systolic=110, diastolic=70, weight_kg=56)
    plan.refresh_from_db()
    assert plan.step == 1


def test_the_42_day_check_ends_the_pregnancy_care(personas, family):
    today = timezone.localdate()
    woman = resident(personas, datetime.date(1994, 8, 9), sex=Sex.FEMALE)
    contract = contract_for(personas, family, woman)
    lmp = today - datetime.timedelta(days=280 + 44)
    do_record_key_population(
        actor=family.villager, contract=contract, population="pregnant", since=lmp
    )
    plan = FollowUpPlan.objects.get(patient=woman, programme=Population.PREGNANT)
    assert SCHEDULES["pregnant"][plan.step].code == "postpartum_42"
    visit(
        family.villager, contract, timezone.now(), [plan], systolic=118, diastolic=76, weight_kg=58
    )
    plan.refresh_from_db()
    assert plan.status == Status.COMPLETED
    assert not KeyPopulation.objects.current().filter(patient=woman, population="pregnant")


def test_a_man_is_not_recorded_as_pregnant(personas, family):
    man = resident(personas, datetime.date(1990, 1, 1))
    contract = contract_for(personas, family, man)
    with pytest.raises(ValidationError) as err:
        do_record_key_population(
            actor=family.villager,
            contract=contract,
            population="pregnant",
            since=timezone.localdate() - datetime.timedelta(weeks=8),
        )
    assert "woman" in str(err.value.message_dict["population"])


def test_the_yearly_check_of_the_elderly_is_due_a_year_after_the_last(personas, family):
    old = resident(personas, datetime.date(1950, 6, 1))
    contract = contract_for(personas, family, old)
    plan = FollowUpPlan.objects.get(patient=old, programme=Population.ELDERLY)
    day = timezone.localdate()
    visit(family.villager, contract, timezone.now(), [plan], systolic=132, diastolic=80)
    plan.refresh_from_db()
    assert plan.next_due_on == day + datetime.timedelta(days=365)
