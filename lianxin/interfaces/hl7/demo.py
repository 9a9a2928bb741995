"""Demo step "hl7-results": laboratory results that arrived from the county laboratory's LIS.

The demo county's laboratory centre gets a laboratory system registered as an HL7 peer (MSH-3
``LIS``, MSH-4 ``COUNTYLAB``); for some of the laboratory orders the diagnostics step left open,
the LIS "sends" ORU^R01 messages, and each goes through the listener's own inbound handling
(``inbound.handle_text``), so the transaction log, the report versions and the values are what
the listener writes. One order gets a preliminary result and then the final one, one a critical
value (which starts a critical result), the others a final result. The listener itself is
started by ``lianxin demo``.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lianxin.core.models import User
from lianxin.core.workflow import OPEN_STATUSES
from lianxin.demo.registry import register_step
from lianxin.diagnostics.demo import TYPICAL
from lianxin.diagnostics.models import ExamOrder
from lianxin.diagnostics.rules import ANALYTES, EXAMS
from lianxin.interfaces.hl7.inbound import handle_text
from lianxin.interfaces.hl7.mappings import sync_default_mappings
from lianxin.interfaces.hl7.samples import oru
from lianxin.interfaces.models import Hl7Peer

STEP_ORDER = 126  # after "diagnostics" (120) and "specimens" (125)
SEED_OFFSET = 126
MINUTE = datetime.timedelta(minutes=1)
ORDERS = 6
SENDER = ("LIS", "COUNTYLAB")
# Reference ranges the LIS prints (adult), for OBX-7.
REFERENCE = {
    "WBC": "3.5-9.5",
    "HGB": "130-175",
    "PLT": "125-350",
    "ALT": "9-50",
    "AST": "15-40",
    "TBIL": "0-21",
    "K": "3.5-5.3",
    "NA": "137-147",
    "GLU": "3.9-6.1",
    "CTNI": "0-0.04",
}
# A value beyond the critical-value table for the demo's critical result, per analyte.
CRITICAL = {"K": "6.9", "NA": "118", "GLU": "25.3", "WBC": "1.4", "PLT": "18", "CTNI": "2.3"}


def _flag(analyte: str, value: Decimal) -> str:
    low, high = (Decimal(x) for x in REFERENCE[analyte].split("-"))
    return "L" if value < low else ("H" if value > high else "N")


def _observations(rng, analytes, status: str, critical: str | None = None):
    rows = []
    for analyte in analytes:
        mean, sd = TYPICAL[analyte]
        places = 2 if mean < 10 else 1
        value = Decimal(str(round(max(rng.gauss(mean, sd / 3), 0.01), places)))
        flags = _flag(analyte, value)
        if analyte == critical:
            value = Decimal(CRITICAL[analyte])
            flags = "LL" if _flag(analyte, value) == "L" else "HH"
        spec = ANALYTES[analyte]
        # The unit as UCUM writes it (10*9/L): "^" separates components in HL7.
        unit = spec.unit.replace("^", "*")
        rows.append((spec.loinc, str(value), unit, REFERENCE[analyte], flags, status))
    return tuple(rows)


def _peer(county: Any) -> Hl7Peer | None:
    hospital = county.county_hospital
    if hospital is None:
        return None
    peer = Hl7Peer.objects.filter(sending_application=SENDER[0], sending_facility=SENDER[1]).first()
    if peer is None:
        user = User(username="hl7-county-lis", display_name=f"{hospital.name}检验中心LIS")
        user.set_unusable_password()
        user.save()
        peer = Hl7Peer.objects.create(
            name=f"{hospital.name}检验中心LIS",
            sending_application=SENDER[0],
            sending_facility=SENDER[1],
            institution=hospital,
            user=user,
        )
    return peer


def _more_orders(county: Any, count: int, now, rng) -> list[ExamOrder]:
    """Laboratory orders placed now by the demo's township doctor, where the open ones the
    diagnostics step left are too few."""
    from django.core.exceptions import ValidationError

    from lianxin.core.errors import ActionError
    from lianxin.diagnostics.actions import do_order_exam
    from lianxin.diagnostics.models import ExamItem
    from lianxin.patients.models import Patient

    doctor, _role, _site = county.accounts.get("township", (None, None, None))
    if doctor is None or count <= 0:
        return []
    exams = list(ExamItem.objects.filter(code__in=["ELEC", "CBC", "GLU", "LFT"]).order_by("code"))
    patients = list(Patient.objects.visible_to(doctor).order_by("id")[: 20 * count])
    rng.shuffle(patients)
    made = []
    for patient in patients:
        if len(made) == count:
            break
        try:
            made.append(
                do_order_exam(
                    actor=doctor,
                    patient=patient,
                    exam=exams[len(made) % len(exams)],
                    clinical_question="门诊复查",
                    now=now - (len(made) + 2) * 25 * MINUTE,
                )
            )
        except (ValidationError, ActionError):
            continue  # a recent result that should be recognised: another patient
    return made


def build_hl7_results(county: Any) -> int:
    """Send the demo's ORU^R01 messages through the inbound handling; returns how many."""
    from lianxin.referrals.demo import anchor_time

    peer = _peer(county)
    if peer is None:
        return 0
    sync_default_mappings()
    now = anchor_time(county.options.today)
    rng = random.Random(county.options.seed + SEED_OFFSET)
    analytes = {e.code: e.analytes for e in EXAMS if e.analytes}
    orders = list(
        ExamOrder.objects.filter(
            centre_type="laboratory",
            status__in=OPEN_STATUSES,
            performer_institution_id=peer.institution_id,
            exam__code__in=list(analytes),
        )
        .select_related("patient", "exam")
        .order_by("-created_at", "-id")[:ORDERS]
    )
    orders += _more_orders(county, ORDERS - len(orders), now, rng)
    orders = list(
        ExamOrder.objects.filter(pk__in=[o.pk for o in orders])
        .select_related("patient", "exam")
        .order_by("created_at", "id")
    )
    # The critical value goes to another order than the preliminary-then-final one if it can.
    can_be_critical = [
        n for n, o in enumerate(orders) if set(analytes[o.exam.code]) & set(CRITICAL)
    ]
    critical_at = next((n for n in can_be_critical if n > 0), None)
    critical_at = critical_at if critical_at is not None else next(iter(can_be_critical), None)
    sent = 0
    for n, order in enumerate(orders):
        codes = analytes[order.exam.code]
        patient = order.patient
        name = f"{patient.name[:1]}^{patient.name[1:]}"
        sex = {"1": "M", "2": "F"}.get(patient.sex, "U")
        person = (patient.external_id.hex[:20], name, f"{patient.birth_date:%Y%m%d}", sex)
        # Results come back about 40 minutes after the order, never after "now".
        received = min(order.created_at + 40 * MINUTE, now - 20 * MINUTE)
        received = min(max(received, (order.performed_at or order.created_at) + MINUTE), now)
        critical = None
        if n == critical_at:
            critical = next(a for a in codes if a in CRITICAL)
        first = _observations(rng, codes, "P" if n == 0 else "F", critical)
        # The first order: a preliminary result, then the same values as final 20 minutes on.
        batches = [first, tuple((*v[:5], "F") for v in first)] if n == 0 else [first]
        for k, values in enumerate(batches):
            moment = min(received + k * 20 * MINUTE, now)
            status = values[0][5]
            message = oru(
                f"LIS{timezone.localtime(moment):%y%m%d}{n:03d}{status}",
                order.accession_number,
                values,
                sender=SENDER,
                filler=f"JY{order.pk:08d}",
                patient=person,
                service=f"{order.exam.code}^{order.exam.name}^L",
                at=f"{timezone.localtime(moment):%Y%m%d%H%M%S}",
            )
            result = handle_text(message, now=moment)
            sent += result.outcome == "AA"
    return sent


register_step("hl7-results", build_hl7_results, order=STEP_ORDER)
