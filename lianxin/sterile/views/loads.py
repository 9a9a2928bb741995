"""Loads: the steriliser and washer runs of the day, the Bowie-Dick test per steriliser, and one
small view per step (a machine's: B-D test, washer run, open a load; a load's: record the run,
release, read the BI), each made from its input in ``sterile/inputs.py``."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from lianxin.core.access import get_for_user
from lianxin.core.adapters import page_step
from lianxin.core.inputs import resolve
from lianxin.core.permissions import Perm
from lianxin.sterile import actions
from lianxin.sterile.actions.loads import bowie_dick_of_day, on_probation
from lianxin.sterile.forms import machines
from lianxin.sterile.inputs import LOAD_STEPS, MACHINE_STEPS, FinishLoadForm
from lianxin.sterile.models import (
    BowieDickTest,
    LoadStatus,
    Machine,
    Recall,
    SterilisationLoad,
    WasherLoad,
)
from lianxin.sterile.rules import MONITORING, PROGRAMS, MachineKind, Method
from lianxin.sterile.views.common import require_perm

RECENT_LOADS = 40


def _sterilisers(request: HttpRequest) -> list[dict]:
    now = timezone.now()
    out = []
    for machine in machines(request.user, MachineKind.STERILISER):
        rule = MONITORING.get(machine.method)
        needs_bd = bool(rule and rule.bowie_dick_daily)
        out.append(
            {
                "machine": machine,
                "needs_bd": needs_bd,
                "bd": bowie_dick_of_day(machine, now) if needs_bd else None,
                "probation": on_probation(machine),
                "programs": [p for p in PROGRAMS.values() if p.method == machine.method],
            }
        )
    return out


@login_required
def load_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE)
    loads = (
        SterilisationLoad.objects.visible_to(request.user)
        .select_related("machine", "operator")
        .order_by("-started_at")[:RECENT_LOADS]
    )
    since = timezone.now() - datetime.timedelta(days=2)
    return render(
        request,
        "sterile/loads.html",
        {
            "centre_user": True,
            "loads": loads,
            "sterilisers": _sterilisers(request),
            "washers": machines(request.user, MachineKind.WASHER),
            "washer_programs": [p for p in PROGRAMS.values() if p.method == Method.THERMAL],
            "washer_loads": WasherLoad.objects.visible_to(request.user)
            .filter(started_at__gte=since)
            .select_related("machine", "operator")[:20],
        },
    )


@login_required
def load_detail(request: HttpRequest, id) -> HttpResponse:
    require_perm(request, Perm.PROCESS_STERILE)
    load = get_for_user(
        SterilisationLoad.objects.select_related(
            "machine", "operator", "released_by", "bi_read_by", "bowie_dick"
        ),
        request.user,
        id,
    )
    packs = load.events.filter(step="sterilise").select_related("pack__instrument_set")
    return render(
        request,
        "sterile/load_detail.html",
        {
            "centre_user": True,
            "load": load,
            "program": PROGRAMS.get(load.program),
            "events": packs,
            "blockers": actions.release_blockers(load),
            "emergency_blockers": actions.release_blockers(load, emergency=True),
            "finish_form": FinishLoadForm(user=request.user, target=load),
            "recalls": load.recalls.all(),
        },
    )


def _machine(request: HttpRequest, id) -> Machine:
    require_perm(request, Perm.PROCESS_STERILE)
    return resolve(Machine.objects.select_related("centre", "equipment"), request.user, id)


def _load(request: HttpRequest, id) -> SterilisationLoad:
    require_perm(request, Perm.PROCESS_STERILE, Perm.RELEASE_STERILE)
    return resolve(
        SterilisationLoad.objects.select_related("machine__centre", "centre"), request.user, id
    )


def _loads_url(machine: Machine) -> str:
    return reverse("sterile:loads")


def _load_url(load: SterilisationLoad) -> str:
    return reverse("sterile:load-detail", kwargs={"id": load.external_id})


def _after_machine_step(machine: Machine, result: object) -> str | None:
    """An opened load goes straight to the sterilisation scan; a failed B-D test to its recall."""
    if isinstance(result, SterilisationLoad):
        url = reverse("sterile:scan", kwargs={"step": "sterilise"})
        return f"{url}?load={result.external_id}"
    if isinstance(result, BowieDickTest) and not result.passed:
        return _recall_url(result.recalls.order_by("-opened_at").first())
    return None


def _after_load_step(load: SterilisationLoad, result: SterilisationLoad) -> str | None:
    """A load that failed (its parameters, its chemical indicator, its BI) shows its recall."""
    if result.status == LoadStatus.FAILED:
        return _recall_url(result.triggered_recalls.order_by("-opened_at").first())
    return None


def _recall_url(recall: Recall | None) -> str | None:
    if recall is None:
        return None
    return reverse("sterile:recall-detail", kwargs={"id": recall.external_id})


#: one POST view per machine step (``sterile:bowie-dick``, ``sterile:washer-run``,
#: ``sterile:open-load``) and per load step (``sterile:load-finish`` …), over ``inputs``
machine_step_views = {
    name: page_step(form, load=_machine, done=_loads_url, then=_after_machine_step)
    for name, form in MACHINE_STEPS.items()
}
load_step_views = {
    name: page_step(form, load=_load, done=_load_url, then=_after_load_step)
    for name, form in LOAD_STEPS.items()
}
