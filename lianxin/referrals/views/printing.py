"""The printable referral form: a PDF the referring doctor hands to the patient."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.core.access import get_for_user
from lianxin.core.pdf import FONT_PACKAGE, FontUnavailable, find_font
from lianxin.patients.actions import record_patient_read
from lianxin.referrals.models import Referral
from lianxin.referrals.printing import build_referral_pdf, short_number

logger = logging.getLogger(__name__)


@login_required
def print_form(request: HttpRequest, id) -> HttpResponse:
    referral = get_for_user(
        Referral.objects.select_related(
            "patient",
            "requester_institution",
            "requester_department",
            "performer_institution",
            "performer_department",
            "requester__practitioner__department",
            "requested_practitioner",
        ),
        request.user,
        id,
    )
    try:
        find_font()
    except FontUnavailable as exc:
        # The server lacks a package, not the user a permission: say what to install.
        logger.warning("%s", exc)
        message = _(
            "The referral form cannot be printed: the server has no Chinese font. "
            "Ask the administrator to install the package %(package)s "
            "or to set LIANXIN_PDF_FONT."
        ) % {"package": FONT_PACKAGE}
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    record_patient_read(actor=request.user, patient=referral.patient, channel="referral-print")
    url = request.build_absolute_uri(
        reverse("referrals:detail", kwargs={"id": referral.external_id})
    )
    response = HttpResponse(build_referral_pdf(referral, url=url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="referral-{short_number(referral)}.pdf"'
    # The slip carries the full ID number: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
