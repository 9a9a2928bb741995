"""Who hears about a referral or consultation, and when (connected to the workflow signals).

- A new request reaches the receiving department's clinicians (the whole receiving institution's
  when no department is named); an emergency is urgent and also reaches the duty officers.
- Every answer of the receiving side reaches the doctor who sent the request.
- An overdue item escalates to the receiving department's head, then to the duty officers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.models import User
from lianxin.core.notify import notify
from lianxin.core.permissions import Role
from lianxin.core.workflow import Side, workflow_escalated, workflow_transitioned
from lianxin.referrals.models import Consultation, Referral
from lianxin.referrals.rules import Urgency

RECEIVING_ROLES = (Role.CLINICIAN, Role.DEPARTMENT_HEAD)


def _members(institution_id: int, roles, department_id: int | None = None):
    condition = Q(
        memberships__institution_id=institution_id,
        memberships__role__in=roles,
        memberships__is_active=True,
    )
    if department_id is not None:
        condition &= Q(memberships__department_id=department_id)
    return User.objects.filter(condition, is_active=True).distinct()


def receiving_team(item: Any):
    users = _members(item.performer_institution_id, RECEIVING_ROLES, item.performer_department_id)
    if item.performer_department_id is not None and not users.exists():
        users = _members(item.performer_institution_id, RECEIVING_ROLES)
    return users


def escalation_targets(item: Any, level: int):
    institution = item.performer_institution_id
    if level <= 1:
        heads = _members(institution, [Role.DEPARTMENT_HEAD], item.performer_department_id)
        if heads.exists():
            return heads
        heads = _members(institution, [Role.DEPARTMENT_HEAD])
        if heads.exists():
            return heads
    return _members(institution, [Role.DUTY_OFFICER])


def _url(item: Any) -> str:
    name = "referrals:detail" if isinstance(item, Referral) else "referrals:consultation-detail"
    return reverse(name, kwargs={"id": item.external_id})


def _noun(item: Any) -> str:
    if isinstance(item, Referral):
        return _("Upward referral") if item.direction == "up" else _("Downward referral")
    return str(item.get_kind_display())


@receiver(workflow_transitioned, sender=Referral)
@receiver(workflow_transitioned, sender=Consultation)
def on_transition(sender, item, record, actor, transition, **kwargs) -> None:
    urgent = getattr(item, "urgency", Urgency.ROUTINE) == Urgency.EMERGENCY
    title_args = {
        "what": _noun(item),
        "patient": item.patient.name,
        "from": item.requester_institution.short_name or item.requester_institution.name,
    }
    if record.to_status == "requested":
        users = list(receiving_team(item))
        if urgent:
            users += list(_members(item.performer_institution_id, [Role.DUTY_OFFICER]))
        notify(
            users,
            verb="request",
            title=_("%(what)s: %(patient)s from %(from)s") % title_args,
            body=getattr(item, "reason", "") or getattr(item, "question", ""),
            url=_url(item),
            urgent=urgent,
        )
        return
    if record.side == Side.PERFORMER and item.requester_id:
        notify(
            [item.requester],
            verb=record.name,
            title=_("%(what)s for %(patient)s: %(status)s")
            % {**title_args, "status": item.business_status_display or item.get_status_display()},
            body=record.reason,
            url=_url(item),
            urgent=urgent and record.to_status in {"rejected", "failed"},
        )
    elif record.side == Side.REQUESTER and record.from_status not in {"", "draft"}:
        users = [item.owner] if item.owner_id else list(receiving_team(item))
        notify(
            users,
            verb=record.name,
            title=_("%(what)s for %(patient)s: %(status)s")
            % {**title_args, "status": item.get_status_display()},
            body=record.reason,
            url=_url(item),
        )


@receiver(workflow_escalated, sender=Referral)
@receiver(workflow_escalated, sender=Consultation)
def on_escalation(sender, item, record, level, **kwargs) -> None:
    notify(
        escalation_targets(item, level),
        verb="overdue",
        title=_("Overdue (level %(level)d): %(what)s for %(patient)s")
        % {"level": level, "what": _noun(item), "patient": item.patient.name},
        body=_("Waiting since %(since)s in state %(status)s.")
        % {
            "since": timezone.localtime(item.status_changed_at).strftime("%Y-%m-%d %H:%M"),
            "status": item.get_status_display(),
        },
        url=_url(item),
        urgent=True,
    )
