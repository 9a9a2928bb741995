"""Exam pages for the ordering site: the list of exams sent, the order form (recognisable
prior results first), the order page with its reports and steps."""

from __future__ import annotations

import contextlib
import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.errors import ActionError
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status, allowed_transitions
from lianxin.diagnostics import actions
from lianxin.diagnostics.actions.common import ordering_institution
from lianxin.diagnostics.models import ExamItem, ExamOrder, Report
from lianxin.diagnostics.queries import recognisable_results
from lianxin.diagnostics.rules import ANALYTES, CRITICAL_FINDINGS, Priority, RetestReason
from lianxin.diagnostics.views.common import require_perm, run_action
from lianxin.network.models import CentreType
from lianxin.patients.actions import record_patients_listed
from lianxin.patients.models import Patient

PAGE_SIZE = 25
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.REQUEST_SERVICE)
    access = access_for(request.user)
    items = (
        ExamOrder.objects.visible_to(request.user)
        .filter(requester_institution_id__in=access.institutions_with(Perm.REQUEST_SERVICE))
        .select_related("patient", "exam", "performer_institution", "centre")
        .order_by("-created_at")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        items = items.filter(status=status)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # The rows name patients: audited as reads of those patients.
    record_patients_listed(
        actor=request.user, patients=[row.patient for row in page], channel="exam-orders"
    )
    return render(
        request,
        "diagnostics/orders.html",
        {"page": page, "statuses": Status.choices, "status": status, "now": timezone.now()},
    )


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.REQUEST_SERVICE)
    patient = get_for_user(Patient, request.user, request.GET.get("patient") or "-")
    exams = ExamItem.objects.filter(is_active=True).order_by("centre_type", "code")
    exam = exams.filter(code=request.GET.get("exam") or request.POST.get("exam") or "").first()
    priors = []
    site = None
    try:
        site = ordering_institution(request.user, None)
    except Exception:  # several sites: the prior results are looked up once one is chosen
        site = None
    if exam is not None and site is not None:
        priors = list(recognisable_results(patient, exam, site)[:10])
    if request.method == "POST" and exam is not None:
        created: list = []
        if request.POST.get("recognise"):
            prior = next(
                (r for r in priors if str(r.external_id) == request.POST["recognise"]), None
            )
            if prior is None:
                return _refuse(request, _("This result cannot be recognised here."))
            ok = run_action(
                request,
                lambda: created.append(
                    actions.do_recognise_result(
                        actor=request.user, patient=patient, exam=exam, prior_report=prior
                    )
                ),
                _("Prior result recognised: no new exam."),
            )
            if ok:
                return redirect("patients:detail", id=patient.external_id)
        else:
            ok = run_action(
                request,
                lambda: created.append(
                    actions.do_order_exam(
                        actor=request.user,
                        patient=patient,
                        exam=exam,
                        priority=request.POST.get("priority", Priority.ROUTINE),
                        clinical_question=request.POST.get("clinical_question", ""),
                        retest_reason=request.POST.get("retest_reason", ""),
                        retest_reason_text=request.POST.get("retest_reason_text", ""),
                    )
                ),
                _("Exam ordered."),
            )
            if ok:
                return redirect("diagnostics:order-detail", id=created[0].external_id)
    return render(
        request,
        "diagnostics/order_create.html",
        {
            "patient": patient,
            "exams": exams,
            "exam": exam,
            "priors": priors,
            "priorities": Priority.choices,
            "reasons": RetestReason.choices,
        },
    )


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    from django.contrib import messages

    messages.error(request, message)
    return redirect(request.get_full_path())


@login_required
def order_detail(request: HttpRequest, id) -> HttpResponse:
    order = get_for_user(
        ExamOrder.objects.select_related(
            "patient", "exam", "requester_institution", "performer_institution", "centre", "owner"
        ),
        request.user,
        id,
    )
    access = access_for(request.user)
    if order.status == Status.COMPLETED and access.has_perm(
        Perm.VIEW_PATIENT, order.requester_institution_id
    ):
        with contextlib.suppress(ActionError):
            actions.do_mark_report_viewed(actor=request.user, order=order)
    reports = list(
        Report.objects.filter(order=order)
        .select_related("author__practitioner", "signed_by__practitioner")
        .prefetch_related("values")
        .order_by("-version")
    )
    steps = {t.name for t in allowed_transitions(order, request.user)}
    now = timezone.now()
    specimens = (
        list(order.specimens.order_by("collected_at", "id"))
        if order.centre_type == CentreType.PATHOLOGY
        else []
    )
    viewer = _viewer(request, order)
    response = render(
        request,
        "diagnostics/order_detail.html",
        {
            "order": order,
            "specimens": specimens,
            "can_label": order.centre_type == CentreType.PATHOLOGY
            and order.is_open
            and access.has_perm(Perm.REQUEST_SERVICE, order.requester_institution_id),
            "next_barcode": f"{order.accession_number}-{len(specimens) + 1}",
            "schedule_default": _schedule_default(now),
            "schedule_min": timezone.localtime(now).strftime(DATETIME_LOCAL),
            "reports": reports,
            "draft": next((r for r in reports if not r.is_signed), None),
            "steps": steps,
            "is_reader": order.owner_id == request.user.pk,
            "can_amend": order.status == Status.COMPLETED
            and access.has_perm(Perm.SIGN_REPORT, order.performer_institution_id),
            "criticals": order.critical_results.order_by("-created_at"),
            "history": order.history.select_related("actor__practitioner"),
            "second_reader_required": actions.requires_second_reader(order),
            "analytes": [ANALYTES[c] for c in _analytes(order)],
            "critical_findings": CRITICAL_FINDINGS.get(order.centre_type, ()),
            "viewer": viewer,
            "now": now,
        },
    )
    if viewer is not None:
        from lianxin.interfaces.dicom.viewer import VIEWER_CSP

        response._csp_update = VIEWER_CSP
    return response


