"""The overview, the catalogue, packs in circulation, branch requests, one pack's trace and its
label."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for, get_for_user
from lianxin.core.pdf import FONT_PACKAGE, FontUnavailable
from lianxin.core.permissions import Perm
from lianxin.network.models import Institution
from lianxin.sterile import actions, queries
from lianxin.sterile.actions.requests import issued_against
from lianxin.sterile.forms import RequestForm
from lianxin.sterile.models import (
    InstrumentSet,
    Pack,
    PackRequest,
    Recall,
    SterilisationLoad,
)
from lianxin.sterile.printing import build_pack_label_pdf
from lianxin.sterile.rules import PROGRAMS, SHELF_LIVES, Packaging, PackStatus
from lianxin.sterile.views.common import form_errors, is_centre, require_perm, user_centres

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    packs = Pack.objects.visible_to(request.user)
    by_status = dict(packs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return render(
        request,
        "sterile/home.html",
        {
            "centre_user": is_centre(request),
            "statuses": [(s.label, by_status.get(s.value, 0)) for s in PackStatus],
            "open_loads": SterilisationLoad.objects.visible_to(request.user)
            .exclude(status__in=("released", "failed"))
            .select_related("machine")[:20],
            "recalls": Recall.objects.visible_to(request.user).filter(closed_at__isnull=True)[:10],
            "expiring": queries.expiring(packs)[:30],
            "now": timezone.now(),
        },
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    sets = (
        InstrumentSet.objects.visible_to(request.user)
        .filter(is_active=True)
        .prefetch_related("items")
        .select_related("centre__institution")
    )
    return render(
        request,
        "sterile/catalogue.html",
        {
            "centre_user": is_centre(request),
            "sets": sets,
            "shelf_lives": [
                (Packaging(s.packaging).label, s.days, s.condition, s.source)
                for s in SHELF_LIVES.values()
            ],
            "programs": PROGRAMS.values(),
        },
    )


@login_required
def circulation(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    packs = Pack.objects.visible_to(request.user)
    access = access_for(request.user)
    here = (
        packs.filter(location_id__in=access.institution_ids, status__in=queries.IN_CIRCULATION)
        .select_related("instrument_set", "location")
        .order_by("status", "expires_at")[:200]
    )
    return render(
        request,
        "sterile/circulation.html",
        {
            "centre_user": is_centre(request),
            "rows": queries.circulation(packs),
            "here": here if not is_centre(request) else [],
            "now": timezone.now(),
        },
    )


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    centres = user_centres(request)
    access = access_for(request.user)
    branches = Institution.objects.filter(pk__in=access.institutions_with(Perm.USE_STERILE))
    sets = InstrumentSet.objects.visible_to(request.user).filter(is_active=True, centre__in=centres)
    if request.method == "POST":
        form = RequestForm(request.POST)
        branch = branches.filter(external_id=request.POST.get("branch") or None).first()
        lines = []
        for s in sets:
            raw = request.POST.get(f"set_{s.external_id}", "").strip()
            if raw:
                lines.append((s, int(raw) if raw.isdigit() else -1))
        if not form.is_valid() or branch is None or not centres:
            messages.error(request, form_errors(form) or _("Choose your institution."))
        else:
            done = _run(
                request,
                lambda: actions.do_request_packs(
                    actor=request.user,
                    branch=branch,
                    centre=centres[0],
                    lines=lines,
                    needed_by=form.cleaned_data.get("needed_by"),
                    note=form.cleaned_data.get("note") or "",
                ),
            )
            if done:
                messages.success(request, _("Request sent to the centre."))
                return redirect("sterile:requests")
    requests_ = (
        PackRequest.objects.visible_to(request.user)
        .select_related("branch", "requested_by")
        .prefetch_related("lines__instrument_set")[:50]
    )
    rows = [(r, issued_against(r)) for r in requests_]
    return render(
        request,
        "sterile/requests.html",
        {
            "centre_user": is_centre(request),
            "rows": rows,
            "sets": sets,
            "branches": branches,
        },
    )


def _run(request, action) -> bool:
    from django.core.exceptions import ValidationError

    from lianxin.core.errors import ActionError

    try:
        action()
    except (ValidationError, ActionError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return False
    return True


@login_required
def pack_detail(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE, Perm.USE_STERILE)
    pack = get_for_user(
        Pack.objects.select_related("instrument_set", "home", "location", "load__machine"),
        request.user,
        id,
    )
    events = pack.events.select_related(
        "actor", "institution", "washer_load__machine", "load__machine", "surgeon", "checker"
    ).order_by("-cycle", "-at", "-id")[:100]
    # A use shows its patient to those who may open the patients of the place it happened.
    clinical = access_for(request.user).clinical_institution_ids
    return render(
        request,
        "sterile/pack_detail.html",
        {
            "centre_user": is_centre(request),
            "pack": pack,
            "events": events,
            "clinical": clinical,
            "contents": pack.instrument_set.items.all(),
            "expired": pack.is_expired(),
            "recalls": Recall.objects.filter(items__pack=pack).distinct()[:10],
        },
    )


@login_required
def pack_label(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE)
    pack = get_for_user(
        Pack.objects.select_related("instrument_set", "home", "load__machine"), request.user, id
    )
    try:
        pdf = build_pack_label_pdf(pack)
    except FontUnavailable as exc:
        logger.warning("%s", exc)
        message = _(
            "The label cannot be printed: the server has no Chinese font. "
            "Ask the administrator to install the package %(package)s "
            "or to set LIANXIN_PDF_FONT."
        ) % {"package": FONT_PACKAGE}
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pack-{pack.barcode}.pdf"'
    return response
