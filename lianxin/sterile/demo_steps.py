"""Demo step "sterile": a year of the county community's sterile supply centre (医共体消毒供应中心
at the county hospital).

The centre's two pre-vacuum sterilisers are the county hospital's registered equipment; two
washer-disinfectors are registered beside them. The catalogue has eight sets (one an orthopaedic
implant set). Packs belong to the county hospital's theatres and to the townships with an
operating room or a delivery room; each goes round collection → cleaning → packing → sterilisation
→ store → issue → receipt → use on a resident of its branch → collection, every few days.

The history is generated in bulk (it is a replay of what the scans wrote) and holds by
construction: a passing Bowie-Dick test every morning on each steriliser before its first load,
the week's first load on each carries a biological indicator (negative, read the next day), the
implant set runs in loads of its own that are released only on their negative BI, packing is
checked by the centre's second person. One load, last week's Monday, has a positive BI: its
recall is opened by the real action when the BI is read, finds the packs of every load since the
last pass and the patients they were used on, and is still open: the held packs are where the
recall found them (quarantined in store, in transit, unused at a branch) until the branches
return them. The steriliser then takes no packs until three empty loads pass their BI.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils import timezone

from lianxin.demo.registry import register_step
from lianxin.network.models import Capability, Equipment, EquipmentStatusChange
from lianxin.sterile.actions import do_open_recall
from lianxin.sterile.models import (
    BiResult,
    BowieDickTest,
    InstrumentSet,
    LoadStatus,
    Machine,
    Pack,
    PackEvent,
    SetItem,
    SterilisationLoad,
    WasherLoad,
)
from lianxin.sterile.rules import (
    PASSES_AFTER_BI_FAILURE,
    MachineKind,
    Method,
    Packaging,
    PackStatus,
    RecallReason,
    Step,
    shelf_life_days,
)
from lianxin.workforce.models import Practitioner

STEP_ORDER = 160
DAYS = 365
SLOTS = (9, 14)  # load start hours on each steriliser
# Implant sets run in loads of their own (at 11, on the last steriliser): such a load waits for its
# BI, the others do not.
IMPLANT_SLOTS = (11,)
USED_SHARE = 0.85  # packs used at the branch; the rest come back unused
SETS = (
    (
        "QXFH",
        "清创缝合包",
        Packaging.NONWOVEN,
        False,
        [("持针器", 1), ("组织镊", 2), ("线剪", 1), ("弯盘", 1)],
    ),
    ("HYB", "换药包", Packaging.PAPER_PLASTIC, False, [("镊子", 2), ("弯盘", 1), ("治疗碗", 1)]),
    (
        "CB",
        "产包",
        Packaging.TEXTILE,
        False,
        [("侧切剪", 1), ("脐带剪", 1), ("止血钳", 2), ("持针器", 1)],
    ),
    ("FJB", "妇检包", Packaging.CREPE, False, [("窥阴器", 1), ("卵圆钳", 1)]),
    (
        "LWGB",
        "阑尾切除包",
        Packaging.NONWOVEN,
        False,
        [("手术刀柄", 1), ("组织剪", 1), ("止血钳", 8), ("拉钩", 2)],
    ),
    (
        "QGB",
        "气管切开包",
        Packaging.NONWOVEN,
        False,
        [("气管撑开钳", 1), ("拉钩", 2), ("止血钳", 4)],
    ),
    ("XKB", "小儿静脉切开包", Packaging.PAPER_PLASTIC, False, [("眼科剪", 1), ("蚊式钳", 2)]),
    (
        "GKNG",
        "骨科内固定植入包",
        Packaging.RIGID,
        True,
        [("锁定接骨板", 1), ("皮质骨螺钉", 8), ("螺丝刀", 1)],
    ),
)
PROCEDURES = {
    "QXFH": "清创缝合术",
    "HYB": "伤口换药",
    "CB": "自然分娩接生",
    "FJB": "妇科检查",
    "LWGB": "阑尾切除术",
    "QGB": "气管切开术",
    "XKB": "静脉切开术",
    "GKNG": "骨折切开复位内固定术",
}


def _aware(day: datetime.date, hour: float) -> datetime.datetime:
    base = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    return base + datetime.timedelta(hours=hour)


def _machines(county: Any, centre, operator) -> tuple[list[Machine], list[Machine]]:
    hospital = county.county_hospital
    sterilisers = list(
        Equipment.objects.filter(department=centre, capability__code="sterile_supply")
    )
    capability = Capability.objects.get(code="sterile_supply")
    since = _aware(county.options.today - datetime.timedelta(days=DAYS + 30), 8)
    washers = []
    for n in (1, 2):
        equipment = Equipment.objects.create(
            institution=hospital,
            department=centre,
            capability=capability,
            name=f"{n}号全自动清洗消毒器",
            model_name="全自动清洗消毒器",
        )
        EquipmentStatusChange.objects.create(
            equipment=equipment, status=equipment.status, changed_at=since, note="demo"
        )
        washers.append(equipment)
    out_s = [
        Machine.objects.create(
            centre=centre,
            equipment=e,
            kind=MachineKind.STERILISER,
            method=Method.PRE_VACUUM_STEAM,
            name=f"{n}号脉动真空灭菌器",
        )
        for n, e in enumerate(sterilisers, 1)
    ]
    out_w = [
        Machine.objects.create(
            centre=centre, equipment=e, kind=MachineKind.WASHER, method=Method.THERMAL, name=e.name
        )
        for e in washers
    ]
    return out_s, out_w


@register_step("sterile", order=STEP_ORDER)
def build_sterile(county: Any) -> None:
    from lianxin.diagnostics.demo import patients_by_site

    hospital = county.county_hospital
    centre = county.departments.get((hospital.pk, "XDGY"))
    if centre is None or "cssd" not in county.accounts:
        return
    operator = county.accounts["cssd"][0]
    rng = random.Random(county.options.seed + 160)
    sterilisers, washers = _machines(county, centre, operator)
    if not sterilisers:
        return
    sets = {}
    for code, name, packaging, implant, items in SETS:
        s = InstrumentSet.objects.create(
            centre=centre, code=code, name=name, packaging=packaging, is_implant=implant
        )
        SetItem.objects.bulk_create(SetItem(instrument_set=s, name=n, count=c) for n, c in items)
        sets[code] = s
    branches = [hospital] + [county.townships[i] for i in (0, 2, 5, 8) if i < len(county.townships)]
    plan: list[tuple[Any, str]] = []
    for branch in branches:
        codes = ["QXFH", "HYB", "FJB", "CB"] if branch != hospital else list(sets)
        per = 2 if branch != hospital else 3
        plan += [(branch, code) for code in codes for _ in range(per)]
    packs = Pack.objects.bulk_create(
        Pack(
            barcode=f"XD{index + 1:06d}",
            instrument_set=sets[code],
            centre=centre,
            home=branch,
            location=hospital,
            status=PackStatus.COLLECTED,
            cycle=1,
            packaging=sets[code].packaging,
        )
        for index, (branch, code) in enumerate(plan)
    )
    patients = patients_by_site([b.pk for b in branches])
    surgeons = defaultdict(list)
    for pk, inst in Practitioner.objects.filter(
        institution__in=branches, profession="physician"
    ).values_list("pk", "institution_id"):
        surgeons[inst].append(pk)
    # Packing is checked by a second person of the centre (the checker is never the packer);
    # the demo township's nurse receives and uses its packs.
    checker = county.accounts.get("cssd2", (operator,))[0]
    nurse = county.accounts.get("nurse")
    branch_staff = {nurse[2].pk: nurse[0]} if nurse else {}
    people = (operator, checker, branch_staff)
    _history(county, rng, centre, people, sterilisers, washers, packs, patients, surgeons)


def _history(county, rng, centre, people, sterilisers, washers, packs, patients, surgeons):
    """Each pack's cycles from a year ago until now, as unsaved rows."""
    operator, checker, branch_staff = people
    today = county.options.today
    now = timezone.now()
    hospital_id = county.county_hospital.pk
    # Last week's Monday: the weekly BI.
    failing_day = today - datetime.timedelta(days=today.weekday() + 7)
    # Steriliser 1's first load that Monday fails its BI, read a day later: the recall opens
    # then and holds the packs of its loads since the previous week's BI where they are (in
    # store, in transit, unused at a branch); it is still open, waiting for the branches'
    # returns. The steriliser is out of use until three empty loads pass their BI.
    recall_at = _aware(failing_day, SLOTS[0] + 24)
    scope_start = _aware(failing_day - datetime.timedelta(days=7), SLOTS[0])
    book = _Book(
        centre,
        operator,
        sterilisers,
        washers,
        rng,
        failing=(failing_day, SLOTS[0]),
        out_of_use=(recall_at, recall_at + datetime.timedelta(days=PASSES_AFTER_BI_FAILURE + 1)),
    )
    for n in range(PASSES_AFTER_BI_FAILURE if len(sterilisers) > 1 else 0):
        book.probation_load(recall_at + datetime.timedelta(hours=2 + 24 * n))
    for pack in packs:
        t = _aware(today - datetime.timedelta(days=DAYS), 8 + rng.random() * 48)
        cycle, status = 1, PackStatus.COLLECTED
        implant = pack.instrument_set.is_implant
        branch = pack.home_id

        while True:
            load_at, key = book.slot(t, implant=implant)
            if load_at > now - datetime.timedelta(hours=3):
                break
            load = book.load(key, load_at)
            load.has_implant = load.has_implant or implant
            book.event(
                pack,
                cycle,
                Step.WASH,
                load_at - datetime.timedelta(hours=1.5),
                hospital_id,
                actor=operator,
                washer_key=(key[1], key[2]),
            )
            book.event(
                pack,
                cycle,
                Step.PACK,
                load_at - datetime.timedelta(minutes=40),
                hospital_id,
                actor=operator,
                checker=checker,
            )
            book.event(
                pack, cycle, Step.STERILISE, load_at, hospital_id, actor=operator, load_key=key
            )
            ready = load_at + datetime.timedelta(hours=26 if implant else 1.5)
            held = key[0] == 0 and scope_start < load_at <= recall_at
            if ready > now or (held and ready >= recall_at):  # waiting for its BI, or held
                status, pack.load_key = PackStatus.STERILISING, key
                pack.sterilised_at = pack.expires_at = None
                break
            book.event(pack, cycle, Step.STORE, ready, hospital_id, actor=operator, load_key=key)
            status = PackStatus.STORED
            pack.load_key, pack.sterilised_at = key, load.finished_at
            pack.expires_at = load.finished_at + datetime.timedelta(
                days=shelf_life_days(pack.packaging)
            )
            issue_at = ready + datetime.timedelta(hours=rng.uniform(2, 30))
            if issue_at > now or (held and issue_at >= recall_at):
                break  # in store (a held one is quarantined when the recall opens)
            book.event(pack, cycle, Step.ISSUE, issue_at, branch, actor=operator)
            status = PackStatus.ISSUED
            receive_at = issue_at + datetime.timedelta(hours=1.5)
            if receive_at > now or (held and receive_at >= recall_at):
                break  # in transit
            book.event(
                pack, cycle, Step.RECEIVE, receive_at, branch, actor=branch_staff.get(branch)
            )
            status = PackStatus.RECEIVED
            use_at = receive_at + datetime.timedelta(hours=rng.uniform(3, 96))
            people, doctors = patients.get(branch) or [], surgeons.get(branch) or []
            back = receive_at + datetime.timedelta(days=rng.uniform(3, 6))
            if held and use_at >= recall_at:
                break  # unused at the branch: the recall asks for it back
            if use_at < now and people and doctors and rng.random() < USED_SHARE:
                book.event(
                    pack,
                    cycle,
                    Step.USE,
                    use_at,
                    branch,
                    actor=branch_staff.get(branch),
                    patient_id=rng.choice(people)[0],
                    surgeon_id=rng.choice(doctors),
                    procedure=PROCEDURES[pack.instrument_set.code],
                )
                status = PackStatus.USED
                back = use_at + datetime.timedelta(hours=rng.uniform(4, 30))
            if back > now or (held and back >= recall_at and status != PackStatus.USED):
                break  # a held one unused at the branch: the recall asks for it back
            cycle += 1
            book.event(pack, cycle, Step.COLLECT, back, branch, actor=operator)
            status, t = PackStatus.COLLECTED, back
            pack.load_key = None
        pack.cycle, pack.status = cycle, status
        at_centre = status in (PackStatus.COLLECTED, PackStatus.STERILISING, PackStatus.STORED)
        pack.location_id = hospital_id if at_centre else branch
        if status == PackStatus.COLLECTED:
            pack.sterilised_at = pack.expires_at = None
    book.write(packs, failing_day)


