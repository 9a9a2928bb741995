"""Reads of the registry that pages, the API and other apps share.

- ``capabilities_today(institution_ids)``: what each institution can do now — facilities from
  equipment in use, procedures from active credentialed practitioners whose required facilities are
  there too. The emergency and outreach apps ask this for many sites at once.
- ``institution_capabilities(institution)``: the same for one institution, with detail for its page.
- ``registry_figures(institutions)``: aggregates only (counts and sums), for the figures page.
- ``community_tree(community)``: members, with county communities inside an alliance expanded.
- ``equipment_in_use(at)``: the equipment in use at a moment, from the status history (or the
  current status, for now).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from lianxin.network.models import (
    Capability,
    Community,
    CommunityMember,
    Equipment,
    EquipmentStatus,
    EquipmentStatusChange,
    Institution,
    Tier,
)


def status_moment(
    at: datetime.date | datetime.datetime | None,
) -> datetime.datetime | None:
    """The moment whose equipment status a question is about, or None when it is about now (or
    later): then the current status answers. A date stands for the end of that day (the last
    status recorded that day, which for today is the current one); a naive date-time is local."""
    if at is None:
        return None
    if isinstance(at, datetime.datetime):
        moment = at if timezone.is_aware(at) else timezone.make_aware(at)
        return None if moment >= timezone.now() else moment
    if at >= timezone.localdate():
        return None
    next_day = timezone.make_aware(datetime.datetime.combine(at, datetime.time.min))
    return next_day + datetime.timedelta(days=1, microseconds=-1)


def equipment_in_use(at: datetime.date | datetime.datetime | None = None) -> QuerySet:
    """Equipment in use at ``at`` (default now), as one query however it is narrowed further.

    Now: the current status (an indexed filter, as fast as before there was a history). An
    earlier moment: the status of the piece's latest history entry at or before it, so a piece
    registered later, or broken then and repaired since, is left out. A piece with no history
    at all (a row written outside the actions) keeps its current status for every moment.
    """
    moment = status_moment(at)
    if moment is None:
        return Equipment.objects.filter(status=EquipmentStatus.IN_USE)
    history = EquipmentStatusChange.objects.filter(equipment=OuterRef("pk"))
    then = history.filter(changed_at__lte=moment).order_by("-changed_at", "-pk").values("status")
    return Equipment.objects.alias(
        status_then=Subquery(then[:1]), has_history=Exists(history)
    ).filter(
        Q(status_then=EquipmentStatus.IN_USE) | Q(has_history=False, status=EquipmentStatus.IN_USE)
    )


def _requirements() -> dict[int, set[int]]:
    """Procedure id → the facility ids it requires (the catalogue is small: one query)."""
    links = Capability.requires.through.objects.values_list(
        "from_capability_id", "to_capability_id"
    )
    needs: dict[int, set[int]] = defaultdict(set)
    for procedure_id, facility_id in links:
        needs[procedure_id].add(facility_id)
    return needs


def _active_credentials(institution_ids: Iterable[int], today: datetime.date) -> QuerySet:
    Credential = apps.get_model("workforce", "Credential")
    return Credential.objects.filter(
        practitioner__institution_id__in=list(institution_ids),
        practitioner__is_active=True,
        granted_on__lte=today,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))


def capabilities_today(
    institution_ids: Iterable[int], *, today: datetime.date | None = None
) -> dict[int, set[str]]:
    """Institution id → capability codes available now (a constant number of queries)."""
    ids = list(institution_ids)
    today = today or timezone.localdate()
    codes = dict(Capability.objects.values_list("id", "code"))
    facilities: dict[int, set[int]] = defaultdict(set)
    for inst_id, cap_id in (
        Equipment.objects.filter(institution_id__in=ids, status=EquipmentStatus.IN_USE)
        .values_list("institution_id", "capability_id")
        .distinct()
    ):
        facilities[inst_id].add(cap_id)
    needs = _requirements()
    result: dict[int, set[str]] = {inst_id: set() for inst_id in ids}
    for inst_id, caps in facilities.items():
        result[inst_id] |= {codes[c] for c in caps}
    for inst_id, cap_id in (
        _active_credentials(ids, today)
        .values_list("practitioner__institution_id", "capability_id")
        .distinct()
    ):
        if needs.get(cap_id, set()) <= facilities.get(inst_id, set()):
            result[inst_id].add(codes[cap_id])
    return result


@dataclass
class ProcedureToday:
    capability: Capability
    practitioners: int
    missing: list[Capability] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.practitioners > 0 and not self.missing


@dataclass
class InstitutionCapabilities:
    facilities: list[Capability]
    procedures: list[ProcedureToday]

    @property
    def available_codes(self) -> set[str]:
        codes = {c.code for c in self.facilities}
        return codes | {p.capability.code for p in self.procedures if p.available}


def institution_capabilities(
    institution: Institution, *, today: datetime.date | None = None
) -> InstitutionCapabilities:
    """Facilities in use and credentialed procedures at one institution, with what is missing."""
    today = today or timezone.localdate()
    facility_ids = set(
        Equipment.objects.filter(
            institution=institution, status=EquipmentStatus.IN_USE
        ).values_list("capability_id", flat=True)
    )
    staff = dict(
        _active_credentials([institution.pk], today)
        .values("capability_id")
        .annotate(n=Count("practitioner_id", distinct=True))
        .values_list("capability_id", "n")
    )
    catalogue = {c.pk: c for c in Capability.objects.all()}
    needs = _requirements()
    procedures = [
        ProcedureToday(
            capability=catalogue[cap_id],
            practitioners=count,
            missing=sorted(
                (catalogue[f] for f in needs.get(cap_id, set()) - facility_ids),
                key=lambda c: c.code,
            ),
        )
        for cap_id, count in staff.items()
    ]
    procedures.sort(key=lambda p: p.capability.code)
    facilities = sorted((catalogue[c] for c in facility_ids), key=lambda c: c.code)
    return InstitutionCapabilities(facilities=facilities, procedures=procedures)


def registry_figures(institutions: QuerySet) -> dict[str, Any]:
    """Aggregates over the given institutions (already scoped by the caller): counts, never rows
    about people."""
    Practitioner = apps.get_model("workforce", "Practitioner")
    from lianxin.workforce.models import ATTENDING_OR_ABOVE, Title

    tier_labels = dict(Tier.choices)
    by_tier = [
        {
            "tier": row["tier"],
            "label": tier_labels.get(row["tier"], row["tier"]),
            "institutions": row["n"],
            "beds": row["beds"] or 0,
        }
        for row in institutions.values("tier").annotate(n=Count("id"), beds=Sum("beds"))
    ]
    staff = Practitioner.objects.filter(institution__in=institutions, is_active=True)
    title_labels = dict(Title.choices)
    by_title = [
        {
            "title": row["title"],
            "label": title_labels.get(row["title"], row["title"]),
            "n": row["n"],
        }
        for row in staff.values("title").annotate(n=Count("id")).order_by("title")
    ]
    per_tier = {
        row["institution__tier"]: row
        for row in staff.values("institution__tier").annotate(
            n=Count("id"), senior=Count("id", filter=Q(title__in=list(ATTENDING_OR_ABOVE)))
        )
    }
    for row in by_tier:
        counts = per_tier.get(row["tier"], {})
        row["practitioners"] = counts.get("n", 0)
        row["attending_or_above"] = counts.get("senior", 0)
    order = {value: index for index, value in enumerate(Tier.values)}
    by_tier.sort(key=lambda row: order.get(row["tier"], 99))
    status_labels = dict(EquipmentStatus.choices)
    equipment = {
        row["status"]: row["n"]
        for row in Equipment.objects.filter(institution__in=institutions)
        .values("status")
        .annotate(n=Count("id"))
    }
    return {
        "by_tier": by_tier,
        "by_title": by_title,
        "institutions": sum(row["institutions"] for row in by_tier),
        "beds": sum(row["beds"] for row in by_tier),
        "practitioners": sum(row["n"] for row in by_title),
        "attending_or_above": sum(
            row["n"] for row in by_title if row["title"] in ATTENDING_OR_ABOVE
        ),
        "equipment": [
            {"status": value, "label": status_labels[value], "n": equipment.get(value, 0)}
            for value in EquipmentStatus.values
        ],
    }


@dataclass
class TreeNode:
    community: Community
    institutions: list[Institution]
    children: list[TreeNode]


def community_tree(community: Community, *, _seen: set[int] | None = None) -> TreeNode:
    """The community's institutions, and its county communities (for an alliance) as subtrees."""
    seen = _seen if _seen is not None else set()
    seen.add(community.pk)
    members = CommunityMember.objects.filter(community=community).select_related(
        "member_institution", "member_community__lead"
    )
    institutions: list[Institution] = []
    children: list[TreeNode] = []
    for member in members:
        if member.member_institution is not None:
            institutions.append(member.member_institution)
        elif member.member_community_id not in seen:
            children.append(community_tree(member.member_community, _seen=seen))
    order = {value: index for index, value in enumerate(Tier.values)}
    institutions.sort(key=lambda i: (order.get(i.tier, 99), i.division_code, i.name))
    return TreeNode(community=community, institutions=institutions, children=children)
