"""Reads of the emergency app: minutes saved (aggregates) and the stationing planner.

- ``savings(cases, by)``: cases, minutes saved in all and per case, grouped by month, year,
  capability or stationed expert — counts and sums only, so the health commission may read it.
- ``month_summary(desks, day)``: the home card's line; ``posting_savings(posting)``: the
  posting page's.
- ``plan_stationing(network, capability, at)``: for each branch that cannot give the treatment
  now but has the rooms for it, how much an expert stationed there would cut the
  population-weighted minutes to treatment across the villages.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.apps import apps
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncYear

from lianxin.emergency import rules, tables
from lianxin.emergency.models import GreenChannelCase, RoadNetwork
from lianxin.network.models import Capability, Institution, Tier
from lianxin.outreach.queries import capabilities_many

GROUPS = ("month", "year", "capability", "expert")


def savings(cases: QuerySet, by: str) -> list[dict[str, Any]]:
    """Rows of {key, label, cases, saved, per_case}; ``by`` is one of GROUPS."""
    counted = cases.filter(minutes_saved__isnull=False)
    if by == "month":
        rows = counted.annotate(key=TruncMonth("call_at")).values("key")
    elif by == "year":
        rows = counted.annotate(key=TruncYear("call_at")).values("key")
    elif by == "capability":
        rows = counted.annotate(key=F("capability")).values("key")
    elif by == "expert":
        rows = (
            counted.filter(credited_practitioner__isnull=False)
            .annotate(
                key=F("credited_practitioner__name"),
                title=F("credited_practitioner__title"),
                home=F("credited_practitioner__institution__name"),
            )
            .values("key", "title", "home")
        )
    else:
        raise ValueError(by)
    out = list(
        rows.annotate(
            n=Count("id"), saved=Sum("minutes_saved"), per_case=Avg("minutes_saved")
        ).order_by("key")
    )
    if by == "capability":
        names = dict(Capability.objects.values_list("code", "name"))
        for row in out:
            row["label"] = names.get(row["key"], row["key"])
    if by == "expert":
        out.sort(key=lambda r: -(r["saved"] or 0))
    return out


def month_summary(desks: Iterable[int], day: datetime.date) -> dict[str, Any]:
    first = day.replace(day=1)
    found = GreenChannelCase.objects.filter(
        desk_institution_id__in=list(desks), call_at__date__gte=first
    ).aggregate(n=Count("id"), saved=Sum("minutes_saved"))
    return {"cases": found["n"] or 0, "saved": round(found["saved"] or 0)}


def may_see_figures(user: Any) -> bool:
    """The roles that read the minutes saved: the desk, the aggregate readers, outreach."""
    from lianxin.core.access import access_for
    from lianxin.core.permissions import Perm

    access = access_for(user)
    return any(
        access.has_perm(p)
        for p in (Perm.EMERGENCY_ROUTING, Perm.VIEW_AGGREGATES, Perm.MANAGE_OUTREACH)
    )


def posting_savings(posting: Any) -> dict[str, Any]:
    """The green-channel cases a posting made possible and the minutes they saved (counts and
    sums only: the posting's page shows what the stationing is worth)."""
    found = GreenChannelCase.objects.filter(
        credited_posting=posting, minutes_saved__isnull=False
    ).aggregate(n=Count("id"), saved=Sum("minutes_saved"))
    return {"cases": found["n"] or 0, "saved": round(found["saved"] or 0)}


@dataclass
class Candidate:
    site: Institution
    minutes_before: float  # population-weighted, now
    minutes_after: float  # with an expert stationed here
    villages_helped: int
    people_helped: int

    @property
    def cut(self) -> float:
        return self.minutes_before - self.minutes_after


@dataclass
class PlanResult:
    capability: Capability
    villages: int
    population: int
    minutes_now: float | None
    candidates: list[Candidate]
    lacking_rooms: list[tuple[Institution, list[str]]]
    unreachable_villages: int


def village_populations(villages: list[Institution]) -> dict[int, int]:
    """Registered residents per village (by the residence division code), an aggregate."""
    Patient = apps.get_model("patients", "Patient")
    codes = {v.division_code: v.pk for v in villages}
    counts = dict(
        Patient.objects.filter(division_code__in=list(codes))
        .values_list("division_code")
        .annotate(n=Count("id"))
        .values_list("division_code", "n")
    )
    return {pk: counts.get(code, 0) for code, pk in codes.items()}


def first_treatment_facilities(capability: Capability) -> set[str]:
    """The facilities an expert needs at a branch to give the first treatment: those the
    condition catalogue names for it (damage-control surgery: an operating room), else the
    catalogue's full requirements."""
    for condition in rules.CONDITIONS.values():
        treatment = condition.definitive
        if treatment.capability == capability.code and treatment.facilities is not None:
            return set(treatment.facilities)
    return {c.code for c in capability.requires.all()}


def plan_stationing(
    network: RoadNetwork, capability_code: str, at: datetime.datetime | None = None
) -> PlanResult:
    capability = Capability.objects.prefetch_related("requires").get(code=capability_code)
    loaded = tables.load(network)
    table, graph = loaded.table, loaded.graph
    sites = {s.pk: s for s in tables.destination_sites(network)}
    columns = {int(pk): i for i, pk in enumerate(table.site_ids) if int(pk) in sites}
    villages = list(
        Institution.objects.filter(
            tier=Tier.VILLAGE, is_active=True, latitude__isnull=False, longitude__isnull=False
        ).filter(
            latitude__gte=network.south,
            latitude__lte=network.north,
            longitude__gte=network.west,
            longitude__lte=network.east,
        )
    )
    population = village_populations(villages)
    rows, weights, unreachable = [], [], 0
    for village in villages:
        snap = table.snap(graph, float(village.latitude), float(village.longitude))
        if snap.metres > rules.MAX_SNAP_METRES:
            unreachable += 1
            continue
        rows.append(table.times[snap.node] + snap.minutes)
        weights.append(max(population.get(village.pk, 0), 1))
    found = capabilities_many(list(columns), at, only=[capability_code])
    needs = first_treatment_facilities(capability)

    def can(caps) -> bool:
        if capability_code in caps.available:
            return True
        return any(
            b.capability.code == capability_code and not ({m.code for m in b.missing} & needs)
            for b in caps.blocked
        )

    able = [pk for pk, caps in found.items() if can(caps)]
    if not rows:
        return PlanResult(capability, 0, 0, None, [], [], unreachable)
    times = np.vstack(rows).astype(np.float64)  # villages × sites
    w = np.asarray(weights, dtype=np.float64)
    door = 0.0
    best_now = (
        times[:, [columns[pk] for pk in able]].min(axis=1) + door
        if able
        else np.full(times.shape[0], np.inf)
    )
    finite_now = np.isfinite(best_now)
    now_mean = (
        float((best_now[finite_now] * w[finite_now]).sum() / w[finite_now].sum())
        if finite_now.any()
        else None
    )
    candidates, lacking = [], []
    for pk, caps in found.items():
        if pk in able:
            continue
        site = sites[pk]
        if site.tier not in {Tier.TOWNSHIP, Tier.COMMUNITY_CENTRE}:
            continue
        missing = sorted(needs - caps.codes)
        if capability.kind == "procedure" and missing:
            names = dict(Capability.objects.filter(code__in=missing).values_list("code", "name"))
            lacking.append((site, [names[m] for m in missing]))
            continue
        after = np.minimum(best_now, times[:, columns[pk]])
        ok = np.isfinite(after)
        helped = after < best_now - 1e-6
        mean_before = float(
            (np.where(np.isfinite(best_now), best_now, after)[ok] * w[ok]).sum() / w[ok].sum()
        )
        mean_after = float((after[ok] * w[ok]).sum() / w[ok].sum())
        candidates.append(
            Candidate(site, mean_before, mean_after, int(helped.sum()), int(w[helped].sum()))
        )
    candidates.sort(key=lambda c: -c.cut)
    return PlanResult(
        capability, len(rows), int(w.sum()), now_mean, candidates, lacking, unreachable
    )


def case_scope_for_figures(user: Any) -> QuerySet:
    """Cases whose figures a user may read (aggregates only are shown): their own desks' and
    destinations' cases; for the health commission, every case in their division; for an
    outreach office, also the cases credited to the postings it sees (what its stationings
    saved)."""
    from lianxin.core.access import access_for
    from lianxin.core.permissions import Perm
    from lianxin.outreach.models import Posting

    access = access_for(user)
    if access.is_commission:
        condition = Q()
        for prefix in access.commission_prefixes:
            condition |= Q(desk_institution__division_code__startswith=prefix)
        return GreenChannelCase.objects.filter(condition)
    own = GreenChannelCase.objects.visible_to(user)
    if access.has_perm(Perm.MANAGE_OUTREACH) and not access.is_superuser:
        postings = Posting.objects.visible_to(user).values("pk")
        return GreenChannelCase.objects.filter(
            Q(pk__in=own.values("pk")) | Q(credited_posting__in=postings)
        )
    return own
