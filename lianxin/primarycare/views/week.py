"""The village and family doctor's "this week" list: due, overdue and newly discharged, by
village, made for a phone screen."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.core import audit
from lianxin.core.access import access_for, get_for_user
from lianxin.network.models import Institution
from lianxin.primarycare import queries
from lianxin.primarycare.views.common import require_family_doctor


@login_required
def week_view(request: HttpRequest) -> HttpResponse:
    require_family_doctor(request)
    access = access_for(request.user)
    village = None
    if request.GET.get("village"):
        village = get_for_user(Institution, request.user, request.GET["village"])
    elif len(access.clinical_institution_ids) == 1:
        (only,) = access.clinical_institution_ids
        mine = Institution.objects.filter(pk=only, tier="village").first()
        village = mine  # a village doctor sees their own village first
    week = queries.week(request.user, village=village)
    rows = week.overdue + week.due + week.discharged
    if rows:
        # A list of residents is a read of their records: one audit row per page.
        with transaction.atomic():
            audit.record(
                "primarycare.week.list",
                actor=request.user,
                institution=min(access.clinical_institution_ids, default=None),
                target_type="patients.patient",
                after={"ids": sorted({str(p.patient.external_id) for p in rows})},
            )
    return render(request, "primarycare/week.html", {"week": week})
