"""Reads of the outreach app that pages, the API, the export and other apps share.

- ``capabilities(site, at)`` / ``capabilities_many(ids, at)``: what a site can do at a moment, and
  who brings which: its equipment in use, its own staff's credentialed procedures (valid that
  day, staff posted elsewhere that day left out), and the procedures of practitioners posted
  there that day, each procedure only where the host has the facilities it ``requires``.
- ``sites_with(code, at, among)``: the sites that can do one thing at a moment (the emergency
  desk's question), in a constant number of queries however many sites.
- ``figures(year, ids, ...)``: the yearly figures the outreach office and the commission ask for,
  with the national stationing indicator (``rules.STATIONED_SENIORS_PER_10K``).
- ``roster(...)``: postings overlapping a period, for the roster calendar.

Equipment follows ``at`` through its status history (``network.queries.equipment_in_use``): now
(or a later moment) reads the current status, an earlier moment the status in force then. Postings
and credentials are dated, so they follow ``at`` too.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from lianxin.network.models import (
    PRIMARY_TIERS,
    SECONDARY_OR_HIGHER_TIERS,
    Capability,
    CapabilityKind,
    Community,
    Institution,
    Tier,
)
from lianxin.network.queries import community_tree, equipment_in_use
from lianxin.outreach.actions.postings import stationing_min_end
from lianxin.outreach.models import (
    EducationSession,
    Posting,
    SessionAttendance,
    TechniqueTransfer,
    TrainingPlacement,
)
from lianxin.outreach.rules import PostingKind
from lianxin.workforce.models import ATTENDING_OR_ABOVE, Credential, Profession, Title


def day_of(at: datetime.date | datetime.datetime | None) -> datetime.date:
    """The local day of a moment (a date is its own day; None is today)."""
    if at is None:
        return timezone.localdate()
    if isinstance(at, datetime.datetime):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()
    return at


# --- What a site can do now ---------------------------------------------------------------


class Source:
    EQUIPMENT = "equipment"
    STAFF = "staff"
    POSTED = "posted"


@dataclass(frozen=True)
class Provider:
    """Who or what brings a capability to a site."""

    source: str  # Source.*
    practitioner_id: uuid.UUID | None = None
    practitioner_name: str = ""
    title: str = ""
    home_institution: str = ""
    posting_id: uuid.UUID | None = None
    posting_ends_on: datetime.date | None = None
    equipment: int = 0  # pieces in use, for a facility


@dataclass
class SiteCapability:
    capability: Capability
    providers: list[Provider] = field(default_factory=list)

    @property
    def brought_by_posting(self) -> bool:
        """True when only posted practitioners bring it: the site loses it when they leave."""
        return bool(self.providers) and all(p.source == Source.POSTED for p in self.providers)


@dataclass
class Blocked:
    """A procedure someone at the site is credentialed for, missing a required facility."""

    capability: Capability
    providers: list[Provider]
    missing: list[Capability]


@dataclass
class SiteCapabilities:
    institution_id: int
    on: datetime.date
    available: dict[str, SiteCapability] = field(default_factory=dict)
    blocked: list[Blocked] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return set(self.available)

    @property
    def facilities(self) -> list[SiteCapability]:
        return sorted(
            (c for c in self.available.values() if c.capability.kind == CapabilityKind.FACILITY),
            key=lambda c: c.capability.code,
        )

    @property
    def procedures(self) -> list[SiteCapability]:
        return sorted(
            (c for c in self.available.values() if c.capability.kind == CapabilityKind.PROCEDURE),
            key=lambda c: c.capability.code,
        )


def _catalogue() -> tuple[dict[int, Capability], dict[int, set[int]]]:
    catalogue = {c.pk: c for c in Capability.objects.all()}
    needs: dict[int, set[int]] = defaultdict(set)
    for procedure_id, facility_id in Capability.requires.through.objects.values_list(
        "from_capability_id", "to_capability_id"
    ):
        needs[procedure_id].add(facility_id)
    return catalogue, needs


def _valid_credentials(day: datetime.date) -> QuerySet:
    return Credential.objects.filter(practitioner__is_active=True, granted_on__lte=day).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=day)
    )


TITLE_LABELS = dict(Title.choices)


def capabilities_many(
    institution_ids: Iterable[int],
    at: datetime.date | datetime.datetime | None = None,
    *,
    only: Iterable[str] | None = None,
) -> dict[int, SiteCapabilities]:
    """Institution id → what it can do at ``at``, with who brings which (six queries in all).

    Equipment counts when in use at ``at`` (the current status for now or later, the status
    history for an earlier moment); postings and credentials on ``at``'s day.

    ``only`` limits the work to some capability codes (and the facilities they require), for
    a caller that asks about one thing across many sites.
    """
    ids = list(institution_ids)
    day = day_of(at)
    catalogue, needs = _catalogue()
    result = {inst_id: SiteCapabilities(institution_id=inst_id, on=day) for inst_id in ids}
    if not ids:
        return result
    wanted: set[int] | None = None
    if only is not None:
        by_code = {c.code: pk for pk, c in catalogue.items()}
        wanted = {by_code[code] for code in only if code in by_code}
        for cap_id in list(wanted):
            wanted |= needs.get(cap_id, set())

    equipment = equipment_in_use(at).filter(institution_id__in=ids)
    credentials = _valid_credentials(day)
    if wanted is not None:
        equipment = equipment.filter(capability_id__in=wanted)
        credentials = credentials.filter(capability_id__in=wanted)
    facilities: dict[int, Counter] = defaultdict(Counter)
    for row in equipment.values("institution_id", "capability_id").annotate(n=Count("id")):
        facilities[row["institution_id"]][row["capability_id"]] = row["n"]

    here = Posting.objects.active_on(day).filter(host_institution_id__in=ids)
    posted = {
        row["practitioner_id"]: row
        for row in here.values(
            "practitioner_id",
            "host_institution_id",
            "external_id",
            "ends_on",
            "home_institution__name",
        )
    }
    # Own staff who are away on a posting that day do not work at home that day.
    away = set(
        Posting.objects.active_on(day)
        .filter(practitioner__institution_id__in=ids)
        .values_list("practitioner_id", flat=True)
    )
    offered: dict[int, dict[int, list[Provider]]] = defaultdict(lambda: defaultdict(list))
    staff_rows = credentials.filter(
        Q(practitioner__institution_id__in=ids) | Q(practitioner_id__in=list(posted))
    ).values_list(
        "practitioner_id",
        "practitioner__external_id",
        "practitioner__name",
        "practitioner__title",
        "practitioner__institution_id",
        "practitioner__institution__name",
        "capability_id",
    )
    for pid, pkey, name, title, home_id, home_name, cap_id in staff_rows.order_by(
        "practitioner__name", "practitioner_id"
    ):
        posting = posted.get(pid)
        if posting is not None:
            offered[posting["host_institution_id"]][cap_id].append(
                Provider(
                    source=Source.POSTED,
                    practitioner_id=pkey,
                    practitioner_name=name,
                    title=str(TITLE_LABELS.get(title, title)),
                    home_institution=posting["home_institution__name"],
                    posting_id=posting["external_id"],
                    posting_ends_on=posting["ends_on"],
                )
            )
        elif home_id in result and pid not in away:
            offered[home_id][cap_id].append(
                Provider(
                    source=Source.STAFF,
                    practitioner_id=pkey,
                    practitioner_name=name,
                    title=str(TITLE_LABELS.get(title, title)),
                    home_institution=home_name,
                )
            )
    for inst_id, site in result.items():
        have = facilities.get(inst_id, Counter())
        for cap_id, n in have.items():
            site.available[catalogue[cap_id].code] = SiteCapability(
                catalogue[cap_id], [Provider(source=Source.EQUIPMENT, equipment=n)]
            )
        for cap_id, providers in offered.get(inst_id, {}).items():
            capability = catalogue[cap_id]
            if capability.kind != CapabilityKind.PROCEDURE:
                continue
            missing = needs.get(cap_id, set()) - set(have)
            if missing:
                site.blocked.append(
                    Blocked(
                        capability,
                        providers,
                        sorted((catalogue[m] for m in missing), key=lambda c: c.code),
                    )
                )
            else:
                site.available[capability.code] = SiteCapability(capability, providers)
        site.blocked.sort(key=lambda b: b.capability.code)
    return result


def capabilities(
    site: Institution, at: datetime.date | datetime.datetime | None = None
) -> SiteCapabilities:
    """What one site can do at ``at`` and who brings which."""
    return capabilities_many([site.pk], at)[site.pk]


def sites_with(
    code: str,
    at: datetime.date | datetime.datetime | None = None,
    *,
    among: QuerySet | Iterable[int] | None = None,
) -> list[tuple[Institution, SiteCapability]]:
    """The sites (among the given ones, or all active ones) that can do ``code`` at ``at``,
    with who brings it; a constant number of queries however many sites."""
    institutions = Institution.objects.filter(is_active=True)
    if among is not None:
        institutions = institutions.filter(pk__in=among)
    ids = list(institutions.values_list("pk", flat=True))
    found = capabilities_many(ids, at, only=[code])
    hits = {
        inst_id: site.available[code] for inst_id, site in found.items() if code in site.available
    }
    rows = Institution.objects.filter(pk__in=list(hits)).order_by("tier", "name")
    order = {value: index for index, value in enumerate(Tier.values)}
    return sorted(
        ((inst, hits[inst.pk]) for inst in rows),
        key=lambda pair: (order.get(pair[0].tier, 99), pair[0].name),
    )


# --- Roster --------------------------------------------------------------------------------


def roster(
    postings: QuerySet, first: datetime.date, last: datetime.date
) -> tuple[list[datetime.date], list[dict[str, Any]]]:
    """Postings overlapping ``first``–``last``, one row per practitioner with a cell per day
    (the posting that covers it, or None)."""
    span = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    rows: dict[int, dict[str, Any]] = {}
    chosen = (
        postings.filter(is_cancelled=False, starts_on__lte=last, ends_on__gte=first)
        .select_related("practitioner", "home_institution", "host_institution")
        .order_by("host_institution__name", "practitioner__name", "starts_on")
    )
    for posting in chosen:
        row = rows.setdefault(
            posting.practitioner_id,
            {"practitioner": posting.practitioner, "cells": [None] * len(span)},
        )
        for index, day in enumerate(span):
            if posting.starts_on <= day <= posting.ends_on:
                row["cells"][index] = posting
    return span, list(rows.values())


# --- Figures -------------------------------------------------------------------------------


def division_prefix(code: str) -> str:
    """Strip the zero pairs that pad a division code: 350426000000 → 350426."""
    code = (code or "").strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def community_institution_ids(community: Community) -> set[int]:
    """The community's institutions, county communities inside an alliance included."""
    ids: set[int] = set()
    stack = [community_tree(community)]
    while stack:
        node = stack.pop()
        ids |= {inst.pk for inst in node.institutions}
        ids.add(node.community.lead_id)
        stack.extend(node.children)
    return ids


