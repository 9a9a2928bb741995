"""The outreach dashboard: figures and charts for the outreach office and the commission; the
roster and "what can this site do now" for clinicians. The Excel export of the figures."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.core.access import access_for, get_for_user
from lianxin.core.charts import bar_chart
from lianxin.core.permissions import Perm
from lianxin.core.spreadsheets import neutralise_formulas
from lianxin.network.models import Community, Institution
from lianxin.outreach import queries
from lianxin.outreach.models import Posting
from lianxin.outreach.rules import STATIONED_SENIORS_PER_10K
from lianxin.outreach.views.common import require_registry


def _labels() -> dict[str, str]:
    return {
        "person_times": _("Expert person-times"),
        "person_days": _("Expert days"),
        "stationings": _("Stationings (驻点)"),
        "activity_patients": _("Patients seen by experts"),
        "operations": _("Operations performed or assisted"),
        "techniques": _("New techniques"),
        "first_cases": _("First cases"),
        "independent": _("Performed without the mentor"),
        "trainees": _("Trainees"),
        "sessions": _("Education sessions"),
        "attendance": _("Attendance (person-times)"),
        "consultations": _("Remote consultations requested"),
        "remote_reads": _("Exams read remotely"),
    }


def _selection(request: HttpRequest) -> tuple[int, Community | None]:
    year = queries.parse_year(request.GET.get("year"))
    if year is None:
        messages.error(request, _("Give a year between 2000 and 2100."))
        year = timezone.localdate().year
    community = None
    if request.GET.get("community"):
        community = get_for_user(Community, request.user, request.GET["community"])
    return year, community


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require_registry(request)
    access = access_for(request.user)
    context: dict = {
        "can_post": access.has_perm(Perm.MANAGE_OUTREACH),
        "reads_figures": access.has_perm(Perm.VIEW_AGGREGATES),
        "today": timezone.localdate(),
    }
    if context["reads_figures"]:
        year, community = _selection(request)
        scope = queries.figure_scope(request.user, community)
        result = queries.figures(
            year, scope.institution_ids, resident_prefixes=scope.resident_prefixes
        )
        labels = _labels()
        context.update(
            year=year,
            community=community,
            communities=Community.objects.visible_to(request.user).order_by("kind", "name"),
            figures=result,
            totals=[(labels[key], value) for key, value in result.totals.items()],
            columns=[labels[key] for key in queries.FIGURE_KEYS],
            member_rows=[
                (row["institution"], row["tier"], [row[key] for key in queries.FIGURE_KEYS])
                for row in result.by_member
            ],
            rule=STATIONED_SENIORS_PER_10K,
            member_chart=bar_chart(
                (
                    (row["institution"].short_name or row["institution"].name, row["person_times"])
                    for row in result.by_member
                    if row["person_times"]
                ),
                name=labels["person_times"],
            ),
            month_chart=bar_chart(
                (
                    (_("Month %(m)d") % {"m": row["month"]}, row["person_days"])
                    for row in result.by_month
                ),
                name=labels["person_days"],
                horizontal=False,
            ),
        )
    else:
        # A clinician: their own sites now — who is posted there, and what they can do.
        today = context["today"]
        sites = list(
            Institution.objects.filter(pk__in=access.institution_ids).order_by("tier", "name")
        )
        found = queries.capabilities_many([s.pk for s in sites], today)
        context["sites"] = [(site, found[site.pk]) for site in sites]
        context["hosted"] = (
            Posting.objects.visible_to(request.user)
            .filter(
                host_institution_id__in=access.institution_ids,
                is_cancelled=False,
                ends_on__gte=today,
            )
            .select_related("practitioner", "home_institution", "host_institution")
            .order_by("starts_on")[:50]
        )
    return render(request, "outreach/dashboard.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The yearly figures as an Excel workbook: totals and indicator, members, months."""
    if not access_for(request.user).has_perm(Perm.VIEW_AGGREGATES):
        raise PermissionDenied(_("Your role does not read figures."))
    from openpyxl import Workbook

    year, community = _selection(request)
    scope = queries.figure_scope(request.user, community)
    result = queries.figures(year, scope.institution_ids, resident_prefixes=scope.resident_prefixes)
    labels = _labels()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Totals")
    sheet.append([_("Year"), year])
    sheet.append([_("Community"), community.name if community else _("All visible")])
    for key, value in result.totals.items():
        sheet.append([labels[key], value])
    sheet.append([])
    rule = STATIONED_SENIORS_PER_10K
    sheet.append([rule.name])
    sheet.append([_("Stationings counted"), result.indicator["postings"]])
    sheet.append([_("Physicians counted (each once)"), result.indicator["physicians"]])
    sheet.append([_("Residents"), result.indicator["residents"]])
    sheet.append([_("Per 10,000 residents"), result.indicator["per_10k"]])
    sheet.append(
        [_("Per 10,000 residents, each physician once"), result.indicator["physicians_per_10k"]]
    )
    sheet.append([_("Counting rule"), rule.numerator])
    sheet.append([_("Residents"), rule.denominator])
    sheet.append([_("Source"), rule.source])
    members = book.create_sheet(_("Members"))
    members.append([_("Institution"), _("Tier"), *(labels[k] for k in queries.FIGURE_KEYS)])
    for row in result.by_member:
        members.append(
            [row["institution"].name, row["tier"], *(row[k] for k in queries.FIGURE_KEYS)]
        )
    months = book.create_sheet(_("Months"))
    months.append([_("Month"), labels["person_times"], labels["person_days"], labels["techniques"]])
    for row in result.by_month:
        months.append([row["month"], row["person_times"], row["person_days"], row["techniques"]])
    neutralise_formulas(book)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="outreach-{year}.xlsx"'
    return response
