"""Reads the indicator pages, the API, the exports and the annual report share: the scope a user
may ask for, the dashboard (every indicator of an edition for a period, with its trend and
target), the drill-down by institution, and the alliance's figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from lianxin.core.access import access_for, get_for_user
from lianxin.core.permissions import Perm
from lianxin.indicators.compute import Figure, Scope, compute, data_stamp
from lianxin.indicators.compute.base import ratio
from lianxin.indicators.compute.feeds import encounter_breakdown, settlement_totals
from lianxin.indicators.models import StaffIncomeRecord, Target
from lianxin.indicators.periods import Period, trend
from lianxin.indicators.rules import CURRENT_EDITION, EDITIONS, Edition, Indicator
from lianxin.network.models import Community, CommunityKind, Institution, Tier

TREND_LENGTH = {"month": 12, "quarter": 8, "year": 5}


class ScopeError(ValueError):
    pass


def edition(code: str | None) -> Edition:
    found = EDITIONS.get(code or CURRENT_EDITION)
    if found is None:
        raise ScopeError(_("Unknown edition: %(code)s.") % {"code": str(code)[:10]})
    return found


def communities_for(user: Any):
    """The communities whose figures the user may read (VIEW_AGGREGATES somewhere in them)."""
    return Community.objects.visible_to(user).select_related("lead").order_by("kind", "name")


def can_read(user: Any) -> bool:
    return access_for(user).has_perm(Perm.VIEW_AGGREGATES)


def resolve_scope(user: Any, community_id: Any = None, institution_id: Any = None) -> Scope:
    """A community the user may see (the first one when none is named), optionally narrowed to a
    township (with its villages) or one institution of it; 404 outside the user's reach."""
    from lianxin.outreach.queries import community_institution_ids

    if community_id:
        community = get_for_user(Community, user, community_id)
    else:
        community = (
            communities_for(user).filter(kind=CommunityKind.COUNTY).first()
            or communities_for(user).first()
        )
        if community is None:
            raise Http404
    ids = community_institution_ids(community)
    institution = None
    kind = "community"
    if institution_id:
        institution = get_for_user(Institution, user, institution_id)
        if institution.pk not in ids:
            raise Http404
        if institution.tier == Tier.TOWNSHIP:
            kind = "township"
            ids = {institution.pk} | set(
                Institution.objects.filter(parent=institution, pk__in=ids).values_list(
                    "pk", flat=True
                )
            )
        else:
            kind = "institution"
            ids = {institution.pk}
    from lianxin.indicators.compute.feeds import nested_communities

    tiers = dict(Institution.objects.filter(pk__in=ids).values_list("pk", "tier"))
    return Scope(
        kind,
        community,
        institution,
        frozenset(ids),
        tiers,
        frozenset(nested_communities(community)),
    )


@dataclass
class Row:
    figure: Figure
    trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    target: Target | None = None


@dataclass
class Dashboard:
    edition: Edition
    period: Period
    scope: Scope
    aspects: list[tuple[Any, list[Row]]]


def dashboard(scope: Scope, period: Period, ed: Edition, *, with_trend: bool = True) -> Dashboard:
    stamp = data_stamp()
    targets = {
        t.indicator: t
        for t in Target.objects.filter(community=scope.community, edition=ed.code, year=period.year)
    }
    by_aspect: dict[str, list[Row]] = defaultdict(list)
    for indicator in ed.indicators:
        figure = compute(indicator, period, scope, stamp=stamp)
        row = Row(figure=figure, target=targets.get(indicator.code))
        if with_trend and period.kind in indicator.periods:
            for earlier in trend(period, TREND_LENGTH[period.kind]):
                value = compute(indicator, earlier, scope, stamp=stamp).value
                row.trend.append((str(earlier), value))
        by_aspect[indicator.aspect].append(row)
    aspects = [(aspect, by_aspect[aspect.code]) for aspect in ed.aspects if by_aspect[aspect.code]]
    return Dashboard(ed, period, scope, aspects)


# --- Drill-down ------------------------------------------------------------------------------


@dataclass
class Part:
    institution: Institution | None
    label: str
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    value: Decimal | None