def residents(prefixes: Iterable[str]) -> int:
    """Registered residents whose residence division code lies within one of the prefixes."""
    Patient = apps.get_model("patients", "Patient")
    condition = Q()
    clean = {division_prefix(p) for p in prefixes if p}
    if not clean:
        return 0
    for prefix in clean:
        condition |= Q(division_code__startswith=prefix)
    return Patient.objects.filter(condition).count()


def _overlap_days(
    start: datetime.date, end: datetime.date, first: datetime.date, last: datetime.date
) -> int:
    return max(0, (min(end, last) - max(start, first)).days + 1)


def stationed_seniors(ids: Iterable[int], year: int) -> list[Posting]:
    """The postings the national indicator counts for ``year`` (rules.STATIONED_SENIORS_PER_10K)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    candidates = Posting.objects.filter(
        host_institution_id__in=list(ids),
        kind=PostingKind.STATIONING,
        is_cancelled=False,
        starts_on__lte=last,
        ends_on__gte=first,
        practitioner__profession=Profession.PHYSICIAN,
        practitioner__title__in=list(ATTENDING_OR_ABOVE),
        home_institution__tier__in=list(SECONDARY_OR_HIGHER_TIERS),
        host_institution__tier__in=list(PRIMARY_TIERS),
    ).only("pk", "starts_on", "ends_on", "host_institution_id", "practitioner_id")
    return [p for p in candidates if p.ends_on >= stationing_min_end(p.starts_on)]


@dataclass
class Figures:
    year: int
    totals: dict[str, int]
    indicator: dict[str, Any]
    by_member: list[dict[str, Any]]
    by_month: list[dict[str, Any]]


FIGURE_KEYS = (
    "person_times",
    "person_days",
    "stationings",
    "activity_patients",
    "operations",
    "techniques",
    "first_cases",
    "independent",
    "trainees",
    "sessions",
    "attendance",
    "consultations",
    "remote_reads",
)


def figures(
    year: int, institution_ids: Iterable[int], *, resident_prefixes: Iterable[str]
) -> Figures:
    """Yearly figures over the institutions (already scoped by the caller); counts only.

    Postings, techniques and placements count where the member receives them (the host);
    sessions where their provider is, attendance where the attendees work.
    """
    ids = set(institution_ids)
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    per: dict[int, Counter] = defaultdict(Counter)
    months = [Counter() for _ in range(12)]

    postings = Posting.objects.filter(
        host_institution_id__in=ids, is_cancelled=False, starts_on__lte=last, ends_on__gte=first
    ).values_list("host_institution_id", "kind", "starts_on", "ends_on")
    for host, kind, start, end in postings:
        per[host]["person_times"] += 1
        per[host]["person_days"] += _overlap_days(start, end, first, last)
        if kind == PostingKind.STATIONING:
            per[host]["stationings"] += 1
        for month in range(12):
            m_first = datetime.date(year, month + 1, 1)
            m_last = (
                datetime.date(year, month + 2, 1) - datetime.timedelta(days=1)
                if month < 11
                else last
            )
            days = _overlap_days(start, end, m_first, m_last)
            if days:
                months[month]["person_days"] += days
                if m_first <= start <= m_last or (month == 0 and start < first):
                    months[month]["person_times"] += 1

    Activity = apps.get_model("outreach", "PostingActivity")
    for row in (
        Activity.objects.filter(posting__host_institution_id__in=ids, on__range=(first, last))
        .values("posting__host_institution_id")
        .annotate(
            patients=Sum("patients"),
            operations=Sum("sessions", filter=Q(kind__in=["operation", "operation_assisted"])),
        )
    ):
        per[row["posting__host_institution_id"]]["activity_patients"] += row["patients"] or 0
        per[row["posting__host_institution_id"]]["operations"] += row["operations"] or 0

    techniques = TechniqueTransfer.objects.filter(host_institution_id__in=ids)
    for host, introduced, first_case, independent in techniques.values_list(
        "host_institution_id", "introduced_on", "first_case_on", "independent_on"
    ):
        if first <= introduced <= last:
            per[host]["techniques"] += 1
            months[introduced.month - 1]["techniques"] += 1
        if first_case and first <= first_case <= last:
            per[host]["first_cases"] += 1
        if independent and first <= independent <= last:
            per[host]["independent"] += 1

    for row in (
        TrainingPlacement.objects.filter(
            home_institution_id__in=ids, starts_on__lte=last, ends_on__gte=first
        )
        .values("home_institution_id")
        .annotate(n=Count("trainee_id", distinct=True))
    ):
        per[row["home_institution_id"]]["trainees"] += row["n"]

    for row in (
        EducationSession.objects.filter(course__provider_id__in=ids, held_on__range=(first, last))
        .values("course__provider_id")
        .annotate(n=Count("id"))
    ):
        per[row["course__provider_id"]]["sessions"] += row["n"]
    for row in (
        SessionAttendance.objects.filter(
            institution_id__in=ids, session__held_on__range=(first, last)
        )
        .values("institution_id")
        .annotate(n=Sum("attendees"))
    ):
        per[row["institution_id"]]["attendance"] += row["n"] or 0

    Consultation = apps.get_model("referrals", "Consultation")
    for row in (
        Consultation.objects.filter(requester_institution_id__in=ids, created_at__year=year)
        .values("requester_institution_id")
        .annotate(n=Count("id"))
    ):
        per[row["requester_institution_id"]]["consultations"] += row["n"]

    # Remote reads: exams a member took and a shared centre elsewhere read (基层检查、上级诊断).
    ExamOrder = apps.get_model("diagnostics", "ExamOrder")
    for row in (
        ExamOrder.objects.filter(requester_institution_id__in=ids, created_at__year=year)
        .exclude(performer_institution_id=F("requester_institution_id"))
        .exclude(status__in=["draft", "cancelled", "entered-in-error"])
        .values("requester_institution_id")
        .annotate(n=Count("id"))
    ):
        per[row["requester_institution_id"]]["remote_reads"] += row["n"]

    names = {
        inst.pk: inst
        for inst in Institution.objects.filter(pk__in=[k for k, v in per.items() if v])
    }
    order = {value: index for index, value in enumerate(Tier.values)}
    tier_labels = dict(Tier.choices)
    by_member = sorted(
        (
            {
                "institution": names[inst_id],
                "tier": str(tier_labels.get(names[inst_id].tier, "")),
                **{key: counts.get(key, 0) for key in FIGURE_KEYS},
            }
            for inst_id, counts in per.items()
            if inst_id in names
        ),
        key=lambda row: (order.get(row["institution"].tier, 99), row["institution"].name),
    )
    totals = {key: sum(row[key] for row in by_member) for key in FIGURE_KEYS}
    counted = stationed_seniors(ids, year)
    population = residents(resident_prefixes)
    # The published wording counts persons (派驻人数（人）); the rule counts postings.
    # Both are given: a physician with two qualifying stationings in a year is one person.
    physicians = len({p.practitioner_id for p in counted})
    indicator = {
        "postings": len(counted),
        "physicians": physicians,
        "residents": population,
        "per_10k": round(len(counted) * 10_000 / population, 2) if population else None,
        "physicians_per_10k": round(physicians * 10_000 / population, 2) if population else None,
    }
    by_month = [
        {
            "month": index + 1,
            **{key: month.get(key, 0) for key in ("person_times", "person_days", "techniques")},
        }
        for index, month in enumerate(months)
    ]
    return Figures(
        year=year, totals=totals, indicator=indicator, by_member=by_member, by_month=by_month
    )


@dataclass
class FigureScope:
    institution_ids: set[int]
    resident_prefixes: list[str]
    community: Community | None = None


def figure_scope(user: Any, community: Community | None = None) -> FigureScope:
    """The institutions a user's figures cover (their registry reach, or one visible community)
    and the division whose residents are the indicator's denominator."""
    from lianxin.core.access import access_for

    access = access_for(user)
    visible = set(Institution.objects.visible_to(user).values_list("pk", flat=True))
    if community is not None:
        return FigureScope(
            community_institution_ids(community) & visible, [community.division_code], community
        )
    prefixes = list(access.commission_prefixes) or list(
        Community.objects.filter(pk__in=access.community_ids).values_list(
            "division_code", flat=True
        )
    )
    # An alliance's division contains its counties': keep the shortest prefixes only.
    clean = sorted({division_prefix(p) for p in prefixes}, key=len)
    kept = [p for i, p in enumerate(clean) if not any(p.startswith(q) for q in clean[:i])]
    return FigureScope(visible, kept)


def parse_year(raw: str | None) -> int | None:
    """A year from a query string: absent is this year, anything outside 2000–2100 is None."""
    if not raw:
        return timezone.localdate().year
    raw = raw.strip()
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        return None
    return int(raw)
