"""The demo county's family-doctor year."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db.models import Count
from django.utils import timezone

from lianxin.core.workflow import Status
from lianxin.demo.context import DemoOptions
from lianxin.primarycare import figures, queries
from lianxin.primarycare.models import (
    CARE_PLAN,
    Contract,
    FollowUpPlan,
    Team,
    TeamMember,
    TeamVillage,
    Visit,
)
from lianxin.primarycare.rules import TeamRole
from lianxin.testing.demo import module_county

pytestmark = pytest.mark.django_db

SMALL = DemoOptions(residents=800, villages=22, seed=7)


county = module_county(SMALL, run_on_commit=True)


def test_every_township_has_a_team_with_a_lead_and_every_village_is_served(county):
    assert set(Team.objects.values_list("institution_id", flat=True)) == {
        t.pk for t in county.townships
    }
    assert TeamVillage.objects.count() == len(county.villages)
    leads = TeamMember.objects.filter(role=TeamRole.LEAD).values("team").annotate(n=Count("pk"))
    assert {row["n"] for row in leads} == {1}
    assert Team.objects.count() == leads.count()


def test_contracts_cover_a_realistic_share_with_key_populations_higher(county):
    result = figures.compute(Team.objects.select_related("institution"), SMALL.today.year)
    totals = result.totals
    assert 20 <= totals["contract_rate"] <= 50
    assert totals["key_contract_rate"] > totals["contract_rate"] + 20
    assert totals["htn_managed"] > 0 and 0 < totals["htn_control_rate"] < 100
    assert 0 < totals["on_time_rate"] < 100
    assert Contract.objects.values("patient").annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_a_year_of_follow_ups_with_some_overdue_and_escalated(county):
    plans = FollowUpPlan.objects.filter(status=Status.IN_PROGRESS).exclude(programme=CARE_PLAN)
    overdue = plans.overdue()
    assert Visit.objects.count() > plans.count()
    assert 0 < overdue.count() < plans.count() / 3
    assert overdue.filter(escalation_level__gte=1).exists()
    # Every visit lies inside its contract's period.
    for visit in Visit.objects.select_related("contract")[:200]:
        assert visit.contract.starts_on <= visit.visited_at.date() <= visit.contract.ends_on


def test_the_80_year_olds_post_operative_plan_is_on_the_village_doctors_list(county):
    village_user = county.accounts["village"][0]
    plan = FollowUpPlan.objects.get(programme=CARE_PLAN, referral__diagnosis_code="K40.9")
    assert plan.patient.age_on() >= 80
    assert plan.referral.status == Status.ACCEPTED
    assert plan.referral.follow_ups.count() == 4
    week = queries.week(village_user)
    assert plan in week.discharged
    lead = county.accounts["township"][0]
    assert plan.team.members.filter(role=TeamRole.LEAD, practitioner__user=lead).exists()


def test_children_and_pregnancies_follow_their_schedules_in_the_demo(county):
    from lianxin.primarycare import assess
    from lianxin.primarycare.models import Assessment

    for programme in ("child", "pregnant"):
        plans = FollowUpPlan.objects.filter(programme=programme)
        assert plans.exists(), programme
        for plan in plans.filter(status=Status.IN_PROGRESS)[:50]:
            assert plan.next_due_on == assess.scheduled_due(programme, plan.anchor_on, plan.step)
        assert Assessment.objects.filter(plan__programme=programme).exists()
    child = FollowUpPlan.objects.filter(programme="child").select_related("patient").first()
    assert child.anchor_on == child.patient.birth_date


def test_nothing_the_year_writes_is_dated_after_the_build(county):
    # Built with today's date, the year's last day includes today: its contracts, plans and
    # visits happened before the build, whatever the hour (a build at 03:00 once signed
    # contracts "at 13:43").
    latest = timezone.now()
    for model in (Contract, FollowUpPlan, Visit):
        assert not model.objects.filter(created_at__gt=latest).exists(), model.__name__
        assert not model.objects.filter(updated_at__gt=latest).exists(), model.__name__
    assert not Visit.objects.filter(visited_at__gt=latest).exists()


def test_a_working_hours_moment_of_today_is_never_later_than_now():
    import random

    from lianxin.primarycare.demo import _at

    early = timezone.make_aware(datetime.datetime(2026, 3, 2, 3, 0))
    with time_machine.travel(early, tick=False):
        moments = [_at(early.date(), random.Random(n)) for n in range(50)]
    assert max(moments) < early
    assert timezone.localtime(min(moments)).date() == early.date()
