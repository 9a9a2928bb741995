"""The interfaces' pages: the administrator's HL7 messages (failed ones and the others, one
message raw with its answer, re-running a failed one after its mapping was fixed), and the
imaging staff's reconciliation queue of studies that arrived without a known order."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianxin.core.adapters import page_step
from lianxin.core.errors import ActionError
from lianxin.core.inputs import mark_resolved
from lianxin.interfaces.actions import (
    do_rerun_hl7_message,
    hl7_admin_institution_ids,
    record_hl7_message_read,
    record_study_read,
    record_study_search,
)
from lianxin.interfaces.dicom.reconcile import may_reconcile, queue_for
from lianxin.interfaces.dicom.values import dicom_date
from lianxin.interfaces.inputs import AttachStudyForm
from lianxin.interfaces.models import Direction, Hl7Message, LinkStatus, Outcome, Study

PAGE_SIZE = 50
BOXES = ("failed", "accepted", "outbound")


def _messages_for(request: HttpRequest) -> QuerySet[Hl7Message]:
    ids = hl7_admin_institution_ids(request.user)
    if ids is not None and not ids:
        raise PermissionDenied(_("Only an administrator looks after the HL7 interfaces."))
    rows = Hl7Message.objects.select_related("peer", "order")
    if ids is not None:
        rows = rows.filter(Q(peer__institution_id__in=ids))
    return rows


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    box = request.GET.get("box", "failed")
    box = box if box in BOXES else "failed"
    rows = _messages_for(request)
    if box == "failed":
        rows = rows.failed().filter(resolved_at__isnull=True, rerun_of__isnull=True)
    elif box == "accepted":
        rows = rows.filter(direction=Direction.IN, outcome=Outcome.AA)
    else:
        rows = rows.filter(direction=Direction.OUT)
    page = Paginator(rows.defer("raw", "ack"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "interfaces/hl7_messages.html", {"page": page, "box": box})


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _messages_for(request).filter(pk=pk).first()
    if message is None:
        raise Http404
    record_hl7_message_read(actor=request.user, message=message)
    return render(
        request,
        "interfaces/hl7_message.html",
        {
            "message": message,
            "segments": message.raw.strip("\r").split("\r"),
            "reruns": message.reruns.order_by("received_at"),
            "can_rerun": message.direction == Direction.IN
            and message.outcome in (Outcome.AE, Outcome.AR)
            and message.resolved_at is None,
        },
    )


@login_required
@require_POST
def message_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    message = _messages_for(request).filter(pk=pk).first()
    if message is None:
        raise Http404
    try:
        result = do_rerun_hl7_message(actor=request.user, message=message)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        if result.outcome == Outcome.AA:
            messages.success(request, _("Re-run: accepted and stored."))
        else:
            messages.error(
                request,
                _("Re-run: still refused (%(code)s): %(text)s")
                % {"code": result.outcome, "text": result.text},
            )
    return redirect("interfaces:hl7-message", pk=message.pk)


# The reconciliation queue: studies that came without an order Lianxin could find.

DICOM_SEX = {"M": gettext_lazy("Male"), "F": gettext_lazy("Female"), "O": gettext_lazy("Other")}


def _require_reconciler(request: HttpRequest) -> None:
    if not may_reconcile(request.user):
        raise PermissionDenied(_("Only the staff of an imaging centre or site reconcile images."))


def _load_study(request: HttpRequest, public_id) -> Study:
    _require_reconciler(request)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404 from None
    study = queue_for(request.user, waiting=False).filter(external_id=key).first()
    if study is None:
        raise Http404
    return mark_resolved(study, request.user)


@login_required
def reconciliation_queue(request: HttpRequest) -> HttpResponse:
    """The studies waiting for someone to attach them to their exam order."""
    _require_reconciler(request)
    page = Paginator(queue_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # The rows show the names and IDs the images carry: a listing of patient data, audited.
    record_study_search(actor=request.user, studies=list(page), channel="reconciliation")
    return render(request, "interfaces/reconciliation.html", {"page": page})


@login_required
def reconciliation_study(request: HttpRequest, id) -> HttpResponse:
    """One waiting study: what the images say, and the orders it may belong to."""
    study = _load_study(request, id)
    record_study_read(actor=request.user, study=study, channel="reconciliation")
    series = study.series.order_by("series_number", "id")
    form = AttachStudyForm(user=request.user, target=study)
    return render(
        request,
        "interfaces/reconciliation_study.html",
        {
            "study": study,
            "series": series,
            "form": form,
            "waiting": study.link_status == LinkStatus.UNMATCHED,
            "birth_date": dicom_date(study.patient_birth_date),
            "sex": DICOM_SEX.get(study.patient_sex, study.patient_sex),
            "offered": len(form.fields["order"].widget.choices) - 1,
        },
    )


def _to_queue(_study) -> str:
    return reverse("interfaces:reconciliation")


def _to_study(study) -> str:
    return reverse("interfaces:reconciliation-study", kwargs={"id": study.external_id})


reconciliation_attach = page_step(
    AttachStudyForm,
    load=_load_study,
    done=_to_study,
    then=lambda study, result: reverse("interfaces:reconciliation"),
)
