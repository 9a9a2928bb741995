"""The commission's and the lead hospital's dashboard, an indicator's page with its provenance and
drill-down, and the feed rows behind a figure for the people who imported them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from lianxin.core.access import get_for_user
from lianxin.indicators import queries
from lianxin.indicators.actions import may_import, may_judge
from lianxin.indicators.compute import compute
from lianxin.indicators.compute.base import FigureStatus
from lianxin.indicators.forms import TargetForm
from lianxin.indicators.models import (
    EncounterRecord,
    Evidence,
    FeedImport,
    SettlementRecord,
    StaffIncomeRecord,
    Target,
)
from lianxin.indicators.periods import trend
from lianxin.indicators.rules import Direction, Status
from lianxin.indicators.views.common import (
    SelectionError,
    bar_chart,
    line_chart,
    require_aggregates,
    selection,
)
from lianxin.network.models import Institution

ROW_LIMIT = 200


def _unit(indicator) -> str:
    return "%" if indicator.percent else indicator.unit


def _selection_or_message(request: HttpRequest):
    try:
        return selection(request)
    except SelectionError as exc:
        messages.error(request, str(exc))
        request.GET = request.GET.copy()
        for key in ("period", "edition"):
            request.GET.pop(key, None)
        return selection(request)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require_aggregates(request)
    chosen = _selection_or_message(request)
    board = queries.dashboard(chosen.scope, chosen.period, chosen.edition)
    aspects = []
    for aspect, rows in board.aspects:
        cards = []
        for row in rows:
            indicator = row.figure.indicator
            chart = None
            if row.trend and indicator.status != Status.QUALITATIVE:
                chart = line_chart(
                    row.trend,
                    name=indicator.name,
                    unit=_unit(indicator),
                    target=row.target.value if row.target else None,
                    compact=True,
                )
            cards.append(
                {
                    "figure": row.figure,
                    "indicator": indicator,
                    "unit": _unit(indicator),
                    "target": row.target,
                    "chart": chart,
                    "chart_id": f"trend-{indicator.number}",
                    "status_label": Status.LABELS[indicator.status],
                }
            )
        aspects.append((aspect, cards))
    context = chosen.context(request.user)
    context.update(
        aspects=aspects,
        status_labels=Status.LABELS,
        may_import=may_import(request.user, chosen.scope.community),
    )
    return render(request, "indicators/dashboard.html", context)


@login_required
def indicator_detail(request: HttpRequest, number: int) -> HttpResponse:
    require_aggregates(request)
    chosen = _selection_or_message(request)
    indicator = chosen.edition.indicator(number)
    if indicator is None:
        raise Http404
    figure = compute(indicator, chosen.period, chosen.scope)
    context = chosen.context(request.user)
    target = Target.objects.filter(
        community=chosen.scope.community,
        edition=indicator.edition,
        indicator=indicator.code,
        year=chosen.period.year,
    ).first()
    history = []
    if chosen.period.kind in indicator.periods and indicator.status != Status.QUALITATIVE:
        for earlier in trend(chosen.period, queries.TREND_LENGTH[chosen.period.kind]):
            history.append((str(earlier), compute(indicator, earlier, chosen.scope).value))
    feeds = {
        str(i.external_id): i
        for i in FeedImport.objects.filter(
            external_id__in=[x for s in figure.sources for x in s.imports]
        ).select_related("imported_by")
    }
    rows_allowed = queries.can_see_rows(request.user, chosen.scope.community)
    parts = []
    if figure.status not in (FigureStatus.NOT_APPLICABLE, FigureStatus.QUALITATIVE):
        parts = queries.breakdown(indicator, chosen.period, chosen.scope)
    context.update(
        indicator=indicator,
        figure=figure,
        unit=_unit(indicator),
        status_label=Status.LABELS[indicator.status],
        direction_label=Direction.LABELS[indicator.direction],
        target=target,
        history=history,
        trend_chart=line_chart(
            history,
            name=indicator.name,
            unit=_unit(indicator),
            target=target.value if target else None,
        )
        if history
        else None,
        parts=parts,
        parts_chart=bar_chart(
            [
                (
                    p.institution.short_name or p.institution.name if p.institution else p.label,
                    p.value if p.value is not None else p.numerator,
                )
                for p in parts
                if p.institution or p.label
            ],
            name=indicator.name,
        )
        if parts
        else None,
        parts_rows=[
            (
                p,
                indicator.compute in ROW_MODELS and p.institution is not None and rows_allowed,
            )
            for p in parts
        ],
        target_form=TargetForm(initial={"year": chosen.period.year})
        if may_judge(request.user, chosen.scope.community)
        and indicator.status != Status.QUALITATIVE
        else None,
        evidence=Evidence.objects.filter(
            community=chosen.scope.community,
            edition=indicator.edition,
            indicator=indicator.code,
            year=chosen.period.year,
        ).select_related("submitted_by", "judged_by")
        if indicator.status == Status.QUALITATIVE
        else None,
        sources=[(s, [feeds[i] for i in s.imports if i in feeds]) for s in figure.sources],
    )
    return render(request, "indicators/detail.html", context)


ROW_MODELS = {
    "primary_visit_share": EncounterRecord,
    "tcm_visit_share": EncounterRecord,
    "fund_primary_share": SettlementRecord,
    "fund_in_county_share": SettlementRecord,
    "inpatient_cost": SettlementRecord,
    "inpatient_in_county_share": SettlementRecord,
    "income_ratio": StaffIncomeRecord,
}


@login_required
def feed_rows(request: HttpRequest, number: int, institution: str) -> HttpResponse:
    """The imported rows of one institution behind a figure. Feed rows carry no patient; still,
    the health commission stops at the institution level, and only those who import feeds for
    the institution see its rows."""
    require_aggregates(request)
    chosen = _selection_or_message(request)
    indicator = chosen.edition.indicator(number)
    site = get_for_user(Institution, request.user, institution)
    model = ROW_MODELS.get(indicator.compute if indicator else "")
    if model is None or site.pk not in chosen.scope.institution_ids:
        raise Http404
    if not queries.can_see_rows(request.user, chosen.scope.community):
        raise Http404
    rows = model.objects.filter(institution=site).select_related("feed")
    if model is StaffIncomeRecord:
        rows = rows.filter(year=chosen.period.year).order_by("year")
    else:
        rows = rows.filter(on__range=(chosen.period.first, chosen.period.last)).order_by("on")
    total = rows.count()
    context = chosen.context(request.user)
    context.update(
        indicator=indicator,
        site=site,
        rows=rows[:ROW_LIMIT],
        total=total,
        limit=ROW_LIMIT,
        model=model.__name__,
    )
    if total > ROW_LIMIT:
        messages.info(
            request,
            _("Showing the first %(limit)d of %(total)d rows.")
            % {"limit": ROW_LIMIT, "total": total},
        )
    return render(request, "indicators/rows.html", context)
