"""The referrals and consultations of a patient, on the 360° patient page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.patients.sections import register_section
from lianxin.referrals.models import Consultation, Referral


def _context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    referrals = (
        Referral.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("requester_institution", "performer_institution", "performer_department")
        .order_by("-created_at")[:20]
    )
    consultations = (
        Consultation.objects.visible_to(request.user)
        .filter(patient=patient)
        .select_related("requester_institution", "performer_institution")
        .order_by("-created_at")[:20]
    )
    return {
        "referrals": referrals,
        "consultations": consultations,
        "can_refer": access_for(request.user).has_perm(Perm.REQUEST_SERVICE),
        "now": timezone.now(),
    }


register_section(
    "referrals",
    _("Referrals and consultations"),
    "referrals/sections/patient.html",
    context=_context,
    order=10,
)
