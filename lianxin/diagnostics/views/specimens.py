"""Pathology specimens by barcode: the list the ordering site and the pathology centre share,
the scan field that finds a specimen and offers its next step, labelling a specimen from a
pathology order, and its printable label."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import get_for_user
from lianxin.core.permissions import Perm
from lianxin.diagnostics import actions
from lianxin.diagnostics.actions.specimens import may_record, next_step
from lianxin.diagnostics.models import ExamOrder, Specimen, SpecimenStatus
from lianxin.diagnostics.printing import (
    FONT_PACKAGE,
    FontUnavailable,
    build_specimen_label_pdf,
    find_font,
)
from lianxin.diagnostics.views.common import require_perm, run_action
from lianxin.network.models import Institution
from lianxin.patients.actions import record_patient_read

logger = logging.getLogger(__name__)

PAGE_SIZE = 30
RELATED = (
    "order__patient",
    "order__exam",
    "order__requester_institution",
    "order__performer_institution",
)
# "open": not yet reported (the default); "all"; or one state.
STATES = ("open", "all", *SpecimenStatus.values)


def _visible(request: HttpRequest) -> QuerySet[Specimen]:
    return Specimen.objects.visible_to(request.user)


def _site_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def specimen_rows(
    queryset: QuerySet[Specimen], *, state: str = "open", site: uuid.UUID | None = None
) -> QuerySet[Specimen]:
    """Specimens in ``state`` (optionally from one ordering site): frozen sections still in
    the pathway first (they are urgent), then the longest waiting; reported ones newest first."""
    rows = queryset
    if state == "open":
        rows = rows.exclude(status=SpecimenStatus.REPORTED)
    elif state in SpecimenStatus.values:
        rows = rows.filter(status=state)
    if site is not None:
        rows = rows.filter(order__requester_institution__external_id=site)
    urgent = ExpressionWrapper(
        Q(is_frozen_section=True) & ~Q(status=SpecimenStatus.REPORTED),
        output_field=BooleanField(),
    )
    order = ("collected_at", "id")
    if state in ("all", SpecimenStatus.REPORTED):
        order = ("-collected_at", "-id")
    return rows.select_related(*RELATED).annotate(urgent=urgent).order_by("-urgent", *order)


def _scan(request: HttpRequest, barcode: str) -> dict[str, Any]:
    """What the scan field shows for ``barcode``: the specimen and its next step, or why not."""
    code = barcode.strip().upper()
    if not code:
        return {"barcode": code, "error": _("Scan or type a barcode.")}
    specimen = _visible(request).select_related(*RELATED).filter(barcode=code).first()
    if specimen is None:
        return {
            "barcode": code,
            "error": _("No specimen with the barcode %(barcode)s in your records.")
            % {"barcode": code},
        }
    step = next_step(specimen)
    return {
        "barcode": code,
        "specimen": specimen,
        "next": step,
        "next_label": SpecimenStatus(step).label if step else "",
        "allowed": may_record(request.user, specimen, step),
    }


@login_required
def specimen_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.REQUEST_SERVICE, Perm.PERFORM_SERVICE)
    params = request.GET
    scan = _scan(request, params["barcode"]) if "barcode" in params else None
    if request.htmx and scan is not None:
        return render(request, "diagnostics/_specimen_scan.html", {"scan": scan, "filters": params})
    state = params.get("state", "open")
    state = state if state in STATES else "open"
    site = _site_id(params.get("site", ""))
    visible = _visible(request)
    rows = specimen_rows(visible, state=state, site=site)
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    sites = Institution.objects.filter(
        pk__in=visible.values("order__requester_institution_id")
    ).order_by("name")
    return render(
        request,
        "diagnostics/specimens.html",
        {
            "page": page,
            "scan": scan,
            "filters": params,
            "state": state,
            "states": [
                ("open", _("Not yet reported")),
                ("all", _("All")),
                *SpecimenStatus.choices,
            ],
            "site": str(site) if site else "",
            "sites": sites,
        },
    )


def _back(request: HttpRequest) -> str:
    """The list with the filters the scan was made under."""
    keep = {k: request.POST[k] for k in ("state", "site") if request.POST.get(k)}
    url = reverse("diagnostics:specimens")
    return f"{url}?{urlencode(keep)}" if keep else url


@login_required
@require_POST
def specimen_advance(request: HttpRequest) -> HttpResponse:
    """Record the scanned specimen's next step (the action refuses a skipped or repeated one)."""
    require_perm(request, Perm.REQUEST_SERVICE, Perm.PERFORM_SERVICE)
    barcode = request.POST.get("barcode", "").strip().upper()
    step = request.POST.get("to", "")
    label = SpecimenStatus(step).label if step in SpecimenStatus.values else step
    run_action(
        request,
        lambda: actions.do_advance_specimen(actor=request.user, barcode=barcode, to=step),
        _("Specimen %(barcode)s: %(step)s recorded.") % {"barcode": barcode, "step": label},
    )
    return redirect(_back(request))


@login_required
@require_POST
def specimen_register(request: HttpRequest, id) -> HttpResponse:
    """Label a specimen collected for a pathology order (the ordering site)."""
    order = get_for_user(
        ExamOrder.objects.select_related("exam", "requester_institution"), request.user, id
    )
    barcode = request.POST.get("barcode", "")
    run_action(
        request,
        lambda: actions.do_register_specimen(
            actor=request.user,
            order=order,
            barcode=barcode,
            site=request.POST.get("site", ""),
            frozen_section=request.POST.get("frozen_section") == "1",
        ),
        _("Specimen %(barcode)s labelled.") % {"barcode": barcode.strip().upper()},
    )
    return redirect("diagnostics:order-detail", id=order.external_id)


@login_required
def specimen_label(request: HttpRequest, id) -> HttpResponse:
    """The specimen's label: a PDF with its Code 128 barcode, for the label printer."""
    specimen = get_for_user(_visible(request).select_related(*RELATED), request.user, id)
    try:
        find_font()
    except FontUnavailable as exc:
        logger.warning("%s", exc)
        message = _(
            "The label cannot be printed: the server has no Chinese font. "
            "Ask the administrator to install the package %(package)s "
            "or to set LIANXIN_PDF_FONT."
        ) % {"package": FONT_PACKAGE}
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    record_patient_read(
        actor=request.user, patient=specimen.order.patient, channel="specimen-label"
    )
    response = HttpResponse(build_specimen_label_pdf(specimen), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="specimen-{specimen.barcode}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
