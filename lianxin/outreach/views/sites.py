"""What a site can do now, and who brings which; the sites that can do one thing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lianxin.core.access import get_for_user
from lianxin.network.models import Capability, Institution
from lianxin.outreach import queries
from lianxin.outreach.models import Posting
from lianxin.outreach.views.common import require_registry


@login_required
def site_view(request: HttpRequest, id) -> HttpResponse:
    require_registry(request)
    site = get_for_user(Institution, request.user, id)
    today = timezone.localdate()
    found = queries.capabilities(site, today)
    here = (
        Posting.objects.visible_to(request.user)
        .active_on(today)
        .filter(host_institution=site)
        .select_related("practitioner", "home_institution")
        .order_by("ends_on")
    )
    return render(
        request,
        "outreach/site.html",
        {"site": site, "found": found, "here": here, "today": today},
    )


@login_required
def sites_with_view(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    catalogue = Capability.objects.order_by("kind", "code")
    code = request.GET.get("capability", "")
    chosen = catalogue.filter(code=code).first()
    rows = []
    if chosen is not None:
        among = Institution.objects.visible_to(request.user).values("pk")
        rows = queries.sites_with(chosen.code, timezone.localdate(), among=among)
    return render(
        request,
        "outreach/sites_with.html",
        {"catalogue": catalogue, "chosen": chosen, "rows": rows},
    )