def _viewer(request: HttpRequest, order: ExamOrder) -> dict | None:
    """The images of an imaging order that arrived over DICOM, for the reading viewer."""
    if order.centre_type != CentreType.IMAGING:
        return None
    from lianxin.interfaces.dicom.viewer import viewer_config

    return viewer_config(request.user, order)


def _analytes(order: ExamOrder) -> tuple[str, ...]:
    from lianxin.diagnostics.rules import EXAMS_BY_CODE

    spec = EXAMS_BY_CODE.get(order.exam.code)
    return spec.analytes if spec else ()


def _values(request: HttpRequest, order: ExamOrder) -> list[actions.Value]:
    out = []
    for code in _analytes(order):
        raw = request.POST.get(f"value_{code}", "").strip()
        if raw:
            out.append(actions.Value(code, raw, request.POST.get(f"unit_{code}", "")))
    return out


def _scheduled_at(request: HttpRequest) -> datetime.datetime | None:
    """The time picked on the order page (``datetime-local``, the server's time zone)."""
    raw = request.POST.get("scheduled_at", "").strip()
    return forms.DateTimeField().clean(raw) if raw else None


def _schedule_default(now: datetime.datetime) -> str:
    """The next quarter hour, as the date-time field shows it."""
    local = timezone.localtime(now).replace(second=0, microsecond=0)
    local += datetime.timedelta(minutes=15 - local.minute % 15)
    return local.strftime(DATETIME_LOCAL)


def _findings(request: HttpRequest) -> dict[str, str]:
    return {"findings": request.POST.get("findings", "")}


@login_required
@require_POST
def order_act(request: HttpRequest, id) -> HttpResponse:
    order = get_for_user(ExamOrder.objects.select_related("patient", "exam"), request.user, id)
    step = request.POST.get("step", "")
    user = request.user
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    calls = {
        "schedule": lambda: actions.do_schedule_exam(
            actor=user, order=order, scheduled_at=_scheduled_at(request), expected_version=expected
        ),
        "perform": lambda: actions.do_perform_exam(
            actor=user,
            order=order,
            image_count=int(request.POST.get("image_count") or 0)
            if (request.POST.get("image_count") or "0").isdigit()
            else -1,
            critical_suspected=request.POST.get("critical_suspected") == "1",
            expected_version=expected,
        ),
        "claim": lambda: actions.do_claim_study(actor=user, order=order, expected_version=expected),
        "release": lambda: actions.do_release_study(actor=user, order=order),
        "overflow": lambda: actions.do_overflow_study(
            actor=user, order=order, force=request.POST.get("force") == "1"
        ),
        "draft": lambda: actions.do_draft_report(
            actor=user,
            order=order,
            impression=request.POST.get("impression", ""),
            findings=_findings(request),
            values=_values(request, order),
        ),
        "sign": lambda: actions.do_sign_report(
            actor=user,
            order=order,
            critical_finding=request.POST.get("critical_finding", ""),
            single_reader_reason=request.POST.get("single_reader_reason", ""),
            expected_version=expected,
        ),
        "amend": lambda: actions.do_amend_report(
            actor=user,
            order=order,
            reason=request.POST.get("reason", ""),
            impression=request.POST.get("impression", ""),
            findings=_findings(request),
            values=_values(request, order),
        ),
        "critical": lambda: actions.do_raise_critical_result(
            actor=user, order=order, finding=request.POST.get("finding", "")
        ),
        "cancel": lambda: actions.do_cancel_exam_order(
            actor=user, order=order, reason=request.POST.get("reason", "")
        ),
    }
    if step not in calls:
        raise PermissionDenied(_("Unknown step."))
    run_action(request, calls[step], str(STEP_DONE[step]))
    return redirect("diagnostics:order-detail", id=order.external_id)


# What each step's success message says was done (never a bare "Done.").
STEP_DONE = {
    "schedule": gettext_lazy("Exam scheduled."),
    "perform": gettext_lazy("Exam recorded as done; the study is waiting for a reader."),
    "claim": gettext_lazy("Study taken on; it is on your reading list."),
    "release": gettext_lazy("Study released back to the worklist."),
    "overflow": gettext_lazy("Study passed to the overflow centre."),
    "draft": gettext_lazy("Report draft saved."),
    "sign": gettext_lazy("Report signed and sent to the ordering site."),
    "amend": gettext_lazy("Amended report signed and sent to the ordering site."),
    "critical": gettext_lazy("Critical result raised; the ordering site is being notified."),
    "cancel": gettext_lazy("Exam order cancelled."),
}
