"""Emergency-desk pages: ask where to go (village search or a click on the map), open a case
and record its times, what stationing saved, the planner and the road network's state."""

from __future__ import annotations

import threading

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianxin.core.access import access_for, get_for_user
from lianxin.core.adapters import errors_to_messages, page_step, submit
from lianxin.core.permissions import Perm
from lianxin.emergency import inputs, mapsvg, queries, rules, tables
from lianxin.emergency.advice import AdviceError, advise
from lianxin.emergency.models import GreenChannelCase, RoadNetwork
from lianxin.network.models import Capability, Institution

_svg_cache: dict[tuple[int, int], str] = {}
_svg_lock = threading.Lock()


def _tabs(request: HttpRequest) -> dict[str, bool]:
    """Which of the app's tabs the user may open (the commission sees the figures, not the
    desk)."""
    access = access_for(request.user)
    figures = queries.may_see_figures(request.user)
    return {
        "desk": access.has_perm(Perm.EMERGENCY_ROUTING),
        # The receiving sites' clinicians see the cases brought to them.
        "cases": access.has_perm(Perm.EMERGENCY_ROUTING) or access.has_perm(Perm.PERFORM_SERVICE),
        "figures": figures,
        "network": access.has_perm(Perm.VIEW_REGISTRY),
    }


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    return render(request, template, {**context, "tabs": _tabs(request)}, status=status)


def _network_or_none(request: HttpRequest) -> RoadNetwork | None:
    return inputs.networks_for(request.user).defer("graph_data", "table_data").first()


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    inputs.require_desk(request.user)
    network = _network_or_none(request)
    context: dict = {
        "conditions": rules.CONDITIONS.values(),
        "network": network,
        "projection": mapsvg.projection_of(network) if network else None,
        "data": request.GET,
    }
    asked = any(request.GET.get(k) for k in ("village", "lat", "q", "patient"))
    if asked:
        try:
            question = inputs.parse_question(request.user, request.GET)
            result = advise(
                question.origin,
                question.condition,
                networks=inputs.networks_for(request.user),
                at=question.at,
                among=inputs.registry_reach(request.user),
            )
            context["advice"] = result
            context["routes"] = _overlay(result, network)
        except AdviceError as exc:
            context["error"] = str(exc)
            if exc.code == "ambiguous_village":
                context["matches"] = inputs.search_villages(request.user, request.GET.get("q", ""))
            status = 400
            return _render(request, "emergency/desk.html", context, status=status)
    return _render(request, "emergency/desk.html", context)


def _overlay(result, network) -> dict:
    if network is None or result.network is None:
        return {}
    projection = mapsvg.projection_of(network)
    out = {"origin": projection.xy(result.origin.lat, result.origin.lon), "options": []}
    for index, option in enumerate(result.options[:4]):
        out["options"].append(
            {
                "rank": index + 1,
                "name": option.site.name,
                "xy": projection.xy(float(option.site.latitude), float(option.site.longitude)),
                "points": projection.points(result.route(option)) if index == 0 else "",
            }
        )
    return out


@login_required
def villages(request: HttpRequest) -> JsonResponse:
    inputs.require_desk(request.user)
    found = inputs.search_villages(request.user, request.GET.get("q", ""))
    return JsonResponse({"villages": [{"id": str(v.external_id), "name": v.name} for v in found]})


@login_required
def map_svg(request: HttpRequest) -> HttpResponse:
    inputs.require_desk(request.user)
    network = _network_or_none(request)
    if network is None:
        raise Http404("no road network")
    key = (network.pk, network.table_version)
    with _svg_lock:
        svg = _svg_cache.get(key)
    if svg is None:
        loaded = tables.load(network)
        sites = tables.destination_sites(network).only("name", "latitude", "longitude")
        svg = mapsvg.base_map(network, loaded.graph, sites)
        with _svg_lock:
            _svg_cache.clear()
            _svg_cache[key] = svg
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def case_open(request: HttpRequest) -> HttpResponse:
    inputs.require_desk(request.user)
    form = inputs.OpenCaseForm(request.POST, user=request.user)
    if not submit(form):
        errors_to_messages(request, form)
        return redirect("emergency:desk")
    messages.success(request, str(form.success))
    return redirect("emergency:case", id=form.result.external_id)


