"""The family-doctor figures with their counting rules, and their Excel export (aggregates only:
the health commission reads these and never a resident row)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.primarycare import figures
from lianxin.primarycare.rules import FIGURES


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


def _compute(request: HttpRequest) -> figures.Figures:
    access = access_for(request.user)
    if not (access.has_perm(Perm.VIEW_AGGREGATES) or access.has_perm(Perm.FAMILY_DOCTOR)):
        raise PermissionDenied(_("Your role does not read the family-doctor figures."))
    teams = figures.figure_teams(request.user).select_related("institution")
    return figures.compute(teams, _year(request))


@login_required
def figures_view(request: HttpRequest) -> HttpResponse:
    result = _compute(request)
    rules = list(FIGURES.values())
    return render(
        request,
        "primarycare/figures.html",
        {
            "figures": result,
            "rules": rules,
            "rate_keys": [r.key for r in rules],
            "year": result.year,
        },
    )


@login_required
def figures_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    result = _compute(request)
    rules = list(FIGURES.values())
    book = Workbook()
    sheet = book.active
    sheet.title = _("Rules")
    sheet.append([_("Figure"), _("Counted"), _("Out of"), _("Source")])
    for r in rules:
        sheet.append([r.name, r.numerator, r.denominator, r.source])
    sheet.append([])
    sheet.append([_("Year"), result.year, _("Reference day"), str(result.reference_day)])
    head = [r.name + " (%)" for r in rules]
    counts = list(figures.COUNTS)
    count_head = [str(figures.COUNT_LABELS[c]) for c in counts]
    teams = book.create_sheet(_("Teams"))
    teams.append([_("Township"), _("Team"), *head, *count_head])
    for row in result.by_team:
        teams.append(
            [
                row["township"].name,
                row["team"].name,
                *(row[r.key] for r in rules),
                *(row[c] for c in counts),
            ]
        )
    towns = book.create_sheet(_("Townships"))
    towns.append([_("Township"), *head, *count_head])
    for row in result.by_township:
        towns.append(
            [row["township"].name, *(row[r.key] for r in rules), *(row[c] for c in counts)]
        )
    total = result.totals
    towns.append([_("Total"), *(total[r.key] for r in rules), *(total[c] for c in counts)])
    months = book.create_sheet(_("Months"))
    months.append(
        [
            _("Month"),
            _("Contracts signed"),
            _("Follow-up visits"),
            _("Follow-ups due"),
            _("Follow-ups on time"),
            _("On time (%)"),
        ]
    )
    for row in result.by_month:
        months.append(
            [
                row["month"],
                row["signed"],
                row["visits"],
                row["due"],
                row["on_time"],
                row["on_time_rate"],
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="family-doctors-{result.year}.xlsx"'
    return response
