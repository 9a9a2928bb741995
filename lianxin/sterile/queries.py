"""Reads of the sterile-supply centre: which loads a failed test recalls, where every pack of those
loads is and which patients it touched, packs in circulation per branch."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lianxin.sterile.models import (
    BiResult,
    BowieDickTest,
    Pack,
    PackEvent,
    SterilisationLoad,
    Whereabouts,
)
from lianxin.sterile.rules import RECALL_RULES, PackStatus, RecallScope, Step


def recall_loads(
    reason: str,
    *,
    load: SterilisationLoad | None = None,
    test: BowieDickTest | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[SterilisationLoad]:
    """The loads a failure recalls, by the rule for its reason (``rules.RECALL_RULES``).

    Since the last pass: a positive BI recalls every load on the steriliser after the last load
    whose BI was negative, up to now (WS 310.3-2016 4.4.1.4); a failed Bowie-Dick test every load
    after the last passing test, up to the failed one. A later load with a negative BI ends the
    scope: it vouches for the loads from it on."""
    rule = RECALL_RULES[reason]
    now = now or timezone.now()
    if rule.scope == RecallScope.LOAD:
        return SterilisationLoad.objects.filter(pk=load.pk)
    if test is not None:
        last_pass = (
            BowieDickTest.objects.filter(
                machine_id=test.machine_id, passed=True, tested_at__lt=test.tested_at
            )
            .order_by("-tested_at")
            .values_list("tested_at", flat=True)
            .first()
        )
        loads = SterilisationLoad.objects.filter(
            machine_id=test.machine_id, started_at__lte=test.tested_at
        )
        if last_pass is not None:
            loads = loads.filter(started_at__gt=last_pass)
        return loads
    last_negative = (
        SterilisationLoad.objects.filter(
            machine_id=load.machine_id,
            bi_result=BiResult.NEGATIVE,
            started_at__lt=load.started_at,
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    loads = SterilisationLoad.objects.filter(machine_id=load.machine_id, started_at__lte=now)
    if last_negative is not None:
        loads = loads.filter(started_at__gt=last_negative)
    # A later load whose BI passed vouches for the loads from it on (a BI read late).
    next_negative = (
        SterilisationLoad.objects.filter(
            machine_id=load.machine_id,
            bi_result=BiResult.NEGATIVE,
            started_at__gt=load.started_at,
        )
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if next_negative is not None:
        loads = loads.filter(started_at__lt=next_negative)
    return loads


@dataclass(frozen=True)
class Traced:
    """One pack-cycle sterilised by a recalled load, and where it is."""

    pack_id: int
    cycle: int
    load_id: int
    whereabouts: str
    institution_id: int
    use: PackEvent | None


def trace_loads(load_ids: list[int]) -> list[Traced]:
    """Every (pack, cycle) sterilised in the given loads, with its whereabouts now and its use.

    Three queries whatever the size: the sterilisation events of the loads, the uses of those
    pack-cycles, and the packs' current rows."""
    sterilised = list(
        PackEvent.objects.filter(load_id__in=load_ids, step=Step.STERILISE).values_list(
            "pack_id", "cycle", "load_id"
        )
    )
    if not sterilised:
        return []
    same_cycle = PackEvent.objects.filter(
        pack_id=OuterRef("pack_id"),
        cycle=OuterRef("cycle"),
        step=Step.STERILISE,
        load_id__in=load_ids,
    )
    uses = {
        (e.pack_id, e.cycle): e
        for e in PackEvent.objects.filter(step=Step.USE)
        .filter(pack_id__in={p for p, _c, _l in sterilised})
        .filter(Exists(same_cycle))
        .select_related("patient", "surgeon", "institution")
    }
    packs = {
        p.pk: p
        for p in Pack.objects.filter(pk__in={p for p, _c, _l in sterilised}).only(
            "id", "status", "cycle", "location_id"
        )
    }
    out: list[Traced] = []
    for pack_id, cycle, load_id in sterilised:
        pack = packs[pack_id]
        use = uses.get((pack_id, cycle))
        if use is not None:
            where, inst = Whereabouts.USED, use.institution_id
        elif pack.cycle > cycle:
            where, inst = Whereabouts.REPROCESSED, pack.location_id
        elif pack.status == PackStatus.ISSUED:
            where, inst = Whereabouts.IN_TRANSIT, pack.location_id
        elif pack.status == PackStatus.RECEIVED:
            where, inst = Whereabouts.AT_BRANCH, pack.location_id
        else:
            where, inst = Whereabouts.IN_CENTRE, pack.location_id
        out.append(Traced(pack_id, cycle, load_id, where, inst, use))
    return out


def patients_touched(load_ids: list[int]) -> set[int]:
    """The patients on whom a pack of these loads was used (in the cycle the load sterilised)."""
    return {t.use.patient_id for t in trace_loads(load_ids) if t.use is not None}


IN_CIRCULATION = (PackStatus.ISSUED, PackStatus.RECEIVED, PackStatus.USED)


def circulation(packs: QuerySet[Pack]) -> list[dict]:
    """Packs outside the centre per branch: in transit, sterile at the branch, used (waiting for
    collection), and how many of the sterile ones have expired."""
    now = timezone.now()
    rows = (
        packs.filter(status__in=IN_CIRCULATION)
        .values("location_id", "location__name")
        .annotate(
            in_transit=Count("id", filter=Q(status=PackStatus.ISSUED)),
            sterile=Count("id", filter=Q(status=PackStatus.RECEIVED)),
            used=Count("id", filter=Q(status=PackStatus.USED)),
            expired=Count("id", filter=Q(status=PackStatus.RECEIVED, expires_at__lte=now)),
            recalled=Count("id", filter=Q(recalled=True)),
            total=Count("id"),
        )
        .order_by("location__name")
    )
    return list(rows)


def expiring(packs: QuerySet[Pack], *, within_days: int = 3) -> QuerySet[Pack]:
    """Sterile packs (in store or at a branch) expired or expiring within ``within_days``."""
    until = timezone.now() + datetime.timedelta(days=within_days)
    return (
        packs.filter(status__in=(PackStatus.STORED, PackStatus.RECEIVED), expires_at__lte=until)
        .select_related("instrument_set", "location")
        .order_by("expires_at")
    )
