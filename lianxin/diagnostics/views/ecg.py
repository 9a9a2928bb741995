"""The ECG reading page: the 12 leads on the standard grid, the machine's measurements and
flags beside the reader's report, an upload form for a recording, and the reader's decision on
a proposed critical result."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.permissions import Perm
from lianxin.diagnostics.ecg import rules
from lianxin.diagnostics.ecg.actions import do_decide_ecg_proposal, do_record_ecg, proposed_finding
from lianxin.diagnostics.ecg.models import EcgRecording, Proposal
from lianxin.diagnostics.ecg.signals_io import from_npz
from lianxin.diagnostics.ecg.tracing import render_svg
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.views.common import run_action
from lianxin.network.models import CentreType
from lianxin.patients.actions import record_patient_read


def _order(request: HttpRequest, id) -> ExamOrder:
    order = get_for_user(
        ExamOrder.objects.select_related(
            "patient", "exam", "requester_institution", "performer_institution"
        ),
        request.user,
        id,
    )
    if order.centre_type != CentreType.ECG:
        raise Http404
    return order


def tracing_svg(recording: EcgRecording) -> str:
    with recording.signal.open("rb") as f:
        wave = from_npz(f.read())
    return render_svg(wave, title=recording.order.accession_number)


@login_required
def ecg_reading(request: HttpRequest, id) -> HttpResponse:
    order = _order(request, id)
    recordings = list(order.ecg_recordings.select_related("decided_by").order_by("-recorded_at"))
    record_patient_read(actor=request.user, patient=order.patient, channel="ecg-reading")
    latest = recordings[0] if recordings else None
    access = access_for(request.user)
    reports = list(order.reports.select_related("signed_by").order_by("-version"))
    return render(
        request,
        "diagnostics/ecg_reading.html",
        {
            "order": order,
            "recording": latest,
            "older": recordings[1:],
            "svg": mark_safe(tracing_svg(latest)) if latest else "",  # noqa: S308 numbers only
            "st_rows": [(lead, latest.st_mv.get(lead)) for lead in rules.LEADS] if latest else [],
            "flags": [rules.FLAGS[f] for f in latest.flags if f in rules.FLAGS] if latest else [],
            "proposed": proposed_finding(latest) if latest else "",
            "can_decide": latest is not None
            and latest.proposal == Proposal.PROPOSED
            and access.has_perm(Perm.PERFORM_SERVICE, order.performer_institution_id),
            "can_upload": order.is_open
            and any(
                access.has_perm(Perm.PERFORM_SERVICE, i)
                for i in (order.requester_institution_id, order.performer_institution_id)
            ),
            "report": reports[0] if reports else None,
        },
    )


@login_required
@require_POST
def ecg_upload(request: HttpRequest, id) -> HttpResponse:
    order = _order(request, id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose an ECG file to upload."))
    else:
        data = upload.read()
        run_action(
            request,
            lambda: do_record_ecg(order=order, data=data, name=upload.name, actor=request.user),
            _("ECG recorded and measured."),
        )
    return redirect("diagnostics:ecg-reading", id=order.external_id)


@login_required
@require_POST
def ecg_decide(request: HttpRequest, id) -> HttpResponse:
    order = _order(request, id)
    recording = order.ecg_recordings.order_by("-recorded_at").first()
    if recording is None:
        raise Http404
    confirm = request.POST.get("decision") == "confirm"
    run_action(
        request,
        lambda: do_decide_ecg_proposal(
            actor=request.user,
            recording=recording,
            confirm=confirm,
            finding=request.POST.get("finding", ""),
        ),
        _("Critical result raised and sent to the ordering site.")
        if confirm
        else _("Proposal dismissed."),
    )
    return redirect("diagnostics:ecg-reading", id=order.external_id)
