"""The centre's figures page and its Excel export."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lianxin.core.permissions import Perm
from lianxin.sterile.figures import figures, workbook
from lianxin.sterile.views.common import require_perm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today - datetime.timedelta(days=365)
    try:
        end = datetime.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE)
    start, end = _period(request)
    data = figures(request.user, start=start, end=end)
    return render(request, "sterile/figures.html", {"data": data, "centre_user": True})


@login_required
def figures_xlsx(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE)
    start, end = _period(request)
    response = HttpResponse(
        workbook(figures(request.user, start=start, end=end)), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="sterile-{start}-{end}.xlsx"'
    return response
