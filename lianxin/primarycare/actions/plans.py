"""Follow-up plans: open one, move its due date after a visit, close it; the care plan of a
down-referral becomes the team's plan when the referral reaches the team."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from lianxin.core import audit
from lianxin.core.workflow import Status, create_item, transition
from lianxin.primarycare.models import (
    CARE_PLAN,
    Contract,
    ContractStatus,
    FollowUpPlan,
    Team,
    TeamVillage,
    end_of_day,
)


def open_plan(
    *,
    contract: Contract | None,
    programme: str,
    next_due_on: datetime.date,
    actor: Any,
    site: int | None,
    team: Team | None = None,
    patient: Any = None,
    referral: Any = None,
    anchor_on: datetime.date | None = None,
    step: int = 0,
) -> FollowUpPlan:
    """Open a plan as the platform on the team's behalf (the team's centre requests, the village
    clinic performs); the actor who caused it is recorded in its history and audit rows."""
    team = team or contract.team
    patient = patient or contract.patient
    village_id = contract.village_id if contract is not None else None
    return create_item(
        FollowUpPlan,
        actor=actor,
        as_system=True,
        acting_for=site,
        status=Status.IN_PROGRESS,
        patient=patient,
        team=team,
        contract=contract,
        programme=programme,
        referral=referral,
        next_due_on=next_due_on,
        anchor_on=anchor_on,
        step=step,
        requester_institution_id=team.institution_id,
        performer_institution_id=village_id or team.institution_id,
    )


def move_due(plan: FollowUpPlan, next_due_on: datetime.date | None, **fields: Any) -> None:
    """Set the next due date after a visit: the item is no longer overdue, its escalation starts
    over (as a workflow transition would reset it)."""
    plan.next_due_on = next_due_on
    plan.due_at = end_of_day(next_due_on) if next_due_on else None
    plan.escalation_level = 0
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save(update_fields=["next_due_on", "due_at", "escalation_level", "updated_at", *fields])


def close_plan(plan: FollowUpPlan, step: str, *, actor: Any, reason: str = "") -> FollowUpPlan:
    """Complete or cancel a plan as the platform, recording who caused it."""
    return transition(plan, step, actor=actor, as_system=True, reason=reason)


def team_for_site(institution_id: int) -> Team | None:
    """The active team based at, or serving, an institution."""
    served = TeamVillage.objects.filter(village_id=institution_id, team__is_active=True).first()
    if served is not None:
        return served.team
    return Team.objects.filter(institution_id=institution_id, is_active=True).order_by("pk").first()


def take_care_plan(referral: Any, *, actor: Any) -> FollowUpPlan | None:
    """A down-referral with a care plan reached a team's centre or village: the team follows it.
    Its items stay the referral's own; the plan is due when the earliest open item is."""
    if FollowUpPlan.objects.filter(referral=referral).exists():
        return None
    team = team_for_site(referral.performer_institution_id)
    first = (
        referral.follow_ups.filter(done_at__isnull=True)
        .order_by("due_on")
        .values_list("due_on", flat=True)
    ).first()
    if team is None or first is None:
        return None
    contract = (
        Contract.objects.filter(patient=referral.patient, status=ContractStatus.ACTIVE)
        .order_by("-starts_on")
        .first()
    )
    with transaction.atomic():
        plan = create_item(
            FollowUpPlan,
            actor=actor,
            as_system=True,
            acting_for=referral.performer_institution_id,
            status=Status.IN_PROGRESS,
            note=_("Care plan of the down-referral from %(inst)s")
            % {"inst": referral.requester_institution},
            patient=referral.patient,
            team=team,
            contract=contract if contract and contract.team_id == team.pk else None,
            programme=CARE_PLAN,
            referral=referral,
            next_due_on=first,
            requester_institution_id=team.institution_id,
            performer_institution_id=referral.performer_institution_id,
        )
        audit.record(
            "primarycare.care_plan.take",
            actor=actor,
            target=plan,
            institution=referral.performer_institution_id,
            after={"referral": str(referral.external_id), "first_due": first},
        )
    return plan