class _Book:
    """The loads, washer runs, B-D tests and events of the generated year."""

    def __init__(
        self, centre, operator, sterilisers, washers, rng, *, failing: tuple, out_of_use: tuple
    ) -> None:
        self.centre, self.operator, self.rng = centre, operator, rng
        self.failing = failing  # (day, hour) of the load whose BI turns positive
        self.out_of_use = out_of_use  # when steriliser 1 takes no packs after the failure
        self.sterilisers, self.washers = sterilisers, washers
        self.loads: dict[tuple, SterilisationLoad] = {}
        self.washer_loads: dict[tuple, WasherLoad] = {}
        self.events: list[tuple] = []

    def event(
        self,
        pack: Pack,
        cycle: int,
        step: str,
        at: datetime.datetime,
        where: int,
        *,
        actor=None,
        checker=None,
        patient_id: int | None = None,
        surgeon_id: int | None = None,
        procedure: str = "",
        load_key: tuple | None = None,
        washer_key: tuple | None = None,
    ) -> None:
        """One event as a row of plain values: a year of them is written in one executemany
        (building 50,000 model instances costs more than the rest of the demo together)."""
        self.events.append(
            (pack.pk, cycle, step, at, getattr(actor, "pk", None), where, washer_key, load_key,
             patient_id, procedure, surgeon_id, getattr(checker, "pk", None))
        )  # fmt: skip

    def slot(self, t: datetime.datetime, *, implant: bool) -> tuple[datetime.datetime, tuple]:
        """The next load slot at least two hours (cleaning, packing) after ``t``; the failing
        slot's packs all go into steriliser 1, so that its load exists whatever the seed."""
        hours = IMPLANT_SLOTS if implant else SLOTS
        day = timezone.localdate(t)
        ready = t + datetime.timedelta(hours=2)
        hour = next((h for h in hours if _aware(day, h) >= ready), None)
        if hour is None:
            day, hour = day + datetime.timedelta(days=1), hours[0]
        machine = self.rng.randrange(len(self.sterilisers))
        if implant:  # the implant loads run on the last steriliser
            machine = len(self.sterilisers) - 1
        elif (day, hour) == self.failing:
            machine = 0
        elif (
            machine == 0
            and len(self.sterilisers) > 1
            and (self.out_of_use[0] < _aware(day, hour) <= self.out_of_use[1])
        ):
            machine = 1
        return _aware(day, hour), (machine, day, hour)

    def probation_load(self, at: datetime.datetime) -> None:
        """An empty load of steriliser 1 with a BI, after its failure (WS 310.3-2016 4.4.1.4)."""
        self.loads[(0, "probation", at)] = SterilisationLoad(
            centre=self.centre,
            machine=self.sterilisers[0],
            cycle_number=0,
            program="PV134",
            status=LoadStatus.RELEASED,
            started_at=at,
            operator=self.operator,
            finished_at=at + datetime.timedelta(minutes=50),
            temperature=134,
            minutes=4,
            pressure_kpa=206,
            physical_ok=True,
            chemical_class=5,
            chemical_ok=True,
            bi_reason="probation",
            bi_result=BiResult.NEGATIVE,
            bi_read_at=at + datetime.timedelta(hours=24),
            bi_read_by=self.operator,
            released_at=at + datetime.timedelta(hours=24),
            released_by=self.operator,
        )

    def load(self, key: tuple, load_at: datetime.datetime) -> SterilisationLoad:
        machine, day, hour = key
        if (day, hour) not in self.washer_loads:
            self.washer_loads[(day, hour)] = WasherLoad(
                centre=self.centre,
                machine=self.washers[hour % 2],
                program="WD90",
                started_at=load_at - datetime.timedelta(hours=1.5),
                temperature=93,
                minutes=5,
                a0=self.rng.randint(2400, 3600),
                passed=True,
                operator=self.operator,
            )
        if key not in self.loads:
            self.loads[key] = SterilisationLoad(
                centre=self.centre,
                machine=self.sterilisers[machine],
                cycle_number=0,
                program="PV134",
                status=LoadStatus.RELEASED,
                started_at=load_at,
                operator=self.operator,
                finished_at=load_at + datetime.timedelta(minutes=50),
                temperature=134,
                minutes=4,
                pressure_kpa=self.rng.choice((205, 206, 207)),
                physical_ok=True,
                chemical_class=5,
                chemical_ok=True,
                released_at=load_at + datetime.timedelta(hours=1),
                released_by=self.operator,
            )
        return self.loads[key]

    def _write_events(self) -> None:
        ops = connection.ops
        table = PackEvent._meta.db_table
        columns = (
            "pack_id, cycle, step, at, actor_id, institution_id, washer_load_id, load_id, "
            "patient_id, procedure, surgeon_id, checker_id, condition, note"
        )
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 14)})"  # noqa: S608
        rows = [
            (pack, cycle, step, ops.adapt_datetimefield_value(at), actor, where,
             self.washer_loads[wk].pk if wk else None, self.loads[lk].pk if lk else None,
             patient, procedure, surgeon, checker, "", "")
            for pack, cycle, step, at, actor, where, wk, lk, patient, procedure, surgeon, checker
            in self.events
        ]  # fmt: skip
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def write(self, packs: list[Pack], failing_day: datetime.date) -> None:
        """Number the loads, give them their BIs (one positive), and write everything."""
        failing_key = (0, failing_day, SLOTS[0])
        now = timezone.now()
        numbers: dict[int, int] = defaultdict(int)
        weeks: set[tuple] = set()
        failed = None
        ordered = sorted(self.loads.values(), key=lambda x: x.started_at)
        for load in ordered:
            machine = self.sterilisers.index(load.machine)
            numbers[machine] += 1
            load.cycle_number = numbers[machine]
            if load.bi_reason == "probation":
                continue
            week = (machine, *timezone.localdate(load.started_at).isocalendar()[:2])
            if week in weeks and not load.has_implant:
                continue
            weeks.add(week)
            load.bi_reason = "implant" if load.has_implant else "weekly"
            load.bi_result = BiResult.NEGATIVE
            load.bi_read_at = load.started_at + datetime.timedelta(hours=24)
            load.bi_read_by = self.operator
            if load.bi_read_at > now:  # still incubating
                load.bi_result, load.bi_read_at, load.bi_read_by = BiResult.PENDING, None, None
                if load.has_implant:
                    load.status, load.released_at, load.released_by = LoadStatus.DONE, None, None
            elif load.has_implant:  # released on its negative BI (WS 310.3-2016 4.4.1.5)
                load.released_at = load.bi_read_at
            first = self.loads.get(failing_key) is load
            if failed is None and first and not load.has_implant:
                failed = load
                load.bi_result, load.status = BiResult.POSITIVE, LoadStatus.FAILED
        SterilisationLoad.objects.bulk_create(ordered, batch_size=2000)
        WasherLoad.objects.bulk_create(self.washer_loads.values(), batch_size=2000)
        days = sorted(
            {(self.sterilisers.index(x.machine), timezone.localdate(x.started_at)) for x in ordered}
        )
        BowieDickTest.objects.bulk_create(
            (
                BowieDickTest(
                    machine=self.sterilisers[m],
                    tested_at=_aware(day, 7.5),
                    passed=True,
                    operator=self.operator,
                )
                for m, day in days
            ),
            batch_size=2000,
        )
        self._write_events()
        for pack in packs:
            key = getattr(pack, "load_key", None)
            pack.load = self.loads[key] if key else None
        fields = ["cycle", "status", "location", "load", "sterilised_at", "expires_at"]
        Pack.objects.bulk_update(packs, fields, batch_size=2000)
        if failed is not None:
            do_open_recall(
                actor=self.operator,
                reason=RecallReason.BI_POSITIVE,
                load=failed,
                now=failed.bi_read_at,
            )
