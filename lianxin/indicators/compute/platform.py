"""Indicators computed from Lianxin's own records (outreach, diagnostics, family doctors and
referrals), and the qualitative ones judged from evidence. Read-only: this module never writes.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianxin.indicators.compute.base import (
    Figure,
    FigureStatus,
    Scope,
    Source,
    app_source,
    installed,
    ratio,
)
from lianxin.indicators.compute.feeds import population
from lianxin.indicators.models import Evidence, Judgement
from lianxin.indicators.periods import Period
from lianxin.indicators.rules import ECG_COVERAGE_DAYS, Indicator

OPEN_OR_DONE_EXCLUDED = ("draft", "cancelled", "entered-in-error")


def stationed_seniors(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """Physicians counted once a year (the published wording counts persons, 派驻人数（人）)."""
    from lianxin.outreach import queries as outreach

    postings = outreach.stationed_seniors(scope.institution_ids, period.year)
    physicians = len({p.practitioner_id for p in postings})
    Posting = apps.get_model("outreach", "Posting")
    sources = [
        app_source(
            _("Stationing records (outreach)"),
            Posting.objects.filter(pk__in=[p.pk for p in postings]),
        )
    ]
    people, people_source = population(scope, period.year)
    figure = Figure(indicator, period, scope, FigureStatus.NO_DATA, sources=sources)
    if people is None:
        people = outreach.residents([scope.division_code])
        sources.append(
            Source(
                _("Registered residents (standing in for the census)"), "patients.Patient", people
            )
        )
        figure.notes.append(
            _(
                "No resident population was imported for %(year)d: the residents registered in "
                "Lianxin stand in for it."
            )
            % {"year": period.year}
        )
    else:
        sources.append(people_source)
    figure.numerator = Decimal(physicians)
    figure.denominator = Decimal(people) / 10_000 if people else None
    figure.value = ratio(physicians * 10_000, people, percent=False) if people else None
    figure.status = FigureStatus.OK if figure.value is not None else FigureStatus.NO_DATA
    figure.components.append((_("Stationings counted (person-times)"), len(postings)))
    return figure


def _period_end_moment(period: Period) -> datetime.datetime:
    """The end of the period, or now while the period is still running."""
    end = datetime.datetime.combine(period.last + datetime.timedelta(days=1), datetime.time())
    end = timezone.make_aware(end)
    return min(end, timezone.now())


def imaging_ecg_service(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """Village ECG coverage at the end of the period, with the centres' remote reads in it."""
    ExamOrder = apps.get_model("diagnostics", "ExamOrder")
    villages = scope.village_ids()
    end = _period_end_moment(period)
    start = end - datetime.timedelta(days=ECG_COVERAGE_DAYS)
    sent = ExamOrder.objects.filter(
        centre_type="ecg",
        requester_institution_id__in=villages,
        performed_at__gt=start,
        performed_at__lte=end,
    )
    covered = set(sent.values_list("requester_institution_id", flat=True).distinct())
    first = timezone.make_aware(datetime.datetime.combine(period.first, datetime.time()))
    remote = (
        ExamOrder.objects.filter(
            requester_institution_id__in=scope.institution_ids,
            created_at__gte=first,
            created_at__lt=end,
        )
        .exclude(performer_institution_id=F("requester_institution_id"))
        .exclude(status__in=OPEN_OR_DONE_EXCLUDED)
    )
    reads = remote.aggregate(
        imaging=Count("id", filter=Q(centre_type="imaging")),
        ecg=Count("id", filter=Q(centre_type="ecg")),
        all=Count("id"),
        updated=Max("updated_at"),
    )
    imaging, ecg = reads["imaging"], reads["ecg"]
    Institution = apps.get_model("network", "Institution")
    sources = [
        app_source(_("ECG records sent by village clinics"), sent),
        app_source(_("Village clinics"), Institution.objects.filter(pk__in=villages)),
        Source(
            _("Exams read at a shared centre elsewhere"),
            ExamOrder._meta.label,
            reads["all"],
            updated_at=reads["updated"],
        ),
    ]
    figure = Figure(
        indicator,
        period,
        scope,
        FigureStatus.OK if villages else FigureStatus.NO_DATA,
        value=ratio(len(covered), len(villages), percent=True),
        numerator=Decimal(len(covered)),
        denominator=Decimal(len(villages)),
        sources=sources,
        components=[
            (_("Imaging centre: remote reads"), imaging),
            (_("ECG centre: remote reads"), ecg),
        ],
    )
    return figure


def chronic_admission_rate(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """Managed hypertension and type-2 diabetes patients admitted in the year, over those
    managed, from the family-doctor teams serving the scope (``primarycare.figures``, whose
    counting rule the indicator's definition repeats)."""
    figure = Figure(indicator, period, scope, FigureStatus.NO_DATA)
    if not installed("primarycare"):
        figure.notes.append(
            _("Family-doctor follow-up records are not available yet, so no patient is counted.")
        )
        return figure
    from lianxin.primarycare import figures as family
    from lianxin.primarycare.models import FollowUpPlan, Team

    teams = Team.objects.filter(institution_id__in=scope.institution_ids, is_active=True)
    result = family.compute(teams.select_related("institution"), period.year)
    managed, admitted = result.totals["chronic_managed"], result.totals["admitted"]
    plans = FollowUpPlan.objects.filter(team__in=teams, programme__in=["hypertension", "diabetes"])
    figure.sources = [app_source(_("Family-doctor follow-up plans"), plans)]
    figure.numerator, figure.denominator = Decimal(admitted), Decimal(managed)
    figure.value = ratio(admitted, managed, percent=True)
    figure.status = FigureStatus.OK if figure.value is not None else FigureStatus.NO_DATA
    if period.last >= timezone.localdate():
        figure.notes.append(_("The period is not over: the figure is to date."))
    return figure


def qualitative(indicator: Indicator, period: Period, scope: Scope) -> Figure:
    """The latest judgement on the evidence for the year; pending while none is judged."""
    evidence = Evidence.objects.filter(
        community=scope.community,
        edition=indicator.edition,
        indicator=indicator.code,
        year=period.year,
    )
    judged = evidence.exclude(judgement=Judgement.PENDING).order_by("-judged_at").first()
    figure = Figure(
        indicator,
        period,
        scope,
        FigureStatus.QUALITATIVE,
        sources=[app_source(_("Evidence documents"), evidence)],
    )
    labels = dict(Judgement.choices)
    figure.components.append(
        (_("Judgement"), labels[judged.judgement] if judged else labels[Judgement.PENDING])
    )
    figure.components.append((_("Documents"), evidence.count()))
    return figure
