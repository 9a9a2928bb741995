"""Escalating overdue items: each overdue open item climbs one level per escalation step."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from lianxin.core import audit, notify
from lianxin.core.workflow.models import WorkflowItem
from lianxin.core.workflow.signals import workflow_escalated
from lianxin.core.workflow.states import OPEN_STATUSES, Side


def workflow_models() -> list[type[WorkflowItem]]:
    """Every installed concrete model built on ``WorkflowItem``."""
    return [m for m in apps.get_models() if issubclass(m, WorkflowItem)]


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate every overdue open item of every workflow model once; returns how many.

    An escalated item gets ``escalation_level`` + 1, a history row and an audit row named
    ``escalate``, a new due time one escalation step after ``now`` (so a second run at the same
    time does nothing), and ``workflow_escalated`` is sent after commit. Its ``version`` is not
    changed: escalation is not an edit, and must not make a user's pending action conflict.
    Each item is its own transaction; rows another worker holds are skipped until the next run.
    """
    now = now or timezone.now()
    count = 0
    for model in workflow_models():
        overdue = model._base_manager.filter(status__in=OPEN_STATUSES, due_at__lt=now)
        limit = model.workflow.max_escalation_level
        if limit is not None:
            overdue = overdue.filter(escalation_level__lt=limit)
        for pk in list(overdue.order_by("due_at").values_list("pk", flat=True)):
            count += _escalate_one(model, pk, now)
    return count


def _escalate_one(model: type[WorkflowItem], pk: int, now: datetime) -> bool:
    workflow = model.workflow
    with transaction.atomic():
        item = model._base_manager.select_for_update(skip_locked=True).filter(pk=pk).first()
        if item is None or not item.is_overdue(now):
            return False
        limit = workflow.max_escalation_level
        if limit is not None and item.escalation_level >= limit:
            return False
        before = {"escalation_level": item.escalation_level, "due_at": item.due_at}
        item.escalation_level += 1
        item.due_at = now + workflow.escalation_step(item)
        item.save(update_fields=["escalation_level", "due_at", "updated_at"])
        record = item.history_model().objects.create(
            item=item,
            from_status=item.status,
            to_status=item.status,
            business_status=item.business_status,
            name="escalate",
            side=Side.SYSTEM,
            at=now,
            version=item.version,
            escalation_level=item.escalation_level,
        )
        audit.record(
            f"{item._meta.label_lower}.escalate",
            actor=None,
            target=item,
            institution=item.performer_institution_id,
            before=before,
            after={"escalation_level": item.escalation_level, "due_at": item.due_at},
        )
        level = item.escalation_level
        notify.on_commit(
            lambda: workflow_escalated.send(sender=model, item=item, record=record, level=level),
            robust=True,
        )
    return True
