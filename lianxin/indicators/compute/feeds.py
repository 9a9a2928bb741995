"""Indicators computed from imported feeds: encounters, settlements, staff income, deaths and
population. Each function takes an indicator, a period and a scope and returns a ``Figure``.

Each table is read with one aggregate query per figure (grouped by institution where the
drill-down needs it), so the cost follows the number of institutions, not of encounters.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.indicators.compute.base import Figure, FigureStatus, Scope, Source, ratio
from lianxin.indicators.models import (
    DeathRecord,
    EncounterKind,
    EncounterRecord,
    FeedImport,
    FeedKind,
    PopulationRecord,
    SettlementPlace,
    SettlementRecord,
    StaffIncomeRecord,
)
from lianxin.indicators.periods import Period
from lianxin.indicators.rules import NCD_AGE_BANDS, NCD_CAUSES, Indicator

FEED_LABELS = {
    FeedKind.ENCOUNTERS: "诊疗人次数据（导入）",
    FeedKind.SETTLEMENTS: "医保结算数据（导入）",
    FeedKind.POPULATION: "人口数据（导入）",
    FeedKind.STAFF_INCOME: "职工收入数据（导入）",
    FeedKind.DEATHS: "死因监测数据（导入）",
}


def community_ids(scope: Scope) -> list[int]:
    if scope.community_ids:
        return list(scope.community_ids)
    return nested_communities(scope.community)


def nested_communities(community: Any) -> list[int]:
    from lianxin.network.queries import community_tree

    ids, stack = [], [community_tree(community)]
    while stack:
        node = stack.pop()
        ids.append(node.community.pk)
        stack.extend(node.children)
    return ids


def coverage(kind: str, scope: Scope, period: Period) -> tuple[list[FeedImport], list[str]]:
    """The current imports of ``kind`` overlapping the period, and the period's months that no
    import covers whole."""
    imports = list(
        FeedImport.objects.current()
        .filter(
            kind=kind,
            community_id__in=community_ids(scope),
            period_start__lte=period.last,
            period_end__gte=period.first,
        )
        .order_by("period_start")
    )
    missing = []
    today = timezone.localdate()
    for first in period.months():
        nxt = datetime.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = nxt - datetime.timedelta(days=1)
        if last >= today:
            continue  # a month not over yet is not expected (the figure is to date)
        if not any(i.period_start <= first and i.period_end >= last for i in imports):
            missing.append(f"{first.year}-{first.month:02d}")
    return imports, missing


def feed_source(kind: str, imports: list[FeedImport], rows: int, model: type) -> Source:
    return Source(
        label=FEED_LABELS[kind],
        model=model._meta.label,
        rows=rows,
        imports=[str(i.external_id) for i in imports],
        updated_at=max((i.created_at for i in imports), default=None),
    )


def _figure(
    indicator: Indicator,
    period: Period,
    scope: Scope,
    numerator: Any,
    denominator: Any,
    *,
    sources: list[Source],
    missing: list[str],
    places: int = 2,
) -> Figure:
    value = ratio(numerator, denominator, percent=indicator.percent, places=places)
    if value is None:
        status = FigureStatus.NO_DATA
    elif missing:
        status = FigureStatus.INCOMPLETE
    else:
        status = FigureStatus.OK
    figure = Figure(
        indicator,
        period,
        scope,
        status,
        value=value,
        numerator=None if numerator is None else Decimal(numerator),
        denominator=None if denominator is None else Decimal(denominator),
        sources=sources,
        missing_months=missing,
    )
    if period.last >= timezone.localdate():
        figure.notes.append(_("The period is not over: the figure is to date."))
    if missing and value is not None:
        figure.notes.append(
            _("No data for %(months)s: the figure covers the other months only.")
            % {"months": ", ".join(missing)}
        )
    return figure


# --- Encounters ------------------------------------------------------------------------------


def encounter_breakdown(scope: Scope, period: Period) -> dict[int, dict[str, int]]:
    """Outpatient visits and TCM visits per institution in the period (one query)."""
    rows = (
        EncounterRecord.objects.filter(
            on__range=(period.first, period.last),
            institution_id__in=scope.institution_ids,
            kind=EncounterKind.OUTPATIENT,
        )
        .values("institution_id")
        .annotate(visits=Sum("count"), tcm=Sum("count", filter=Q(is_tcm=True)), rows=Count("id"))
    )
    return {
        r["institution_id"]: {"visits": r["visits"] or 0, "tcm": r["tcm"] or 0, "rows": r["rows"]}
        for r in rows
    }


def _encounter_share(indicator: Indicator, period: Period, scope: Scope, part: str) -> Figure:
    imports, missing = coverage(FeedKind.ENCOUNTERS, scope, period)
    per = encounter_breakdown(scope, period)
    total = sum(v["visits"] for v in per.values())
    if part == "primary":
        primary = scope.primary_ids()
        numerator = sum(v["visits"] for k, v in per.items() if k in primary)
    else:
        numerator = sum(v["tcm"] for v in per.values())
    rows = sum(v["rows"] for v in per.values())
    source = feed_source(FeedKind.ENCOUNTERS, imports, rows, EncounterRecord)
    return _figure(
        indicator,
        period,
        scope,
        numerator if total else None,
        total,
        sources=[source],
        missing=missing,
    )


def primary_visit_share(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    return _encounter_share(indicator, period, scope, "primary")


def tcm_visit_share(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    return _encounter_share(indicator, period, scope, "tcm")


# --- Settlements -----------------------------------------------------------------------------


def settlement_totals(scope: Scope, period: Period) -> dict[str, Any]:
    """Fund payments, costs and cases by place (and per in-county institution) in one query."""
    base = SettlementRecord.objects.filter(on__range=(period.first, period.last))
    in_scope = Q(place=SettlementPlace.IN_COUNTY, institution_id__in=scope.institution_ids) | Q(
        ~Q(place=SettlementPlace.IN_COUNTY), feed__community_id__in=community_ids(scope)
    )
    rows = (
        base.filter(in_scope)
        .values("place", "institution_id", "is_inpatient")
        .annotate(
            fund=Sum("fund_paid"), cost=Sum("total_cost"), cases=Sum("cases"), rows=Count("id")
        )
    )
    out: dict[str, Any] = {"per_institution": {}, "rows": 0}
    for r in rows:
        key = (r["place"], r["is_inpatient"])
        bucket = out.setdefault(key, {"fund": Decimal(0), "cost": Decimal(0), "cases": 0})
        bucket["fund"] += r["fund"] or 0
        bucket["cost"] += r["cost"] or 0
        bucket["cases"] += r["cases"] or 0
        out["rows"] += r["rows"]
        if r["institution_id"]:
            inst = out["per_institution"].setdefault(
                r["institution_id"], {"fund": Decimal(0), "cost": Decimal(0), "cases": 0}
            )
            inst["fund"] += r["fund"] or 0
            if r["is_inpatient"]:
                inst["cost"] += r["cost"] or 0
                inst["cases"] += r["cases"] or 0
    return out


def _sum(totals: dict[str, Any], places: tuple[str, ...], field: str, inpatient: bool | None):
    total = Decimal(0)
    for (place, is_inpatient), bucket in (
        (k, v) for k, v in totals.items() if isinstance(k, tuple)
    ):
        if place in places and (inpatient is None or is_inpatient == inpatient):
            total += bucket[field]
    return total


def _settlement_figure(indicator, period, scope, numerator, denominator, totals, imports, missing):
    source = feed_source(FeedKind.SETTLEMENTS, imports, totals["rows"], SettlementRecord)
    return _figure(
        indicator,
        period,
        scope,
        numerator if denominator else None,
        denominator,
        sources=[source],
        missing=missing,
    )


def fund_in_county_share(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    imports, missing = coverage(FeedKind.SETTLEMENTS, scope, period)
    totals = settlement_totals(scope, period)
    inside = _sum(totals, (SettlementPlace.IN_COUNTY,), "fund", None)
    both = inside + _sum(totals, (SettlementPlace.OUT_OF_COUNTY,), "fund", None)
    return _settlement_figure(indicator, period, scope, inside, both, totals, imports, missing)


def fund_primary_share(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    imports, missing = coverage(FeedKind.SETTLEMENTS, scope, period)
    totals = settlement_totals(scope, period)
    primary = scope.primary_ids()
    per = totals["per_institution"]
    numerator = sum((v["fund"] for k, v in per.items() if k in primary), Decimal(0))
    denominator = sum((v["fund"] for v in per.values()), Decimal(0))
    return _settlement_figure(
        indicator, period, scope, numerator, denominator, totals, imports, missing
    )


def inpatient_in_county_share(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    imports, missing = coverage(FeedKind.SETTLEMENTS, scope, period)
    totals = settlement_totals(scope, period)
    inside = _sum(totals, (SettlementPlace.IN_COUNTY,), "cases", True)
    both = inside + _sum(totals, (SettlementPlace.OUT_OF_COUNTY,), "cases", True)
    return _settlement_figure(indicator, period, scope, inside, both, totals, imports, missing)


def inpatient_cost(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """Cost per in-county admission, with the growth rate on the same period a year earlier."""
    imports, missing = coverage(FeedKind.SETTLEMENTS, scope, period)
    totals = settlement_totals(scope, period)
    cost = _sum(totals, (SettlementPlace.IN_COUNTY,), "cost", True)
    cases = _sum(totals, (SettlementPlace.IN_COUNTY,), "cases", True)
    figure = _settlement_figure(indicator, period, scope, cost, cases, totals, imports, missing)
    before = settlement_totals(scope, period.previous_year())
    cost_before = _sum(before, (SettlementPlace.IN_COUNTY,), "cost", True)
    cases_before = _sum(before, (SettlementPlace.IN_COUNTY,), "cases", True)
    per_case_before = ratio(cost_before, cases_before, percent=False)
    if figure.value is not None and per_case_before:
        growth = ratio(figure.value - per_case_before, per_case_before, percent=True)
        figure.components.append((_("Growth on the same period a year earlier (%)"), growth))
        figure.components.append((_("Cost per admission a year earlier (yuan)"), per_case_before))
    else:
        figure.notes.append(_("No data for the same period a year earlier: no growth rate."))
    return figure


# --- Staff income ----------------------------------------------------------------------------


def income_ratio(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    imports, missing = coverage(FeedKind.STAFF_INCOME, scope, period)
    rows = (
        StaffIncomeRecord.objects.filter(year=period.year, institution_id__in=scope.institution_ids)
        .values("institution_id")
        .annotate(income=Sum("total_income"), staff=Sum("staff"), n=Count("id"))
    )
    primary, lead_id = scope.primary_ids(), scope.community.lead_id
    p_income = p_staff = l_income = l_staff = 0
    count = 0
    for r in rows:
        count += r["n"]
        if r["institution_id"] in primary:
            p_income += r["income"] or 0
            p_staff += r["staff"] or 0
        if r["institution_id"] == lead_id:
            l_income, l_staff = r["income"] or 0, r["staff"] or 0
    primary_mean = ratio(p_income, p_staff, percent=False)
    lead_mean = ratio(l_income, l_staff, percent=False)
    figure = _figure(
        indicator,
        period,
        scope,
        primary_mean,
        lead_mean,
        sources=[feed_source(FeedKind.STAFF_INCOME, imports, count, StaffIncomeRecord)],
        missing=[] if imports else missing,
    )
    if figure.value is not None:
        figure.components.append((_("Mean income at primary institutions (yuan)"), primary_mean))
        figure.components.append((_("Mean income at the lead hospital (yuan)"), lead_mean))
    return figure


# --- Population and deaths -------------------------------------------------------------------


def population(scope: Scope, year: int) -> tuple[int | None, Source | None]:
    """The imported resident population of the scope's division in a year (all ages)."""
    rows = PopulationRecord.objects.filter(
        division_code=scope.division_code, year=year, age_band="all"
    ).aggregate(total=Sum("population"), n=Count("id"), feed=Max("feed_id"))
    if not rows["n"]:
        return None, None
    imports = list(FeedImport.objects.filter(pk=rows["feed"]))
    return rows["total"], feed_source(FeedKind.POPULATION, imports, rows["n"], PopulationRecord)


