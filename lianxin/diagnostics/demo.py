"""Synthetic exam orders for the demo county and the diagnostics benchmarks.

Fixture generation of a synthetic world, not user activity: rows are made in memory and written
with ``bulk_create`` in batches, without the actions (one transaction and audit row per step
would take hours for a benchmark's 500,000 exams). What the actions would write holds by
construction:

- each order moves only along its workflow (create → perform → claim → report, or cancel), one
  ``ExamOrderTransition`` per move with the side and version the engine would record; due times
  come from ``ExamOrder.workflow``; accession numbers are unique per modality and day and the
  day counters are left where the next live order continues;
- a completed order has one signed report (a few have an amendment as version 2), signed by an
  attending-or-above reader; lab values carry the catalogue's unit and the critical flag that
  ``rules.critical_limit`` gives for the patient;
- a critical value or finding is a ``CriticalResult`` with its history (create, escalations
  when acknowledged late, acknowledge with the value read back);
- open orders give the centre a care relationship to the patient, as ``open_care`` would;
- recognition decisions point at signed reports within the rule's validity window.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from lianxin.core.workflow import Side, Status
from lianxin.diagnostics.catalogue import sync_catalogue
from lianxin.diagnostics.models import (
    AccessionCounter,
    CriticalResult,
    CriticalResultTransition,
    Decision,
    ExamItem,
    ExamOrder,
    ExamOrderTransition,
    Recognition,
    RecognitionRule,
    Report,
    ResultValue,
)
from lianxin.diagnostics.rules import (
    ANALYTES,
    CRITICAL_FINDINGS,
    EXAMS,
    PRIORITY_RANK,
    Priority,
    RetestReason,
    critical_limit,
)
from lianxin.patients.models import CareRelationship

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
YEAR = datetime.timedelta(days=365)

# Exam mix (share of all orders per item; demo choices after a county's typical workload).
EXAM_WEIGHTS = {
    "DR-CHEST": 14,
    "CT-CHEST": 10,
    "CT-HEAD": 6,
    "US-ABD": 12,
    "ECG-12": 18,
    "CBC": 16,
    "LFT": 8,
    "ELEC": 6,
    "GLU": 4,
    "TNI": 2,
    "BIOPSY": 3,
    "FROZEN": 1,
}
PRIORITY_WEIGHTS = ((Priority.ROUTINE, 80), (Priority.URGENT, 15), (Priority.STAT, 5))
SHARE_CANCELLED = 0.02
SHARE_OVERFLOW = 0.02
SHARE_AMENDED = 0.01
SHARE_IMAGING_CRITICAL = 0.01
SHARE_VIEWED = 0.9
SHARE_RECOGNITION = 0.06  # decisions on a recognisable prior result, per completed order
SHARE_RECOGNISED = 0.7
# Typical values (mean, sd) per analyte: most are normal, the tails give critical values.
TYPICAL = {
    "WBC": (6.5, 3.0),
    "HGB": (130, 22),
    "PLT": (220, 70),
    "ALT": (28, 20),
    "AST": (26, 15),
    "TBIL": (12, 8),
    "K": (4.2, 0.6),
    "NA": (140, 5),
    "GLU": (6.0, 2.5),
    "CTNI": (0.05, 0.2),
}
BATCH = 5_000


@dataclass
class Setting:
    """Where the exams happen: the sites, their patients, the centres and who reads."""

    sites: list[Any]  # institutions that order
    patients_by_site: dict[int, list[tuple[int, str, datetime.date]]]  # pk, sex, birth date
    centres: dict[str, Any]  # centre type → Department (shared centre)
    readers: dict[str, list[int]]  # centre type → user ids of attending-or-above readers
    doctors: dict[int, list[int]]  # site pk → ordering doctor user ids
    tertiary: Any = None
    tertiary_department: Any = None
    now: datetime.datetime = field(default_factory=timezone.now)
    # Village clinics with a networked ECG cart: they send ECGs only, read at the ECG centre.
    ecg_sites: list[Any] = field(default_factory=list)


@dataclass
class Written:
    orders: int = 0
    reports: int = 0
    values: int = 0
    critical: int = 0
    recognitions: int = 0

    def add(self, other: Written) -> None:
        for name in ("orders", "reports", "values", "critical", "recognitions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _age(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _value(rng: random.Random, analyte: str) -> Decimal:
    mean, sd = TYPICAL[analyte]
    raw = max(rng.gauss(mean, sd), 0.01 if mean < 1 else 0.1)
    places = 2 if mean < 10 else 1
    return Decimal(str(round(raw, places)))


class Generator:
    """Writes exam orders and everything they imply, in batches."""

    def __init__(self, setting: Setting, rng: random.Random) -> None:
        sync_catalogue()
        self.s = setting
        self.rng = rng
        # When set, every exam is performed by now and then waits for a reader: the recent
        # exams that give the demo's reading worklist its work.
        self.hold_for_reading = False
        self.exams = {e.code: e for e in ExamItem.objects.all()}
        self.specs = {e.code: e for e in EXAMS}
        self.rules = {r.exam_id: r for r in RecognitionRule.objects.filter(is_active=True)}
        self.codes = [c for c in EXAM_WEIGHTS if self.specs[c].centre_type in setting.centres]
        self.counters: Counter[tuple[str, datetime.date]] = Counter(
            {
                (c.prefix, c.day): c.last
                for c in AccessionCounter.objects.all().only("prefix", "day", "last")
            }
        )
        self.sites = [site for site in setting.sites if setting.patients_by_site.get(site.pk)]

    def _accession(self, modality: str, at: datetime.datetime) -> str:
        day = timezone.localdate(at)
        self.counters[(modality, day)] += 1
        return f"{modality}{day:%y%m%d}{self.counters[(modality, day)]:04d}"

    def write(
        self,
        count: int,
        *,
        start: datetime.datetime | None = None,
        sites: Sequence[Any] | None = None,
        centre_type: str | None = None,
    ) -> Written:
        """``count`` exams from ``start`` (a year ago) to now, at the ordering sites or at
        ``sites``, of every centre type or of ``centre_type`` only."""
        codes = self.codes
        if centre_type is not None:
            codes = [c for c in codes if self.specs[c].centre_type == centre_type]
        weights = [EXAM_WEIGHTS[c] for c in codes]
        sites = [s for s in sites if self.s.patients_by_site.get(s.pk)] if sites else self.sites
        written = Written()
        done = 0
        while done < count and codes and sites:
            n = min(BATCH, count - done)
            written.add(self._batch(n, start or self.s.now - YEAR, sites, codes, weights))
            done += n
        self._save_counters()
        return written

    def _save_counters(self) -> None:
        existing = {(c.prefix, c.day): c for c in AccessionCounter.objects.all()}
        new, changed = [], []
        for (prefix, day), last in self.counters.items():
            row = existing.get((prefix, day))
            if row is None:
                new.append(AccessionCounter(prefix=prefix, day=day, last=last))
            elif row.last < last:
                row.last = last
                changed.append(row)
        AccessionCounter.objects.bulk_create(new, batch_size=BATCH)
        AccessionCounter.objects.bulk_update(changed, ["last"], batch_size=BATCH)

    def _batch(self, n: int, start: datetime.datetime, sites, codes, weights) -> Written:
        rng, s = self.rng, self.s
        span = (s.now - start).total_seconds()
        orders, plans = [], []
        for _ in range(n):
            site = rng.choice(sites)
            pk, sex, birth = rng.choice(s.patients_by_site[site.pk])
            code = rng.choices(codes, weights)[0]
            spec, exam = self.specs[code], self.exams[code]
            priority = rng.choices(*zip(*PRIORITY_WEIGHTS, strict=True))[0]
            if spec.urgent and priority == Priority.ROUTINE:
                priority = Priority.URGENT
            created = start + datetime.timedelta(seconds=rng.random() * span)
            centre = s.centres[spec.centre_type]
            doctors = s.doctors.get(site.pk) or [None]
            order = ExamOrder(
                external_id=_uuid(rng),
                patient_id=pk,
                exam=exam,
                accession_number=self._accession(spec.modality, created),
                priority=priority,
                priority_rank=PRIORITY_RANK[priority],
                centre_type=spec.centre_type,
                centre=centre,
                centre_institution_id=centre.institution_id,
                requester_institution=site,
                requester_id=rng.choice(doctors),
                performer_institution_id=centre.institution_id,
                performer_department=centre,
                created_at=created,
                updated_at=created,
                version=1,
            )
            orders.append(order)
            plans.append((order, spec, sex, birth))
        steps, reports, criticals = [], [], []
        for order, spec, sex, birth in plans:
            self._live(order, spec, steps, reports, criticals, sex, birth)
        with _historical(ExamOrder, Report, ResultValue, CriticalResult, Recognition):
            ExamOrder.objects.bulk_create(orders, batch_size=BATCH)
            ExamOrderTransition.objects.bulk_create(
                [ExamOrderTransition(item=o, **row) for o, row in steps], batch_size=BATCH
            )
            Report.objects.bulk_create([r for r, _v in reports], batch_size=BATCH)
            values = [v for _r, vs in reports for v in vs]
            ResultValue.objects.bulk_create(values, batch_size=BATCH)
            results, history = [], []
            for order, result, rows in criticals:
                result.order = order
                results.append(result)
                history += [(result, row) for row in rows]
            CriticalResult.objects.bulk_create(results, batch_size=BATCH)
            CriticalResultTransition.objects.bulk_create(
                [CriticalResultTransition(item=r, **row) for r, row in history], batch_size=BATCH
            )
            care = [
                CareRelationship(
                    patient_id=o.patient_id,
                    institution_id=o.performer_institution_id,
                    reason=f"Exam {o.accession_number}",
                    source_type="diagnostics.examorder",
                    source_id=str(o.external_id),
                    starts_at=o.created_at,
                )
                for o in orders
                if o.status not in {Status.COMPLETED, Status.CANCELLED}
                and o.performer_institution_id != o.requester_institution_id
            ]
            CareRelationship.objects.bulk_create(care, batch_size=BATCH)
            recognitions = self._recognitions([r for r, _v in reports])
            Recognition.objects.bulk_create(recognitions, batch_size=BATCH)
        return Written(len(orders), len(reports), len(values), len(results), len(recognitions))

    def _step(self, steps, order, name, to, at, side, institution, actor=None, frm=None, bs=""):
        order.version += 1 if name != "create" else 0
        steps.append(
            (
                order,
                {
                    "from_status": frm if frm is not None else order.status,
                    "to_status": to,
                    "business_status": bs,
                    "name": name,
                    "actor_id": actor,
                    "acting_institution_id": institution,
                    "side": side,
                    "at": at,
                    "version": order.version,
                },
            )
        )
        order.status, order.business_status, order.status_changed_at = to, bs, at
        order.updated_at = at

    def _live(self, order, spec, steps, reports, criticals, sex, birth) -> None:
        """Move the order as far as its age allows, recording each step."""
        rng, s = self.rng, self.s
        req, perf = order.requester_institution_id, order.performer_institution_id
        order.status = ""
        self._step(
            steps,
            order,
            "create",
            Status.REQUESTED,
            order.created_at,
            Side.REQUESTER,
            req,
            order.requester_id,
            frm="",
            bs="ordered",
        )
        fast = order.priority != Priority.ROUTINE
        performed = order.created_at + MINUTE * rng.randint(5, 90 if fast else 60 * 48)
        if self.hold_for_reading:
            # Performed within the hour after the order (never after now), so the waiting
            # studies spread over the last hours instead of all ending at the build's minute.
            soon = order.created_at + MINUTE * rng.randint(5, 60)
            performed = max(min(soon, s.now - MINUTE), order.created_at)
        if rng.random() < SHARE_CANCELLED:
            at = min(performed, s.now)
            self._step(
                steps,
                order,
                "cancel",
                Status.CANCELLED,
                at,
                Side.REQUESTER,
                req,
                order.requester_id,
            )
            return self._due(order)
        if performed > s.now:
            return self._due(order)
        order.performed_at = performed
        order.image_count = (
            rng.randint(30, 400)
            if spec.modality in {"CT"}
            else (rng.randint(1, 4) if spec.modality in {"DR", "US"} else 0)
        )
        self._step(
            steps,
            order,
            "perform",
            Status.IN_PROGRESS,
            performed,
            Side.PERFORMER,
            perf,
            bs="performed",
        )
        if self.hold_for_reading:
            return self._due(order)
        reader = rng.choice(s.readers[spec.centre_type])
        if (
            rng.random() < SHARE_OVERFLOW
            and s.tertiary is not None
            and spec.centre_type == "imaging"
        ):
            at = performed + HOUR * 25
            if at > s.now:
                return self._due(order)
            order.performer_institution_id = perf = s.tertiary.pk
            order.performer_department = s.tertiary_department
            order.overflowed_at = at
            self._step(
                steps,
                order,
                "overflow",
                Status.IN_PROGRESS,
                at,
                Side.PERFORMER,
                order.centre_institution_id,
                bs="overflowed",
            )
            reader = rng.choice(s.readers.get("tertiary") or s.readers[spec.centre_type])
            performed = at
        claimed = performed + MINUTE * rng.randint(2, 30 if fast else 600)
        if claimed > s.now:
            return self._due(order)
        order.owner_id, order.claimed_at = reader, claimed
        self._step(
            steps,
            order,
            "claim",
            Status.IN_PROGRESS,
            claimed,
            Side.PERFORMER,
            perf,
            reader,
            bs="reading",
        )
        signed = claimed + MINUTE * rng.randint(3, 40 if fast else 240)
        if signed > s.now:
            return self._due(order)
        order.signed_at = signed
        self._step(
            steps,
            order,
            "report",
            Status.COMPLETED,
            signed,
            Side.PERFORMER,
            perf,
            reader,
            bs="reported",
        )
        order.due_at = None
        if rng.random() < SHARE_VIEWED:
            viewed = signed + MINUTE * rng.randint(10, 60 * 72)
            order.viewed_at = viewed if viewed < s.now else None
        report, values = self._report(order, spec, reader, signed, sex, birth)
        reports.append((report, values))
        critical = [v for v in values if v.flag == "C"]
        finding = ""
        flagged = spec.centre_type in {"imaging", "ecg", "pathology"}
        if not critical and flagged and rng.random() < SHARE_IMAGING_CRITICAL:
            finding = rng.choice(CRITICAL_FINDINGS[spec.centre_type])
        if critical or finding:
            order.has_critical = True
            criticals.append(self._critical(order, critical[0] if critical else None, finding))
        if rng.random() < SHARE_AMENDED:
            amended = Report(
                external_id=_uuid(rng),
                order=order,
                version=2,
                status="signed",
                findings=report.findings,
                impression=report.impression + "（补充）",
                author_id=reader,
                signed_by_id=reader,
                signed_at=signed + HOUR * 3,
                amendment_reason="补充描述",
                created_at=signed + HOUR * 3,
                updated_at=signed + HOUR * 3,
            )
            if amended.signed_at < s.now:
                reports.append((amended, []))

    def _due(self, order) -> None:
        order.due_at = ExamOrder.workflow.due_at(order, order.status, order.status_changed_at)

    def _report(self, order, spec, reader, signed, sex, birth):
        rng = self.rng
        report = Report(
            external_id=_uuid(rng),
            order=order,
            version=1,
            status="signed",
            findings={"所见": f"{spec.name}检查所见"},
            impression="未见明显异常",
            author_id=reader,
            signed_by_id=reader,
            signed_at=signed,
            created_at=signed,
            updated_at=signed,
        )
        values = []
        age = _age(birth, timezone.localdate(signed))
        for analyte in spec.analytes:
            value = _value(rng, analyte)
            limit = critical_limit(analyte, age, sex)
            flag = ""
            if limit is not None and (
                (limit.low is not None and value < limit.low)
                or (limit.high is not None and value > limit.high)
            ):
                flag = "C"
                report.impression = f"{ANALYTES[analyte].name}危急值"
            values.append(
                ResultValue(
                    external_id=_uuid(rng),
                    report=report,
                    analyte=analyte,
                    value=value,
                    unit=ANALYTES[analyte].unit,
                    flag=flag,
                    created_at=signed,
                    updated_at=signed,
                )
            )
        return report, values

    def _critical(self, order, value, finding):
        rng, s = self.rng, self.s
        found = order.signed_at
        result = CriticalResult(
            external_id=_uuid(rng),
            patient_id=order.patient_id,
            requester_institution_id=order.requester_institution_id,
            performer_institution_id=order.performer_institution_id,
            performer_department=order.performer_department,
            requester_id=order.requester_id,
            analyte=value.analyte if value else "",
            finding=ANALYTES[value.analyte].name if value else finding,
            value=format(value.value, "f") if value else "",
            unit=value.unit if value else "",
            source="",
            found_at=found,
            notified_at=found,
            status=Status.REQUESTED,
            business_status="notified",
            version=1,
            status_changed_at=found,
            created_at=found,
            updated_at=found,
        )
        rows = [
            {
                "from_status": "",
                "to_status": "requested",
                "business_status": "notified",
                "name": "create",
                "actor_id": order.owner_id,
                "side": Side.PERFORMER,
                "acting_institution_id": order.performer_institution_id,
                "at": found,
                "version": 1,
            }
        ]
        late = rng.random() < 0.1
        ack = found + MINUTE * (rng.randint(11, 30) if late else rng.randint(1, 9))
        step = CriticalResult.workflow.due_period(result, Status.REQUESTED)
        level = 0
        while late and found + step * (level + 1) < min(ack, s.now) and level < 2:
            level += 1
            rows.append(
                {
                    "from_status": "requested",
                    "to_status": "requested",
                    "business_status": "notified",
                    "name": "escalate",
                    "side": Side.SYSTEM,
                    "at": found + step * level,
                    "version": 1,
                    "escalation_level": level,
                }
            )
        result.escalation_level = level
        if ack < s.now:
            result.status, result.business_status = Status.COMPLETED, "acknowledged"
            result.acknowledged_at, result.acknowledged_by_id = ack, order.requester_id
            result.read_back = f"{result.finding} {result.value} {result.unit}".strip()
            result.version, result.status_changed_at, result.updated_at = 2, ack, ack
            rows.append(
                {
                    "from_status": "requested",
                    "to_status": "completed",
                    "business_status": "acknowledged",
                    "name": "acknowledge",
                    "actor_id": order.requester_id,
                    "side": Side.REQUESTER,
                    "acting_institution_id": order.requester_institution_id,
                    "at": ack,
                    "version": 2,
                }
            )
        else:
            result.due_at = found + step * (level + 1)
        return order, result, rows

    def _recognitions(self, reports: Sequence[Report]) -> list[Recognition]:
        rng, s = self.rng, self.s
        out = []
        for report in reports:
            order = report.order
            rule = self.rules.get(order.exam_id)
            if report.version != 1 or rule is None or rng.random() >= SHARE_RECOGNITION:
                continue
            at = report.signed_at + DAY * rng.uniform(0.2, rule.validity_days * 0.9)
            if at > s.now:
                continue
            site = rng.choice(self.sites)
            doctor = rng.choice(s.doctors.get(site.pk) or [None])
            if doctor is None:
                continue
            recognised = rng.random() < SHARE_RECOGNISED
            reason = (
                ""
                if recognised
                else rng.choice([r for r in RetestReason.values if r != RetestReason.OTHER])
            )
            out.append(
                Recognition(
                    external_id=_uuid(rng),
                    patient_id=order.patient_id,
                    exam_id=order.exam_id,
                    prior_report=report,
                    decision=Decision.RECOGNISED if recognised else Decision.DECLINED,
                    reason=reason,
                    avoided_cost=order.exam.price if recognised else 0,
                    doctor_id=doctor,
                    institution=site,
                    created_at=at,
                    updated_at=at,
                )
            )
        return out


class _historical:
    """Keep the ``created_at`` / ``updated_at`` set on the rows (a year back) in bulk_create."""

    def __init__(self, *models) -> None:
        self.models = models
        self.saved: list = []

    def __enter__(self):
        for model in self.models:
            for f in model._meta.concrete_fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    self.saved.append((f, f.auto_now, f.auto_now_add))
                    f.auto_now = f.auto_now_add = False

    def __exit__(self, *exc):
        for f, auto_now, auto_now_add in self.saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def patients_by_site(site_ids: Sequence[int]) -> dict[int, list[tuple[int, str, datetime.date]]]:
    from lianxin.patients.models import PatientIdentifier

    out: dict[int, list] = defaultdict(list)
    rows = PatientIdentifier.objects.filter(institution_id__in=site_ids).values_list(
        "institution_id", "patient_id", "patient__sex", "patient__birth_date"
    )
    for institution, patient, sex, birth in rows.iterator(chunk_size=20_000):
        out[institution].append((patient, sex, birth))
    return out


def last_order_time() -> datetime.datetime | None:
    return ExamOrder.objects.aggregate(m=Max("created_at"))["m"]
