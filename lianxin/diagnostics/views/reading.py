"""The centre's reading worklist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.queries import worklist
from lianxin.diagnostics.rules import EXAMS, Priority
from lianxin.diagnostics.views.common import CappedPaginator, require_perm
from lianxin.network.models import CentreType, Institution
from lianxin.patients.actions import record_patients_listed

PAGE_SIZE = 30
STATE_CHOICES = (
    ("waiting", _("waiting for a reader")),
    ("reading", _("being read")),
    ("ordered", _("ordered, not yet performed")),
    ("reported", _("reported")),
    ("open", _("all open")),
)
STATES = tuple(value for value, _label in STATE_CHOICES)


@login_required
def worklist_view(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.SIGN_REPORT, Perm.PERFORM_SERVICE)
    access = access_for(request.user)
    params = request.GET
    state = params.get("state", "waiting")
    site = params.get("site", "")
    site_id = (
        Institution.objects.visible_to(request.user)
        .filter(external_id=site)
        .values_list("pk", flat=True)
        .first()
        if len(site) == 36
        else None
    )
    modalities = sorted({e.modality for e in EXAMS})
    items = worklist(
        ExamOrder.objects.visible_to(request.user),
        institution_ids=access.institutions_with(Perm.PERFORM_SERVICE),
        modality=params.get("modality", "") if params.get("modality") in modalities else "",
        centre_type=params.get("centre_type", "")
        if params.get("centre_type") in CentreType.values
        else "",
        site=site_id,
        priority=params.get("priority", "") if params.get("priority") in Priority.values else "",
        state=state if state in STATES else "waiting",
        overdue=params.get("overdue") == "1",
    )
    page = CappedPaginator(items, PAGE_SIZE).get_page(params.get("page"))
    # The rows name patients: audited as reads of those patients.
    record_patients_listed(
        actor=request.user, patients=[row.patient for row in page], channel="worklist"
    )
    from lianxin.interfaces.dicom.reconcile import queue_for

    return render(
        request,
        "diagnostics/worklist.html",
        {
            "page": page,
            "filters": params,
            "state": state,
            "states": STATE_CHOICES,
            "modalities": modalities,
            "priorities": Priority.choices,
            "centre_types": CentreType.choices,
            "now": timezone.now(),
            # Studies that came without a known order: the centre attaches them (interfaces).
            "to_reconcile": queue_for(request.user).count(),
        },
    )
