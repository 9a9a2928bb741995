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


# How the local steps (``business_status``) and the transitions read in the UI. Apps use these
# words; a label not listed here shows as it is stored.
BUSINESS_STATUS_LABELS = {
    "accepted": _("accepted"),
    "booked": _("slot booked"),
    "arrived": _("patient arrived"),
    "outcome sent back": _("outcome sent back"),
    "plan under way": _("care plan under way"),
    "no-show": _("did not come"),
    "scheduled": _("scheduled"),
    "in session": _("in session"),
    "opinion signed": _("opinion signed"),
    "rated": _("rated"),
    "ordered": _("ordered"),
    "performed": _("performed"),
    "reading": _("being read"),
    "overflowed": _("sent to the tertiary reading pool"),
    "reported": _("report signed"),
    "preliminary": _("preliminary result"),
    "notified": _("notified"),
    "acknowledged": _("acknowledged"),
}

STEP_LABELS = {
    "create": _("create"),
    "submit": _("submit"),
    "receive": _("receive"),
    "accept": _("accept"),
    "accept_direct": _("accept"),
    "reject": _("reject"),
    "reject_direct": _("reject"),
    "start": _("start"),
    "hold": _("put on hold"),
    "resume": _("resume"),
    "complete": _("complete"),
    "fail": _("close as failed"),
    "no_show": _("record a no-show"),
    "cancel": _("cancel"),
    "enter_in_error": _("mark as entered in error"),
    "escalate": _("escalate"),
    # Exam orders and critical results
    "schedule": _("schedule"),
    "perform": _("record as performed"),
    "claim": _("claim for reading"),
    "release": _("release the claim"),
    "overflow": _("send to the tertiary reading pool"),
    "report": _("sign the report"),
    "acknowledge": _("acknowledge with read-back"),
    "receive_result": _("receive a preliminary result"),
    "report_result": _("receive the final result"),
}


def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


def business_status_label(value: str) -> str:
    return str(BUSINESS_STATUS_LABELS.get(value, value))


def step_label(name: str) -> str:
    return str(STEP_LABELS.get(name, name))
