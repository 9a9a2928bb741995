"""The shared workflow of referrals, consultations, exam orders and critical results (DESIGN §4).

A concrete model subclasses ``WorkflowItem``, sets ``workflow = Workflow(...)`` (or derives one
from ``DEFAULT_WORKFLOW``), and has a ``TransitionRecord`` subclass with an ``item`` foreign key.
Actions then call ``create_item`` and ``transition``; ``escalate_overdue`` runs on a schedule.

Import this package from models and actions modules, not from settings or app configs: it
defines abstract models.
"""

from lianxin.core.workflow import checks as _checks  # noqa: F401 - registers the system check
from lianxin.core.workflow.definition import (
    DEFAULT_TRANSITIONS,
    DEFAULT_WORKFLOW,
    PREVIOUS,
    Transition,
    Workflow,
)
from lianxin.core.workflow.engine import (
    PROTECTED_FIELDS,
    allowed_transitions,
    create_item,
    transition,
)
from lianxin.core.workflow.escalation import escalate_overdue, workflow_models
from lianxin.core.workflow.measures import (
    durations_in_state,
    loop_closure_rate,
    time_in_states,
)
from lianxin.core.workflow.models import TransitionRecord, WorkflowItem, WorkflowQuerySet
from lianxin.core.workflow.signals import workflow_escalated, workflow_transitioned
from lianxin.core.workflow.states import CLOSED_STATUSES, OPEN_STATUSES, Side, Status

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_TRANSITIONS",
    "DEFAULT_WORKFLOW",
    "OPEN_STATUSES",
    "PREVIOUS",
    "PROTECTED_FIELDS",
    "Side",
    "Status",
    "Transition",
    "TransitionRecord",
    "Workflow",
    "WorkflowItem",
    "WorkflowQuerySet",
    "allowed_transitions",
    "create_item",
    "durations_in_state",
    "escalate_overdue",
    "loop_closure_rate",
    "time_in_states",
    "transition",
    "workflow_escalated",
    "workflow_models",
    "workflow_transitioned",
]
