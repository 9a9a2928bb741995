"""Concrete workflow models used only by the workflow tests (installed by settings_test).

``Errand`` uses the default graph with a due table, business steps and a system transition;
``Alert`` narrows the graph the way a critical result does (requested → received → completed,
raised by the performing centre, acknowledged by the requester).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models

from lianxin.core.permissions import Perm
from lianxin.core.workflow import (
    DEFAULT_WORKFLOW,
    Side,
    Status,
    Transition,
    TransitionRecord,
    Workflow,
    WorkflowItem,
)


def _requested_due(errand: "Errand") -> timedelta:
    return timedelta(hours=2) if errand.urgent else timedelta(hours=24)


def _needs_a_title(errand: "Errand", actor: object) -> None:
    if not errand.title:
        raise ValidationError({"title": ["An errand is closed out only with a title."]})


class Errand(WorkflowItem):
    """A test errand one institution asks another to run."""

    workflow = DEFAULT_WORKFLOW.derive(
        add=[
            Transition(
                name="mark_arrived",
                source=Status.ACCEPTED,
                target=Status.ACCEPTED,
                side=Side.PERFORMER,
                business_status="arrived",
            ),
            Transition(
                name="close_out",
                source=Status.IN_PROGRESS,
                target=Status.COMPLETED,
                side=Side.PERFORMER,
                guard=_needs_a_title,
            ),
            Transition(
                name="auto_receive",
                source=Status.REQUESTED,
                target=Status.RECEIVED,
                side=Side.SYSTEM,
            ),
        ],
        due={
            Status.REQUESTED: _requested_due,
            Status.RECEIVED: timedelta(hours=8),
            Status.ACCEPTED: timedelta(hours=48),
            Status.IN_PROGRESS: timedelta(hours=72),
        },
        escalate_every=timedelta(hours=4),
        business_statuses={Status.ACCEPTED: ["booked", "arrived"]},
    )

    title = models.CharField("title", max_length=100, blank=True)
    urgent = models.BooleanField("urgent", default=False)

    class Meta:
        app_label = "workflowapp"

    def __str__(self) -> str:
        return self.title


class ErrandTransition(TransitionRecord):
    """One step in an errand's history."""

    item = models.ForeignKey(Errand, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionRecord.Meta):
        app_label = "workflowapp"


class Alert(WorkflowItem):
    """A test alert raised by the performing centre and acknowledged by the requester."""

    workflow = Workflow(
        [
            Transition(
                name="receive",
                source=Status.REQUESTED,
                target=Status.RECEIVED,
                side=Side.REQUESTER,
                perm=Perm.VIEW_PATIENT,
            ),
            Transition(
                name="acknowledge",
                source=Status.RECEIVED,
                target=Status.COMPLETED,
                side=Side.REQUESTER,
                perm=Perm.VIEW_PATIENT,
            ),
            *[t for t in DEFAULT_WORKFLOW.transitions if t.name == "enter_in_error"],
        ],
        due={Status.REQUESTED: timedelta(minutes=10), Status.RECEIVED: timedelta(minutes=15)},
        max_escalation_level=2,
        initial=[Status.REQUESTED],
        create_side=Side.PERFORMER,
        create_perm=Perm.SIGN_REPORT,
    )

    message = models.CharField("message", max_length=100, blank=True)

    class Meta:
        app_label = "workflowapp"

    def __str__(self) -> str:
        return self.message


class AlertTransition(TransitionRecord):
    """One step in an alert's history."""

    item = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionRecord.Meta):
        app_label = "workflowapp"
