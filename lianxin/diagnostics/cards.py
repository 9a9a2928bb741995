"""The exams card on the home page: studies waiting for the user's reading centre and critical
results waiting for acknowledgement, in counts that link to the worklists."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from lianxin.core.access import Access
from lianxin.core.home import register_card
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.diagnostics.models import CriticalResult, ExamOrder
from lianxin.diagnostics.queries import WAITING_FOR_READER
from lianxin.network.models import Department, DepartmentKind


def _context(request: HttpRequest, access: Access) -> dict[str, Any]:
    now = timezone.now()
    ids = access.clinical_institution_ids
    reading_ids = access.institutions_with(Perm.PERFORM_SERVICE)
    # Clinicians may perform too; the reading line is for readers: staff of a shared centre or a
    # medical-technology department (the tertiary reading pool), or anyone with a study claimed.
    reads = bool(reading_ids) and (
        Department.objects.filter(
            pk__in=access.department_ids,
            kind__in=[DepartmentKind.SHARED_CENTRE, DepartmentKind.MEDTECH],
        ).exists()
        or ExamOrder.objects.filter(owner=request.user, status=Status.IN_PROGRESS).exists()
    )
    context: dict[str, Any] = {"reads": reads}
    if reads:
        waiting = WAITING_FOR_READER
        context["studies"] = (
            ExamOrder.objects.visible_to(request.user)
            .filter(performer_institution_id__in=reading_ids, status=Status.IN_PROGRESS)
            .aggregate(
                waiting=Count("pk", filter=waiting),
                waiting_overdue=Count("pk", filter=waiting & Q(due_at__lt=now)),
                mine=Count("pk", filter=Q(owner=request.user)),
            )
        )
    context["critical"] = (
        CriticalResult.objects.visible_to(request.user)
        .open()
        .aggregate(
            to_acknowledge=Count("pk", filter=Q(requester_institution_id__in=ids)),
            raised=Count("pk", filter=Q(performer_institution_id__in=ids)),
        )
    )
    return context


register_card(
    "exams",
    "diagnostics/cards/exams.html",
    perm=Perm.VIEW_PATIENT,
    context=_context,
    order=25,
)