def _case_queryset(request: HttpRequest):
    return GreenChannelCase.objects.select_related(
        "desk_institution",
        "patient",
        "village",
        "advised",
        "chosen",
        "default_destination",
        "credited_practitioner",
        "referral",
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = GreenChannelCase.objects.visible_to(request.user).select_related(
        "advised", "chosen", "village", "credited_practitioner"
    )[:100]
    return _render(request, "emergency/cases.html", {"cases": cases})


@login_required
def case_detail(request: HttpRequest, id) -> HttpResponse:
    case = get_for_user(_case_queryset(request), request.user, id)
    access = access_for(request.user)
    fields = [
        (f, GreenChannelCase._meta.get_field(f).verbose_name, getattr(case, f))
        for f in rules.CASE_TIMES
    ]
    may_refer = bool(case.chosen_id) and access.has_perm(Perm.REQUEST_SERVICE, case.chosen_id)
    targets = []
    if may_refer:
        targets = (
            Institution.objects.visible_to(request.user)
            .filter(
                tier__in=["county_hospital", "tertiary", "county_mch", "county_tcm"], is_active=True
            )
            .exclude(pk=case.chosen_id)
        )
    return _render(
        request,
        "emergency/case_detail.html",
        {"case": case, "times": fields, "may_refer": may_refer, "targets": targets},
    )


def _load_case(request: HttpRequest, id) -> GreenChannelCase:
    return get_for_user(_case_queryset(request), request.user, id)


def _case_url(case: GreenChannelCase) -> str:
    return reverse("emergency:case", kwargs={"id": case.external_id})


step_views = {
    name: page_step(form, load=_load_case, done=_case_url) for name, form in inputs.STEPS.items()
}


@login_required
def savings_view(request: HttpRequest) -> HttpResponse:
    if not _tabs(request)["figures"]:
        raise PermissionDenied(_("Your role does not see these figures."))
    cases = queries.case_scope_for_figures(request.user)
    groups = {by: queries.savings(cases, by) for by in queries.GROUPS}
    return _render(request, "emergency/savings.html", {"groups": groups})


@login_required
def planner_view(request: HttpRequest) -> HttpResponse:
    if not _tabs(request)["figures"]:
        raise PermissionDenied(_("Your role does not plan stationings."))
    network = _network_or_none(request)
    catalogue = Capability.objects.filter(kind="procedure").order_by("code")
    code = request.GET.get("capability") or "trauma_surgery"
    result = None
    if network is not None and catalogue.filter(code=code).exists():
        result = queries.plan_stationing(network, code)
    return _render(
        request,
        "emergency/planner.html",
        {"network": network, "catalogue": catalogue, "code": code, "result": result},
    )


def _networks(request: HttpRequest):
    return (
        RoadNetwork.objects.visible_to(request.user)
        .defer("graph_data", "table_data")
        .select_related("community")
    )


@login_required
def network_view(request: HttpRequest) -> HttpResponse:
    networks = _networks(request)
    access = access_for(request.user)
    if not networks.exists() and not access.has_perm(Perm.VIEW_REGISTRY):
        raise PermissionDenied
    network = networks.first()
    overrides = (network.speed_overrides or {}) if network else {}
    may_manage = network is not None and access.has_perm(
        Perm.MANAGE_NETWORK, network.community.lead_id
    )
    form = inputs.SetRoadSpeedsForm(user=request.user, target=network) if may_manage else None
    speeds = [
        (
            rules.ROAD_CLASS_NAMES.get(name, name),
            name,
            kmh,
            overrides.get(name),
            form[name] if form is not None else None,
        )
        for name, kmh in rules.ROAD_SPEEDS_KMH.items()
    ]
    return _render(
        request,
        "emergency/network.html",
        {
            "network": network,
            "speeds": speeds,
            "source": rules.ROAD_SPEEDS_SOURCE,
            "may_manage": may_manage,
            "limits": rules.SPEED_OVERRIDE_KMH,
        },
    )


def _load_network(request: HttpRequest, id) -> RoadNetwork:
    return get_for_user(_networks(request), request.user, id)


network_step_views = {
    name: page_step(form, load=_load_network, done=lambda network: reverse("emergency:network"))
    for name, form in inputs.NETWORK_STEPS.items()
}
