"""The critical-result register and acknowledgement by read-back."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.diagnostics import actions
from lianxin.diagnostics.models import CriticalResult
from lianxin.diagnostics.queries import critical_register
from lianxin.diagnostics.views.common import require_perm, run_action
from lianxin.patients.actions import record_patients_listed


def _visible(request: HttpRequest):
    return CriticalResult.objects.visible_to(request.user)


@login_required
def register(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.VIEW_PATIENT)
    rows = critical_register(_visible(request))
    if request.GET.get("open") == "1":
        rows = rows.filter(status=Status.REQUESTED)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    # The rows name patients: audited as reads of those patients.
    record_patients_listed(
        actor=request.user, patients=[row.patient for row in page], channel="critical-results"
    )
    return render(
        request,
        "diagnostics/critical_register.html",
        {"page": page, "filters": request.GET, "now": timezone.now()},
    )


@login_required
def detail(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.VIEW_PATIENT)
    result = get_for_user(
        critical_register(_visible(request)).select_related("order"), request.user, id
    )
    return render(
        request,
        "diagnostics/critical_detail.html",
        {
            "result": result,
            "history": result.history.select_related("actor"),
            "can_acknowledge": result.status == Status.REQUESTED
            and access_for(request.user).has_perm(
                Perm.VIEW_PATIENT, result.requester_institution_id
            ),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def acknowledge(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.VIEW_PATIENT)
    result = get_for_user(_visible(request), request.user, id)
    run_action(
        request,
        lambda: actions.do_acknowledge_critical_result(
            actor=request.user,
            result=result,
            read_back=request.POST.get("read_back", ""),
            action_taken=request.POST.get("action_taken", ""),
        ),
        _("Critical result acknowledged."),
    )
    return redirect("diagnostics:critical-detail", id=result.external_id)
