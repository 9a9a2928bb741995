"""Turnaround times and recognition figures: aggregates, open to the health commission."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.diagnostics.models import ExamOrder, Recognition
from lianxin.diagnostics.queries import recognition_figures, turnaround
from lianxin.diagnostics.views.common import require_perm

GROUPINGS = ("site", "department", "doctor", "month")


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.VIEW_AGGREGATES, Perm.SIGN_REPORT)
    access = access_for(request.user)
    reach = access.registry_institution_ids
    orders = ExamOrder.objects.all()
    recognitions = Recognition.objects.all()
    if not access.is_superuser:
        orders = orders.filter(requester_institution_id__in=reach)
        recognitions = recognitions.filter(institution_id__in=reach)
    by = request.GET.get("by", "site")
    by = by if by in GROUPINGS else "site"
    return render(
        request,
        "diagnostics/figures.html",
        {
            "by_centre": turnaround(orders, by="centre"),
            "by_site": turnaround(orders, by="site"),
            "recognition": recognition_figures(recognitions, by=by),
            "by": by,
            "groupings": GROUPINGS,
        },
    )
