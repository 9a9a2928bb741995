"""The statuses every workflow item moves through, after FHIR R4 ``Task.status``, and the sides
that may move it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """FHIR ``Task.status`` values, spelled as FHIR spells them so that they map one to one."""

    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


# An open item still waits for someone; only open items have a due time and can escalate.
OPEN_STATUSES: frozenset[Status] = frozenset(
    {
        Status.DRAFT,
        Status.REQUESTED,
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.ON_HOLD,
    }
)
CLOSED_STATUSES: frozenset[Status] = frozenset(set(Status) - OPEN_STATUSES)


class Side(models.TextChoices):
    """Who makes a transition: the requesting institution, the performing one, either, or the
    platform itself (an interface listener, the escalation task)."""

    REQUESTER = "requester", _("Requester")
    PERFORMER = "performer", _("Performer")
    EITHER = "either", _("Either party")
    SYSTEM = "system", _("System")
