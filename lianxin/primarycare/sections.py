"""The resident's family doctor on the 360° patient page: the contract, its follow-up plans and
the way to sign one (the "follow-ups" section, which this app provides)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.patients.sections import register_section
from lianxin.primarycare.models import Contract, ContractStatus, FollowUpPlan


def _context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    from lianxin.primarycare.queries import teams_of

    user = request.user
    if not access_for(user).has_perm(Perm.FAMILY_DOCTOR):
        return {"family_doctor": False}
    contracts = list(
        Contract.objects.visible_to(user)
        .filter(patient=patient)
        .select_related("team", "doctor")
        .order_by("-starts_on", "-id")[:5]
    )
    current = next((c for c in contracts if c.status == ContractStatus.ACTIVE), None)
    plans = (
        FollowUpPlan.objects.visible_to(user)
        .filter(patient=patient, status=Status.IN_PROGRESS)
        .order_by("next_due_on")
    )
    return {
        "family_doctor": True,
        "contracts": contracts,
        "current": current,
        "plans": plans,
        "may_sign": current is None and teams_of(user).exists() and not patient.deceased_on,
    }


register_section(
    "follow-ups",
    _("Family doctor and follow-ups"),
    "primarycare/sections/patient.html",
    context=_context,
    order=30,
)
