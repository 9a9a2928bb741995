"""The scanning pages, one per step: the step's context chosen once (the load, the branch, the
patient …), then one barcode after another from a keyboard-wedge scanner (it types the code and
Enter). Each scan answers with the pack's new state or a clear refusal; a refusal changes
nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lianxin.core.access import access_for
from lianxin.core.adapters import submit
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.sterile.forms import ScanForm, centre_staff, machines
from lianxin.sterile.models import LoadStatus, PackRequest, SterilisationLoad, WasherLoad
from lianxin.sterile.rules import SCAN_STEPS, STEP_RULES, Condition, MachineKind, Packaging, Step
from lianxin.sterile.views.common import form_errors, is_centre, require_perm, user_centres
from lianxin.workforce.models import Practitioner


def _step_perm(step: str) -> Perm:
    return Perm.PROCESS_STERILE if STEP_RULES[step].side == "centre" else Perm.USE_STERILE


def _options(request: HttpRequest, step: str) -> dict:
    """The choices the step's context offers."""
    user = request.user
    access = access_for(user)
    out: dict = {}
    recent = timezone.now() - datetime.timedelta(days=2)
    if step == Step.WASH:
        out["washer_loads"] = (
            WasherLoad.objects.visible_to(user)
            .filter(started_at__gte=recent)
            .select_related("machine")[:20]
        )
        out["washers"] = machines(user, MachineKind.WASHER)
    elif step == Step.PACK:
        centres = user_centres(request)
        out["checkers"] = [
            u for c in centres for u in centre_staff(c.institution_id) if u.pk != user.pk
        ]
        out["packagings"] = Packaging.choices
    elif step == Step.STERILISE:
        out["loads"] = (
            SterilisationLoad.objects.visible_to(user)
            .filter(status=LoadStatus.OPEN)
            .select_related("machine")
        )
    elif step == Step.ISSUE:
        centres = user_centres(request)
        out["branches"] = Institution.objects.filter(
            pk__in=access.registry_institution_ids, is_active=True
        ).exclude(tier="commission")
        out["requests"] = (
            PackRequest.objects.visible_to(user)
            .filter(fulfilled_at__isnull=True, centre__in=centres)
            .select_related("branch")[:30]
        )
    elif step == Step.USE:
        out["surgeons"] = Practitioner.objects.filter(
            institution_id__in=access.institutions_with(Perm.USE_STERILE), is_active=True
        ).order_by("name")[:300]
    elif step == Step.COLLECT:
        out["conditions"] = Condition.choices
    return out


def _scan(request: HttpRequest, step: str) -> dict:
    """Bind the scan's one input definition and call its action (``core.adapters.submit``)."""
    form = ScanForm(request.POST, user=request.user)
    if not submit(form):
        return {"error": form_errors(form), "barcode": request.POST.get("barcode", "")}
    event = form.result
    return {"event": event, "pack": event.pack}


@login_required
def scan_page(request: HttpRequest, step: str) -> HttpResponse:
    if step not in SCAN_STEPS:
        raise Http404("no such step")
    require_perm(request, _step_perm(step))
    result = None
    status = 200
    if request.method == "POST":
        result = _scan(request, step)
        if request.htmx:
            return render(request, "sterile/_scan_result.html", {"result": result})
        status = 400 if "error" in result else 200
    context = {
        "step": step,
        "centre_user": is_centre(request),
        "step_label": Step(step).label,
        "steps": [
            (s, Step(s).label)
            for s in SCAN_STEPS
            if access_for(request.user).has_perm(_step_perm(s))
        ],
        "result": result,
        "selected": request.POST if request.method == "POST" else request.GET,
        **_options(request, step),
    }
    return render(request, "sterile/scan.html", context, status=status)