def premature_ncd_mortality(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """WHO's probability of dying between 30 and 70 from the four NCDs (rules.SOURCE_WHO_NCD)."""
    year, division = period.year, scope.division_code
    deaths = dict(
        DeathRecord.objects.filter(
            division_code=division, year=year, cause__in=NCD_CAUSES, age_band__in=NCD_AGE_BANDS
        )
        .values("age_band")
        .annotate(n=Sum("deaths"))
        .values_list("age_band", "n")
    )
    pops = dict(
        PopulationRecord.objects.filter(
            division_code=division, year=year, age_band__in=NCD_AGE_BANDS
        )
        .values("age_band")
        .annotate(n=Sum("population"))
        .values_list("age_band", "n")
    )
    death_imports, _missing = coverage(FeedKind.DEATHS, scope, period)
    pop_imports, _missing = coverage(FeedKind.POPULATION, scope, period)
    sources = [
        feed_source(FeedKind.DEATHS, death_imports, len(deaths), DeathRecord),
        feed_source(FeedKind.POPULATION, pop_imports, len(pops), PopulationRecord),
    ]
    figure = Figure(indicator, period, scope, FigureStatus.NO_DATA, sources=sources)
    absent = [band for band in NCD_AGE_BANDS if not pops.get(band)]
    if absent or not deaths:
        if pops or deaths:
            figure.notes.append(
                _("Age bands without population or deaths: %(bands)s.")
                % {"bands": ", ".join(absent) or _("deaths")}
            )
        return figure
    survival = Decimal(1)
    for band in NCD_AGE_BANDS:
        rate = Decimal(deaths.get(band, 0)) / Decimal(pops[band])
        q = 5 * rate / (1 + Decimal("2.5") * rate)
        survival *= 1 - q
    figure.value = ratio(1 - survival, 1, percent=True)
    figure.numerator = Decimal(sum(deaths.values()))
    figure.denominator = Decimal(sum(pops.values()))
    figure.status = FigureStatus.OK
    return figure
