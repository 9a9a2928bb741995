"""Reads for the pages: the "this week" list by village, a contract's page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lianxin.core.access import access_for
from lianxin.core.workflow import Status
from lianxin.network.models import Institution
from lianxin.primarycare.models import CARE_PLAN, FollowUpPlan, Team
from lianxin.primarycare.rules import NEWLY_DISCHARGED_DAYS

WEEK_LIMIT = 200  # rows on one page of the list (a village has a few dozen a week)


@dataclass
class Week:
    today: datetime.date
    ends_on: datetime.date
    village: Institution | None
    villages: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[FollowUpPlan] = field(default_factory=list)
    due: list[FollowUpPlan] = field(default_factory=list)
    discharged: list[FollowUpPlan] = field(default_factory=list)
    truncated: bool = False


def open_plans(user: Any) -> QuerySet[FollowUpPlan]:
    return FollowUpPlan.objects.visible_to(user).filter(status=Status.IN_PROGRESS)


def week(user: Any, *, village: Institution | None = None, today: datetime.date | None = None):
    """Due this week (to Sunday), overdue, and newly discharged, for the user's villages; with
    one village chosen, that village's rows only. Counts by village come in one query."""
    today = today or timezone.localdate()
    ends_on = today + datetime.timedelta(days=6 - today.weekday())
    cutoff = timezone.now() - datetime.timedelta(days=NEWLY_DISCHARGED_DAYS)
    plans = open_plans(user)
    counts = (
        plans.filter(Q(next_due_on__lte=ends_on) | Q(programme=CARE_PLAN, created_at__gte=cutoff))
        .values("performer_institution")
        .annotate(
            overdue=Count("pk", filter=Q(next_due_on__lt=today)),
            due=Count("pk", filter=Q(next_due_on__gte=today, next_due_on__lte=ends_on)),
            discharged=Count("pk", filter=Q(programme=CARE_PLAN, created_at__gte=cutoff)),
        )
        .order_by()
    )
    names = {
        i.pk: i
        for i in Institution.objects.filter(pk__in=[c["performer_institution"] for c in counts])
    }
    villages = sorted(
        ({"institution": names[c["performer_institution"]], **c} for c in counts),
        key=lambda row: (row["institution"].tier != "village", row["institution"].name),
    )
    rows = plans.select_related(
        "patient", "performer_institution", "contract", "referral__requester_institution"
    )
    if village is not None:
        rows = rows.filter(performer_institution=village)
    result = Week(today=today, ends_on=ends_on, village=village, villages=villages)
    order = ("next_due_on", "performer_institution_id", "id")
    result.overdue = list(rows.filter(next_due_on__lt=today).order_by(*order)[: WEEK_LIMIT + 1])
    result.due = list(
        rows.filter(next_due_on__gte=today, next_due_on__lte=ends_on).order_by(*order)[
            : WEEK_LIMIT + 1
        ]
    )
    result.discharged = list(
        rows.filter(programme=CARE_PLAN, created_at__gte=cutoff).order_by("-created_at")[
            :WEEK_LIMIT
        ]
    )
    result.truncated = len(result.overdue) > WEEK_LIMIT or len(result.due) > WEEK_LIMIT
    result.overdue, result.due = result.overdue[:WEEK_LIMIT], result.due[:WEEK_LIMIT]
    for plan in result.overdue + result.due + result.discharged:
        plan.age = plan.patient.age_on(today)
        plan.days_overdue = (today - plan.next_due_on).days if plan.next_due_on else 0
    return result


def teams_of(user: Any) -> QuerySet[Team]:
    """Teams the user acts for (based at or serving one of their clinical institutions)."""
    access = access_for(user)
    return Team.objects.serving(access.clinical_institution_ids).filter(is_active=True)