def breakdown(indicator: Indicator, period: Period, scope: Scope) -> list[Part]:
    """What each institution contributes to the figure (counts only, never a patient)."""
    names = {i.pk: i for i in Institution.objects.filter(pk__in=scope.institution_ids)}
    primary = scope.primary_ids()
    parts: list[Part] = []
    fn = indicator.compute
    if fn in {"primary_visit_share", "tcm_visit_share"}:
        per = encounter_breakdown(scope, period)
        total = sum(v["visits"] for v in per.values())
        for pk, v in per.items():
            share = v["visits"] if fn == "primary_visit_share" and pk in primary else 0
            part = v["tcm"] if fn == "tcm_visit_share" else share
            parts.append(
                Part(names.get(pk), "", part, v["visits"], ratio(part, v["visits"], percent=True))
            )
        parts.append(Part(None, _("All institutions"), None, total, None))
    elif fn in {
        "fund_primary_share",
        "fund_in_county_share",
        "inpatient_cost",
        "inpatient_in_county_share",
    }:
        totals = settlement_totals(scope, period)
        for pk, v in totals["per_institution"].items():
            if fn == "inpatient_cost":
                parts.append(
                    Part(
                        names.get(pk),
                        "",
                        v["cost"],
                        v["cases"],
                        ratio(v["cost"], v["cases"], percent=False),
                    )
                )
            elif fn == "inpatient_in_county_share":
                parts.append(Part(names.get(pk), "", v["cases"], None, None))
            else:
                parts.append(Part(names.get(pk), "", v["fund"], None, None))
        for (place, inpatient), bucket in (
            (k, v) for k, v in totals.items() if isinstance(k, tuple)
        ):
            if place != "in_county":
                label = _("Outside the county") if place == "out_of_county" else _("Pharmacies")
                kind = _("inpatient") if inpatient else _("outpatient")
                value = bucket["cases"] if "inpatient" in fn else bucket["fund"]
                parts.append(Part(None, f"{label}（{kind}）", value, None, None))
    elif fn == "income_ratio":
        for r in (
            StaffIncomeRecord.objects.filter(
                year=period.year, institution_id__in=scope.institution_ids
            )
            .values("institution_id")
            .annotate(income=Sum("total_income"), staff=Sum("staff"))
        ):
            parts.append(
                Part(
                    names.get(r["institution_id"]),
                    "",
                    r["income"],
                    r["staff"],
                    ratio(r["income"], r["staff"], percent=False),
                )
            )
    elif fn == "stationed_seniors":
        from lianxin.outreach import queries as outreach

        hosts: dict[int, set[int]] = defaultdict(set)
        for posting in outreach.stationed_seniors(scope.institution_ids, period.year):
            hosts[posting.host_institution_id].add(posting.practitioner_id)
        for pk, people in hosts.items():
            parts.append(Part(names.get(pk), "", len(people), None, None))
    elif fn == "imaging_ecg_service":
        from django.apps import apps

        ExamOrder = apps.get_model("diagnostics", "ExamOrder")
        counts = dict(
            ExamOrder.objects.filter(
                centre_type="ecg",
                requester_institution_id__in=scope.village_ids(),
                performed_at__date__range=(period.first, period.last),
            )
            .values("requester_institution_id")
            .annotate(n=Count("id"))
            .values_list("requester_institution_id", "n")
        )
        for pk in scope.village_ids():
            parts.append(Part(names.get(pk), "", counts.get(pk, 0), None, None))
    parts.sort(
        key=lambda p: (p.institution is None, p.institution.name if p.institution else p.label)
    )
    return parts


def can_see_rows(user: Any, community: Community) -> bool:
    """Feed rows behind a figure: for the people who import the community's feeds; never the
    health commission, which stops at the institution level."""
    from lianxin.indicators.actions import may_import

    if access_for(user).is_commission:
        return False
    return may_import(user, community)


# --- The alliance ----------------------------------------------------------------------------


def alliance_figures(user: Any, community: Community, year: int) -> dict[str, Any]:
    """What the tertiary-led alliance sent down in a year, in total and per member."""
    from lianxin.outreach import queries as outreach

    scope = outreach.figure_scope(user, community)
    result = outreach.figures(
        year, scope.institution_ids, resident_prefixes=scope.resident_prefixes
    )
    from django.apps import apps

    CoBuilt = apps.get_model("outreach", "CoBuiltSpecialty")
    specialties = defaultdict(int)
    for member_id in CoBuilt.objects.filter(
        host_institution_id__in=scope.institution_ids, status__in=["building", "achieved"]
    ).values_list("host_institution_id", flat=True):
        specialties[member_id] += 1
    members = []
    for row in result.by_member:
        row = dict(row)
        row["specialties"] = specialties.get(row["institution"].pk, 0)
        members.append(row)
    totals = dict(result.totals)
    totals["specialties"] = sum(specialties.values())
    totals["members"] = len(scope.institution_ids)
    return {"year": year, "community": community, "totals": totals, "members": members}
