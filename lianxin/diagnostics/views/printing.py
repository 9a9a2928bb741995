"""The printable exam report."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from lianxin.core.access import get_for_user
from lianxin.core.workflow import Status
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.printing import FONT_PACKAGE, FontUnavailable, build_report_pdf, find_font
from lianxin.patients.actions import record_patient_read

logger = logging.getLogger(__name__)


@login_required
def print_report(request: HttpRequest, id) -> HttpResponse:
    order = get_for_user(
        ExamOrder.objects.select_related("patient", "exam", "centre", "requester_institution"),
        request.user,
        id,
    )
    if order.status != Status.COMPLETED:
        return HttpResponse(
            _("There is no signed report to print."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    try:
        find_font()
    except FontUnavailable as exc:
        logger.warning("%s", exc)
        message = _(
            "The report cannot be printed: the server has no Chinese font. "
            "Ask the administrator to install the package %(package)s "
            "or to set LIANXIN_PDF_FONT."
        ) % {"package": FONT_PACKAGE}
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    record_patient_read(actor=request.user, patient=order.patient, channel="report-print")
    response = HttpResponse(build_report_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{order.accession_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
