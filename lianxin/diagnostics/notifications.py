"""Who hears about an exam order or a critical result, and when (connected in ``apps.ready``).

- A STAT order reaches the centre's staff at once (urgent).
- A signed report, and every amendment, reaches the ordering doctor.
- An overdue study escalates to the centre's department head, then its duty officers.
- A critical result reaches the ordering doctor and the ordering site's duty phone list at once
  (outbound channel); unacknowledged, it escalates to the ordering department's head, then the
  site's duty officers.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from lianxin.core.models import User
from lianxin.core.notify import Message, channels, notify, outbound_allowed
from lianxin.core.permissions import Role
from lianxin.core.workflow import workflow_escalated, workflow_transitioned
from lianxin.diagnostics.models import CriticalResult, DutyPhone, ExamOrder, Report
from lianxin.diagnostics.rules import Priority

log = logging.getLogger("lianxin.notify")


def members(institution_id: int, roles, department_id: int | None = None):
    condition = Q(
        memberships__institution_id=institution_id,
        memberships__role__in=roles,
        memberships__is_active=True,
    )
    if department_id is not None:
        condition &= Q(memberships__department_id=department_id)
    return User.objects.filter(condition, is_active=True).distinct()


def _heads_then_duty(institution_id: int, department_id: int | None, level: int):
    if level <= 1:
        for dept in (department_id, None):
            heads = members(institution_id, [Role.DEPARTMENT_HEAD], dept)
            if heads.exists():
                return heads
    return members(institution_id, [Role.DUTY_OFFICER])


def order_url(order: ExamOrder) -> str:
    return reverse("diagnostics:order-detail", kwargs={"id": order.external_id})


def critical_url(result: CriticalResult) -> str:
    return reverse("diagnostics:critical-detail", kwargs={"id": result.external_id})


@receiver(workflow_transitioned, sender=ExamOrder)
def on_order_step(sender, item, record, actor, transition, **kwargs) -> None:
    args = {"exam": item.exam.name, "patient": item.patient.name, "acc": item.accession_number}
    if record.name == "create" and item.priority == Priority.STAT:
        notify(
            members(item.performer_institution_id, [Role.CENTRE_STAFF], item.centre_id),
            verb="request",
            title=_("STAT %(exam)s for %(patient)s (%(acc)s)") % args,
            body=item.clinical_question,
            url=order_url(item),
            urgent=True,
        )
    elif record.name == "report" and item.requester_id:
        notify(
            [item.requester],
            verb="report",
            title=_("Report ready: %(exam)s for %(patient)s (%(acc)s)") % args,
            url=order_url(item),
            urgent=item.priority == Priority.STAT,
        )


def report_amended(order: ExamOrder, report: Report) -> None:
    if order.requester_id:
        notify(
            [order.requester],
            verb="amend",
            title=_("Report amended: %(exam)s for %(patient)s (%(acc)s)")
            % {
                "exam": order.exam.name,
                "patient": order.patient.name,
                "acc": order.accession_number,
            },
            body=report.amendment_reason,
            url=order_url(order),
            urgent=True,
        )


@receiver(workflow_escalated, sender=ExamOrder)
def on_order_overdue(sender, item, record, level, **kwargs) -> None:
    notify(
        _heads_then_duty(item.performer_institution_id, item.performer_department_id, level),
        verb="overdue",
        title=_("Overdue (level %(level)d): %(exam)s %(acc)s")
        % {"level": level, "exam": item.exam.name, "acc": item.accession_number},
        url=order_url(item),
        urgent=True,
    )


def _critical_title(item: CriticalResult) -> str:
    return _("Critical result: %(patient)s — %(finding)s %(value)s %(unit)s") % {
        "patient": item.patient.name,
        "finding": item.finding,
        "value": item.value,
        "unit": item.unit,
    }


@receiver(workflow_transitioned, sender=CriticalResult)
def on_critical_step(sender, item, record, actor, transition, **kwargs) -> None:
    if record.name == "create":
        users = [item.requester] if item.requester_id else []
        if item.order.requester_department_id:
            users += list(
                members(
                    item.requester_institution_id,
                    [Role.CLINICIAN, Role.NURSE],
                    item.order.requester_department_id,
                )
            )
        notify(
            users,
            verb="critical",
            title=_critical_title(item),
            body=_("Read the value back to acknowledge it."),
            url=critical_url(item),
            urgent=True,
        )
        phones = list(
            DutyPhone.objects.filter(
                institution_id=item.requester_institution_id, is_active=True
            ).values_list("phone", flat=True)
        )
        if phones and outbound_allowed():
            title = _critical_title(item)
            transaction.on_commit(
                lambda: send_to_duty_phones.enqueue(phones, title, critical_url(item)),
                robust=True,
            )
    elif record.name == "acknowledge":
        notify(
            members(
                item.performer_institution_id, [Role.CENTRE_STAFF], item.performer_department_id
            ),
            verb="acknowledged",
            title=_("Acknowledged: %(title)s") % {"title": _critical_title(item)},
            url=critical_url(item),
        )


@receiver(workflow_escalated, sender=CriticalResult)
def on_critical_unacknowledged(sender, item, record, level, **kwargs) -> None:
    notify(
        _heads_then_duty(item.requester_institution_id, item.order.requester_department_id, level),
        verb="overdue",
        title=_("Unacknowledged (level %(level)d): %(title)s")
        % {"level": level, "title": _critical_title(item)},
        url=critical_url(item),
        urgent=True,
    )


def deliver_to_phones(phones: list[str], title: str, url: str) -> int:
    sent = 0
    for phone in phones:
        message = Message(recipient_id=0, phone=phone, title=title, body="", url=url, urgent=True)
        for channel in channels():
            try:
                channel.send(message)
                sent += 1
            except Exception:  # one failing gateway must not stop the others
                log.exception("outbound channel %s failed", getattr(channel, "name", channel))
    return sent


@task()
def send_to_duty_phones(phones: list[str], title: str, url: str) -> int:
    """Background task: a critical result to the site's duty phone list."""
    return deliver_to_phones(phones, title, url)


__all__: list[Any] = ["on_critical_step", "on_order_step", "report_amended"]
