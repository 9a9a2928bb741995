"""Reads about referrals and consultations that pages, the API and (later) the indicators use.

Figures per institution and month: up/down counts, the loop-closure rate (DESIGN §2: a workflow
item is closed when its outcome is back with the requester) and the time to acceptance.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from lianxin.core.access import Access
from lianxin.core.workflow import OPEN_STATUSES, Status
from lianxin.referrals.models import (
    CLOSED_RANK,
    Consultation,
    FollowUpItem,
    Referral,
    ReferralTransition,
)

# Items that count for the loop-closure rate: everything actually sent (not drafts, not entered
# in error). Closed loops: completed. (Rejected and cancelled items count as not closed: the
# patient's need was not met through this referral.)
COUNTED = Q(status__in=[s for s in Status if s not in {Status.DRAFT, Status.ENTERED_IN_ERROR}])

# Open referrals by their stored rank: the same rows as ``status in OPEN_STATUSES``, but a range
# of the rank indexes, so an open list and its count read only the open part of the index.
OPEN_REFERRALS = Q(worklist_rank__lt=CLOSED_RANK)


def worklist(
    queryset: QuerySet[Referral],
    *,
    box: str,
    access: Access,
    status: str = "",
    direction: str = "",
    urgency: str = "",
    overdue: bool = False,
    department_ids: frozenset[int] | None = None,
    requester_id: int | None = None,
    q: str = "",
) -> QuerySet[Referral]:
    """The "sent" or "incoming" worklist of a user, filtered; emergencies and overdue first.

    ``department_ids`` narrows the incoming box to the user's departments (items addressed to no
    department stay in it); ``requester_id`` narrows the sent box to what one doctor sent.
    """
    if box == "incoming":
        queryset = queryset.incoming(access)
        if department_ids:
            queryset = queryset.filter(
                Q(performer_department_id__in=department_ids) | Q(performer_department__isnull=True)
            )
    else:
        queryset = queryset.outgoing(access)
        if requester_id is not None:
            queryset = queryset.filter(requester_id=requester_id)
    if status == "open":
        queryset = queryset.filter(OPEN_REFERRALS)
    elif status:
        queryset = queryset.filter(status=status)
    if direction:
        queryset = queryset.filter(direction=direction)
    if urgency:
        queryset = queryset.filter(urgency=urgency)
    if overdue:
        now = timezone.now()
        queryset = queryset.filter(OPEN_REFERRALS).filter(
            Q(due_at__lt=now) | Q(escalation_level__gt=0)
        )
    if q:
        queryset = queryset.filter(
            Q(patient__name__icontains=q)
            | Q(diagnosis_text__icontains=q)
            | Q(patient__name_initials__startswith=q.upper())
        )
    return queryset.select_related(
        "patient",
        "requester_institution",
        "performer_institution",
        "performer_department",
        "requester",
    ).order_by(*WORKLIST_ORDER)


# Open emergencies first, then open urgent, then other open items, then closed ones (the stored
# ``Referral.worklist_rank``); within each, the soonest due (so overdue on top), then the newest.
# The rank indexes of ``Referral`` follow this order.
WORKLIST_ORDER = ["worklist_rank", F("due_at").asc(nulls_last=True), "-created_at"]


def overdue_follow_ups(access: Access, today: datetime.date | None = None) -> QuerySet:
    """Care-plan items not done by their due date at the user's receiving sites."""
    today = today or timezone.localdate()
    return (
        FollowUpItem.objects.filter(
            done_at__isnull=True,
            due_on__lt=today,
            referral__performer_institution_id__in=access.clinical_institution_ids,
            referral__status__in=OPEN_STATUSES,
        )
        .select_related("referral__patient", "referral__requester_institution")
        .order_by("due_on")
    )


@dataclass
class MonthFigures:
    up: int = 0
    down: int = 0
    counted: int = 0
    closed: int = 0
    acceptance_hours: list[float] = field(default_factory=list)

    @property
    def loop_closure_rate(self) -> float | None:
        return self.closed / self.counted if self.counted else None

    @property
    def median_acceptance_hours(self) -> float | None:
        return statistics.median(self.acceptance_hours) if self.acceptance_hours else None


def monthly_figures(
    institution_ids: Any, *, start: datetime.date, end: datetime.date, side: str = "requester"
) -> dict[tuple[int, datetime.date], MonthFigures]:
    """Per (institution, month of sending): up/down counts, loop closure, time to acceptance.

    ``side`` says whose figures: the sending institutions' (``requester``) or the receiving
    ones' (``performer``).
    """
    column = f"{side}_institution_id"
    base = Referral.objects.filter(
        COUNTED, **{f"{column}__in": institution_ids}, created_at__date__gte=start
    ).filter(created_at__date__lt=end)
    rows = (
        base.annotate(month=TruncMonth("created_at"))
        .values(column, "month")
        .annotate(
            up=Count("id", filter=Q(direction="up")),
            down=Count("id", filter=Q(direction="down")),
            counted=Count("id"),
            closed=Count("id", filter=Q(status=Status.COMPLETED)),
        )
    )
    out: dict[tuple[int, datetime.date], MonthFigures] = defaultdict(MonthFigures)
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        figures = out[(row[column], month)]
        figures.up, figures.down = row["up"], row["down"]
        figures.counted, figures.closed = row["counted"], row["closed"]
    accepted = (
        ReferralTransition.objects.filter(item__in=base, to_status=Status.ACCEPTED)
        .values_list(f"item__{column}", "item__created_at", "at")
        .order_by()
    )
    for institution, created, at in accepted:
        month = timezone.localtime(created).date().replace(day=1)
        out[(institution, month)].acceptance_hours.append((at - created).total_seconds() / 3600)
    return dict(out)


def loop_closure(queryset: QuerySet) -> float | None:
    """Closed loops over counted items of any referral or consultation queryset."""
    totals = queryset.filter(COUNTED).aggregate(
        counted=Count("id"), closed=Count("id", filter=Q(status=Status.COMPLETED))
    )
    return totals["closed"] / totals["counted"] if totals["counted"] else None


def consultation_ratings(institution_ids: Any) -> dict[str, float | int | None]:
    rated = Consultation.objects.filter(
        performer_institution_id__in=institution_ids, rating__isnull=False
    )
    values = list(rated.values_list("rating", flat=True))
    return {"count": len(values), "mean": statistics.mean(values) if values else None}
