"""The referral card on the home page: what is waiting for the user's institutions, in counts
that link to the filtered worklists."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from lianxin.core.access import Access
from lianxin.core.home import register_card
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.referrals.models import Consultation, Referral
from lianxin.referrals.queries import overdue_follow_ups

WAITING_FOR_ANSWER = (Status.REQUESTED, Status.RECEIVED)


def _context(request: HttpRequest, access: Access) -> dict[str, Any]:
    now = timezone.now()
    ids = access.clinical_institution_ids
    incoming = Q(performer_institution_id__in=ids) & ~Q(status=Status.DRAFT)
    sent = Q(requester_institution_id__in=ids)
    overdue = Q(due_at__lt=now)
    referrals = (
        Referral.objects.visible_to(request.user)
        .open()
        .aggregate(
            incoming=Count("pk", filter=incoming),
            incoming_overdue=Count("pk", filter=incoming & overdue),
            to_answer=Count("pk", filter=incoming & Q(status__in=WAITING_FOR_ANSWER)),
            sent_open=Count("pk", filter=sent & ~Q(status=Status.DRAFT)),
            sent_waiting=Count("pk", filter=sent & Q(status__in=WAITING_FOR_ANSWER)),
            sent_overdue=Count("pk", filter=sent & overdue & ~Q(status=Status.DRAFT)),
            drafts=Count("pk", filter=sent & Q(status=Status.DRAFT)),
        )
    )
    consultations = (
        Consultation.objects.visible_to(request.user)
        .open()
        .aggregate(
            invited=Count("pk", filter=~Q(requester_institution_id__in=ids)),
            asked=Count("pk", filter=Q(requester_institution_id__in=ids)),
        )
    )
    return {
        "referrals": referrals,
        "consultations": consultations,
        "follow_ups_overdue": overdue_follow_ups(access).count(),
    }


register_card(
    "referrals",
    "referrals/cards/referrals.html",
    perm=Perm.REQUEST_SERVICE,
    context=_context,
    order=20,
)
