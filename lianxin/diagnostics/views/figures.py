"""Turnaround times and recognition figures: aggregates, open to the health commission."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.diagnostics.ecg.queries import village_coverage
from lianxin.diagnostics.models import ExamOrder, Recognition
from lianxin.diagnostics.queries import recognition_figures, turnaround
from lianxin.diagnostics.views.common import require_perm

GROUPINGS = (
    ("site", _("by site")),
    ("department", _("by department")),
    ("doctor", _("by doctor")),
    ("month", _("by month")),
)


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
    by = by if by in dict(GROUPINGS) else "site"
    return render(
        request,
        "diagnostics/figures.html",
        {
            "by_centre": turnaround(orders, by="centre"),
            "by_site": turnaround(orders, by="site"),
            "recognition": recognition_figures(recognitions, by=by),
            "by": by,
            "village_ecg": village_coverage(None if access.is_superuser else reach),
            "groupings": GROUPINGS,
        },
    )
