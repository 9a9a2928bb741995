"""Figures the platform reports about its own loops: closure rate and time spent in each state."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

from django.db import models
from django.utils import timezone

from lianxin.core.workflow.models import WorkflowItem
from lianxin.core.workflow.states import CLOSED_STATUSES, Status

# Drafts were never sent and entered-in-error items never happened: neither is a loop.
NOT_A_LOOP = (Status.DRAFT, Status.ENTERED_IN_ERROR)


def loop_closure_rate(queryset: models.QuerySet) -> float | None:
    """Completed items / all items that were sent (not draft, not entered in error).

    None when no item was sent (a rate of nothing is not zero)."""
    counts = queryset.exclude(status__in=NOT_A_LOOP).aggregate(
        total=models.Count("pk"),
        closed=models.Count("pk", filter=models.Q(status=Status.COMPLETED)),
    )
    return counts["closed"] / counts["total"] if counts["total"] else None


def _intervals(rows: list[tuple[str, datetime]], now: datetime) -> dict[Status, timedelta]:
    """Time per status from one item's history rows (status entered, time), oldest first."""
    out: dict[Status, timedelta] = defaultdict(timedelta)
    for (status, start), (_next, end) in pairwise(rows):
        out[Status(status)] += end - start
    if rows:
        status, start = rows[-1]
        # A closed status lasts forever; only an open one is still running.
        if Status(status) not in CLOSED_STATUSES:
            out[Status(status)] += max(now - start, timedelta(0))
    return dict(out)


def time_in_states(item: WorkflowItem, *, now: datetime | None = None) -> dict[Status, timedelta]:
    """How long ``item`` has spent in each status so far, from its history."""
    rows = list(item.history.values_list("to_status", "at"))
    return _intervals(rows, now or timezone.now())


def durations_in_state(
    queryset: models.QuerySet, status: str, *, now: datetime | None = None
) -> list[timedelta]:
    """For each item of ``queryset`` that has been in ``status``, the total time spent there
    (one query on the history)."""
    now = now or timezone.now()
    history = queryset.model.history_model()
    rows = history.objects.filter(item__in=queryset.values("pk")).order_by("item_id", "at", "id")
    per_item: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for item_id, to_status, at in rows.values_list("item_id", "to_status", "at"):
        per_item[item_id].append((to_status, at))
    out = []
    for item_rows in per_item.values():
        spent = _intervals(item_rows, now)
        if Status(status) in spent:
            out.append(spent[Status(status)])
    return out
