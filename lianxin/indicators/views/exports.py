"""The alliance's figures, the Excel export of every table, and the annual PDF report."""

from __future__ import annotations

import io
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from lianxin.core.access import get_for_user
from lianxin.core.spreadsheets import safe_cell as _safe_cell
from lianxin.indicators import queries
from lianxin.indicators.periods import Period
from lianxin.indicators.printing import FontUnavailable, build_annual_pdf, find_font
from lianxin.indicators.rules import ALLIANCE_FIGURES, Status
from lianxin.indicators.views.common import bar_chart, require_aggregates
from lianxin.indicators.views.dashboard import _selection_or_message
from lianxin.network.models import Community, CommunityKind

logger = logging.getLogger(__name__)


def _year(request: HttpRequest, default: int) -> int:
    raw = (request.GET.get("year") or "").strip()
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    if raw:
        messages.error(request, _("Give a year between 2000 and 2100."))
    return default


def _alliance(request: HttpRequest):
    chosen = _selection_or_message(request)
    alliances = list(
        Community.objects.visible_to(request.user)
        .filter(kind=CommunityKind.ALLIANCE)
        .order_by("name")
    )
    if request.GET.get("alliance"):
        alliance = get_for_user(Community, request.user, request.GET["alliance"])
    else:
        alliance = alliances[0] if alliances else chosen.scope.community
    year = _year(request, chosen.period.year)
    return chosen, alliances, alliance, year, queries.alliance_figures(request.user, alliance, year)


@login_required
def alliance(request: HttpRequest) -> HttpResponse:
    require_aggregates(request)
    chosen, alliances, community, year, figures = _alliance(request)
    rows = [(f, figures["totals"].get(f.code, 0)) for f in ALLIANCE_FIGURES]
    members = [
        (
            m["institution"],
            m["tier"],
            [m.get(f.code, "") if f.code != "members" else "" for f in ALLIANCE_FIGURES],
        )
        for m in figures["members"]
    ]
    context = chosen.context(request.user)
    context.update(
        alliances=alliances,
        alliance=community,
        year=year,
        rows=rows,
        figure_names=[f.name for f in ALLIANCE_FIGURES],
        members=members,
        chart=bar_chart(
            [
                (m["institution"].short_name or m["institution"].name, m["person_times"])
                for m in figures["members"]
                if m["person_times"]
            ],
            name=ALLIANCE_FIGURES[0].name,
        ),
    )
    return render(request, "indicators/alliance.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Every table of the pages as one workbook: the figures, each indicator's breakdown by
    institution, and the alliance's figures."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require_aggregates(request)
    chosen = _selection_or_message(request)
    board = queries.dashboard(chosen.scope, chosen.period, chosen.edition, with_trend=False)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Indicators")[:31]
    header = [
        _("No."),
        _("Aspect"),
        _("Indicator"),
        _("Period"),
        _("Scope"),
        _("Value"),
        _("Unit"),
        _("Numerator"),
        _("Denominator"),
        _("Status"),
        _("Notes"),
        _("Data"),
        _("Edition"),
    ]
    sheet.append(header)
    for aspect, rows in board.aspects:
        for row in rows:
            f, i = row.figure, row.figure.indicator
            sheet.append(
                [
                    _safe_cell(v)
                    for v in [
                        i.number,
                        aspect.name,
                        i.name,
                        str(f.period),
                        f.scope.label,
                        float(f.value) if f.value is not None else "—",
                        "%" if i.percent else i.unit,
                        float(f.numerator) if f.numerator is not None else "",
                        float(f.denominator) if f.denominator is not None else "",
                        Status.LABELS[i.status],
                        "；".join(f.notes),
                        "；".join(f"{s.label} {s.rows}" for s in f.sources),
                        chosen.edition.name,
                    ]
                ]
            )
            if i.status == Status.QUALITATIVE or f.status == "not_applicable":
                continue
            parts = queries.breakdown(i, chosen.period, chosen.scope)
            if not parts:
                continue
            detail = book.create_sheet(f"{i.number:02d}")
            detail.append([i.name])
            detail.append([_("Institution"), _("Numerator"), _("Denominator"), _("Value")])
            for p in parts:
                detail.append(
                    [
                        _safe_cell(v)
                        for v in [
                            p.institution.name if p.institution else p.label,
                            float(p.numerator) if p.numerator is not None else "",
                            float(p.denominator) if p.denominator is not None else "",
                            float(p.value) if p.value is not None else "",
                        ]
                    ]
                )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["C"].width = 60
    _chosen, _alliances, community, year, figures = _alliance(request)
    al = book.create_sheet(_("Alliance")[:31])
    al.append([community.name, year])
    al.append([_("Institution"), *[f.name for f in ALLIANCE_FIGURES if f.code != "members"]])
    for m in figures["members"]:
        al.append(
            [
                _safe_cell(m["institution"].name),
                *[m.get(f.code, 0) for f in ALLIANCE_FIGURES if f.code != "members"],
            ]
        )
    al.append(
        [
            _("Total"),
            *[figures["totals"].get(f.code, 0) for f in ALLIANCE_FIGURES if f.code != "members"],
        ]
    )
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="indicators-{chosen.period}.xlsx"'
    return response


@login_required
def annual_report(request: HttpRequest) -> HttpResponse:
    require_aggregates(request)
    chosen = _selection_or_message(request)
    year = Period("year", chosen.period.year)
    try:
        find_font()
    except FontUnavailable as exc:
        logger.warning("%s", exc)
        return HttpResponse(
            _(
                "The report cannot be printed: the server has no Chinese font. "
                "Ask the administrator to install the package fonts-wqy-microhei "
                "or to set LIANXIN_PDF_FONT."
            ),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    board = queries.dashboard(chosen.scope, year, chosen.edition)
    response = HttpResponse(build_annual_pdf(board), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="indicators-{year}.pdf"'
    return response
