"""Background tasks of the core app (django-tasks; ``lianxin worker`` runs them)."""

from django_tasks import task

from lianxin.core.workflow import escalate_overdue


@task()
def escalate_overdue_items() -> int:
    """One escalation pass over every workflow model; returns how many items escalated."""
    return escalate_overdue()
