"""The family-doctor figures per team, township and month, each with its counting rule
(rules.FIGURES). Aggregates only: nothing here returns a patient row.

Residents are counted by residence: a resident belongs to the team serving the village whose
division code is their residence code. A plan is "managed in the year" when it was open at some
time during the year.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import access_for
from lianxin.core.permissions import Perm
from lianxin.core.workflow import Status
from lianxin.network.models import CommunityMember
from lianxin.patients.models import Patient
from lianxin.primarycare.models import (
    Assessment,
    Contract,
    FollowUpPlan,
    KeyPopulation,
    Team,
    TeamVillage,
    end_of_day,
)
from lianxin.primarycare.rules import Control, Population

COUNTS = (
    "residents",
    "contracted",
    "key_residents",
    "key_contracted",
    "htn_managed",
    "htn_standard",
    "htn_controlled",
    "dm_managed",
    "dm_standard",
    "dm_controlled",
    "due",
    "on_time",
    "chronic_managed",
    "admitted",
)
# The counts' column headings in the Excel export.
COUNT_LABELS = {
    "residents": _("Residents"),
    "contracted": _("Contracted"),
    "key_residents": _("Key-population residents"),
    "key_contracted": _("Key-population residents contracted"),
    "htn_managed": _("Hypertension patients managed"),
    "htn_standard": _("Hypertension: standardised management"),
    "htn_controlled": _("Hypertension: blood pressure controlled"),
    "dm_managed": _("Type-2 diabetes patients managed"),
    "dm_standard": _("Type-2 diabetes: standardised management"),
    "dm_controlled": _("Type-2 diabetes: glucose controlled"),
    "due": _("Follow-ups due"),
    "on_time": _("Follow-ups on time"),
    "chronic_managed": _("Chronic patients managed"),
    "admitted": _("Chronic patients admitted"),
}
RATES = {
    "contract_rate": ("contracted", "residents"),
    "key_contract_rate": ("key_contracted", "key_residents"),
    "htn_standard_rate": ("htn_standard", "htn_managed"),
    "htn_control_rate": ("htn_controlled", "htn_managed"),
    "dm_standard_rate": ("dm_standard", "dm_managed"),
    "dm_control_rate": ("dm_controlled", "dm_managed"),
    "on_time_rate": ("on_time", "due"),
    "admission_rate": ("admitted", "chronic_managed"),
}


def rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


@dataclass
class Figures:
    year: int
    reference_day: datetime.date
    by_team: list[dict[str, Any]] = field(default_factory=list)
    by_township: list[dict[str, Any]] = field(default_factory=list)
    by_month: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)


def figure_teams(user: Any):
    """Teams whose figures the user reads: a commission or an administrator every team in
    reach; a doctor the teams they act for."""
    access = access_for(user)
    teams = Team.objects.visible_to(user).filter(is_active=True)
    if access.is_superuser or access.is_commission or access.has_perm(Perm.MANAGE_NETWORK):
        return teams
    if access.has_perm(Perm.VIEW_AGGREGATES):
        return teams.filter(institution_id__in=access.institutions_with(Perm.VIEW_AGGREGATES))
    return teams.serving(access.clinical_institution_ids)


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    for key, (num, den) in RATES.items():
        row[key] = rate(row.get(num, 0), row.get(den, 0))
    return row


def compute(teams: Iterable[Team], year: int, today: datetime.date | None = None) -> Figures:
    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    ref = min(end, today)
    teams = list(teams)
    team_ids = [t.pk for t in teams]
    result = Figures(year=year, reference_day=ref)
    counts: dict[int, dict[str, int]] = {t.pk: dict.fromkeys(COUNTS, 0) for t in teams}

    # Residents and key populations by residence.
    village_team = dict(
        TeamVillage.objects.filter(team_id__in=team_ids).values_list(
            "village__division_code", "team_id"
        )
    )
    elderly_born_by = ref.replace(year=ref.year - 65)
    child_born_after = ref.replace(year=ref.year - 7)
    current_keys = KeyPopulation.objects.filter(since__lte=ref).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=ref)
    )
    key_rows = current_keys.filter(patient=OuterRef("pk"))
    is_key = Q(birth_date__lte=elderly_born_by) | Q(birth_date__gt=child_born_after) | Q(key=True)
    residents = (
        Patient.objects.filter(division_code__in=village_team, deceased_on__isnull=True)
        .annotate(key=Exists(key_rows))
        .values("division_code")
        .annotate(n=Count("pk"), key_n=Count("pk", filter=is_key))
        .order_by()
    )
    for row in residents:
        c = counts[village_team[row["division_code"]]]
        c["residents"] += row["n"]
        c["key_residents"] += row["key_n"]
    key_patient = Exists(current_keys.filter(patient=OuterRef("patient_id")))
    contracted = (
        Contract.objects.active_on(ref)
        .filter(team_id__in=team_ids)
        .annotate(key=key_patient)
        .values("team_id")
        .annotate(
            n=Count("pk"),
            key_n=Count(
                "pk",
                filter=Q(patient__birth_date__lte=elderly_born_by)
                | Q(patient__birth_date__gt=child_born_after)
                | Q(key=True),
            ),
        )
        .order_by()
    )
    for row in contracted:
        counts[row["team_id"]]["contracted"] += row["n"]
        counts[row["team_id"]]["key_contracted"] += row["key_n"]

    # Chronic programmes managed in the year: standardised (≥ 4 face-to-face) and controlled
    # (the last follow-up of the year controlled).
    in_year = Q(visited_on__gte=start, visited_on__lte=end)
    f2f = (
        Assessment.objects.filter(in_year, plan=OuterRef("pk"), face_to_face=True)
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_control = (
        Assessment.objects.filter(in_year, plan=OuterRef("pk"))
        .order_by("-visited_on", "-id")
        .values("control")[:1]
    )
    managed = (
        FollowUpPlan.objects.filter(
            team_id__in=team_ids,
            programme__in=[Population.HYPERTENSION, Population.DIABETES],
            created_at__lte=end_of_day(end),
        )
        .filter(Q(status=Status.IN_PROGRESS) | Q(status_changed_at__gte=end_of_day(start)))
        .annotate(
            f2f=Coalesce(Subquery(f2f, output_field=IntegerField()), 0),
            last=Subquery(last_control),
        )
        .values("team_id", "programme")
        .annotate(
            n=Count("pk"),
            standard=Count("pk", filter=Q(f2f__gte=4)),
            controlled=Count("pk", filter=Q(last=Control.CONTROLLED)),
        )
        .order_by()
    )
    prefix = {Population.HYPERTENSION: "htn", Population.DIABETES: "dm"}
    for row in managed:
        c, p = counts[row["team_id"]], prefix[row["programme"]]
        c[f"{p}_managed"] += row["n"]
        c[f"{p}_standard"] += row["standard"]
        c[f"{p}_controlled"] += row["controlled"]

    # Follow-ups due in the year up to today: done (on time or late) and still overdue.
    due_done = (
        Assessment.objects.filter(
            plan__team_id__in=team_ids, due_on__gte=start, due_on__lte=min(end, today)
        )
        .values("plan__team_id")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))
        .order_by()
    )
    for row in due_done:
        counts[row["plan__team_id"]]["due"] += row["n"]
        counts[row["plan__team_id"]]["on_time"] += row["on_time"]
    missed = (
        FollowUpPlan.objects.filter(
            team_id__in=team_ids,
            status=Status.IN_PROGRESS,
            next_due_on__gte=start,
            next_due_on__lt=min(end + datetime.timedelta(days=1), today),
        )
        .values("team_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in missed:
        counts[row["team_id"]]["due"] += row["n"]

    _admissions(counts, team_ids, start, end)

    by_team = []
    for team in sorted(teams, key=lambda t: (t.institution.name, t.name)):
        by_team.append(_with_rates({"team": team, "township": team.institution, **counts[team.pk]}))
    result.by_team = by_team
    townships: dict[int, dict[str, Any]] = {}
    for row in by_team:
        t = townships.setdefault(
            row["township"].pk, {"township": row["township"], **dict.fromkeys(COUNTS, 0)}
        )
        for key in COUNTS:
            t[key] += row[key]
    result.by_township = [_with_rates(t) for t in townships.values()]
    total = dict.fromkeys(COUNTS, 0)
    for row in by_team:
        for key in COUNTS:
            total[key] += row[key]
    result.totals = _with_rates(total)
    result.by_month = _by_month(team_ids, start, end, today)
    return result


def _admissions(counts, team_ids, start: datetime.date, end: datetime.date) -> None:
    """Managed hypertension/diabetes patients admitted in the year: an up-referral of theirs
    that the receiving hospital, a member of the team's county community, recorded as arrived
    (the referral's "start" step) in the year. Each patient counts once."""
    from lianxin.referrals.models import ReferralTransition

    managed = FollowUpPlan.objects.filter(
        team_id__in=team_ids,
        programme__in=[Population.HYPERTENSION, Population.DIABETES],
        created_at__lte=end_of_day(end),
    ).filter(Q(status=Status.IN_PROGRESS) | Q(status_changed_at__gte=end_of_day(start)))
    per_team = managed.values("team_id").annotate(n=Count("patient_id", distinct=True)).order_by()
    for row in per_team:
        counts[row["team_id"]]["chronic_managed"] += row["n"]
    county_members = CommunityMember.objects.filter(
        community__members__member_institution=OuterRef("team__institution_id"),
        community__kind="county",
        member_institution_id=OuterRef("admission_site"),
    )
    arrived = ReferralTransition.objects.filter(
        item__patient_id=OuterRef("patient_id"),
        item__direction="up",
        name="start",
        at__gte=end_of_day(start - datetime.timedelta(days=1)),
        at__lte=end_of_day(end),
    )
    admitted = (
        managed.annotate(
            admission_site=Subquery(arrived.values("item__performer_institution_id")[:1])
        )
        .filter(admission_site__isnull=False)
        .filter(Exists(county_members))
        .values("team_id")
        .annotate(n=Count("patient_id", distinct=True))
        .order_by()
    )
    for row in admitted:
        counts[row["team_id"]]["admitted"] += row["n"]


def _by_month(team_ids, start, end, today) -> list[dict[str, Any]]:
    months = {
        m: {"month": m, "signed": 0, "visits": 0, "due": 0, "on_time": 0} for m in range(1, 13)
    }
    signed = (
        Contract.objects.filter(team_id__in=team_ids, starts_on__gte=start, starts_on__lte=end)
        .annotate(m=ExtractMonth("starts_on"))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in signed:
        months[row["m"]]["signed"] = row["n"]
    done = (
        Assessment.objects.filter(plan__team_id__in=team_ids, due_on__gte=start, due_on__lte=end)
        .annotate(m=ExtractMonth("due_on"))
        .values("m")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))
        .order_by()
    )
    for row in done:
        months[row["m"]]["due"] += row["n"]
        months[row["m"]]["on_time"] += row["on_time"]
    visits = (
        Assessment.objects.filter(
            plan__team_id__in=team_ids, visited_on__gte=start, visited_on__lte=end
        )
        .annotate(m=ExtractMonth("visited_on"))
        .values("m")
        .annotate(n=Count("visit_id", distinct=True))
        .order_by()
    )
    for row in visits:
        months[row["m"]]["visits"] = row["n"]
    missed = (
        FollowUpPlan.objects.filter(
            team_id__in=team_ids,
            status=Status.IN_PROGRESS,
            next_due_on__gte=start,
            next_due_on__lte=min(end, today - datetime.timedelta(days=1)),
        )
        .annotate(m=ExtractMonth("next_due_on"))
        .values("m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in missed:
        months[row["m"]]["due"] += row["n"]
    out = []
    for m in range(1, 13):
        row = months[m]
        row["on_time_rate"] = rate(row["on_time"], row["due"])
        out.append(row)
    return out
