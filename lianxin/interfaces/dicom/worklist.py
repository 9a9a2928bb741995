"""Modality Worklist (C-FIND SCP, PS3.4 Annex K): the ordered and scheduled exam orders of the
calling AE's institution, as a modality asks for them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from django.db.models import Prefetch, Q
from django.utils import timezone
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from lianxin.core.workflow import Status
from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.dicom.linking import patient_for_id
from lianxin.interfaces.dicom.rules import DICOM_MODALITIES, EXAM_MODALITY_FOR
from lianxin.interfaces.dicom.values import (
    CHARACTER_SET,
    da,
    da_tm,
    date_range,
    person_name,
    pinyin_name,
    wildcard_regex,
)
from lianxin.network.models import AERole, ApplicationEntity
from lianxin.patients.models import PatientIdentifier

# A worklist answer is for a screen at the console, not an export: a query that matches more is
# answered with the first ones (earliest scheduled first).
MAX_ANSWERS = 500
SCHEDULED = (Status.REQUESTED, Status.ACCEPTED)
SEX = {"M": "M", "F": "F"}
PRIORITY = {"routine": "ROUTINE", "urgent": "HIGH", "emergency": "STAT"}


class BadQuery(ValueError):
    """An identifier the SCP cannot match (answered with 0xA900 or 0xC000)."""


def study_uid_for(order: ExamOrder) -> str:
    """The Study Instance UID the worklist gives an order (PS3.5 B.2, UUID-derived)."""
    return order.study_uid or f"2.25.{order.external_id.int}"


def _key(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def matching_orders(entity: ApplicationEntity, identifier: Dataset) -> Iterator[ExamOrder]:
    inst = entity.institution_id
    orders = ExamOrder.objects.filter(status__in=SCHEDULED).filter(
        Q(requester_institution_id=inst) | Q(centre_institution_id=inst)
    )
    sps = identifier.get("ScheduledProcedureStepSequence")
    step = sps[0] if sps else Dataset()
    modality = _key(step, "Modality").upper()
    if not modality and entity.role == AERole.MODALITY:
        modality = entity.modality
    if modality and modality != "*":
        exam_modality = EXAM_MODALITY_FOR.get(modality)
        if exam_modality is None:
            return iter(())
        orders = orders.filter(exam__modality=exam_modality)
    else:
        orders = orders.filter(exam__modality__in=list(DICOM_MODALITIES))
    station = _key(step, "ScheduledStationAETitle")
    if station and station != "*" and wildcard_regex(station) is None:
        other = ApplicationEntity.objects.filter(ae_title=station, institution_id=inst).first()
        if other is None:
            return iter(())
    try:
        days = date_range(_key(step, "ScheduledProcedureStepStartDate"))
    except ValueError as exc:
        raise BadQuery(str(exc)) from exc
    if days is not None:
        start, end = days
        when = Q()
        if start:
            low = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
            when &= Q(scheduled_at__gte=low) | Q(scheduled_at__isnull=True, created_at__gte=low)
        if end:
            high = timezone.make_aware(
                datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
            )
            when &= Q(scheduled_at__lt=high) | Q(scheduled_at__isnull=True, created_at__lt=high)
        orders = orders.filter(when)
    accession = _key(identifier, "AccessionNumber")
    if accession and accession != "*":
        orders = orders.filter(accession_number=accession)
    patient_id = _key(identifier, "PatientID")
    if patient_id and patient_id != "*":
        patient = patient_for_id(patient_id, entity)
        if patient is None:
            return iter(())
        orders = orders.filter(patient=patient)
    orders = orders.select_related(
        "patient", "exam", "requester", "requester_institution"
    ).prefetch_related(
        Prefetch(
            "patient__identifiers",
            queryset=PatientIdentifier.objects.filter(institution_id=inst),
            to_attr="site_identifiers",
        )
    )
    name = _key(identifier, "PatientName")
    pattern = None
    if name and name != "*":
        regex = wildcard_regex(name.split("=")[0]) or f"^{re.escape(name.split('=')[0])}$"
        pattern = re.compile(regex, re.IGNORECASE)
    orders = orders.order_by("scheduled_at", "created_at", "id")[: MAX_ANSWERS * 2]

    def matches() -> Iterator[ExamOrder]:
        count = 0
        for order in orders:
            if pattern is not None:
                names = (pinyin_name(order.patient.name), order.patient.name)
                if not any(pattern.match(n.replace("^", "")) or pattern.match(n) for n in names):
                    continue
            yield order
            count += 1
            if count >= MAX_ANSWERS:
                return

    return matches()


def patient_id_for(order: ExamOrder) -> str:
    identifiers = getattr(order.patient, "site_identifiers", None) or []
    return identifiers[0].value if identifiers else str(order.patient.external_id)


def answer(order: ExamOrder, identifier: Dataset, entity: ApplicationEntity) -> Dataset:
    """The worklist item of an order, with the attributes the query asked for."""
    patient = order.patient
    when = order.scheduled_at or order.created_at
    day, time = da_tm(when)
    modality = (
        entity.modality
        if EXAM_MODALITY_FOR.get(entity.modality) == order.exam.modality
        else (DICOM_MODALITIES[order.exam.modality][0])
    )
    requester = order.requester
    full = Dataset()
    full.SpecificCharacterSet = CHARACTER_SET
    full.PatientName = person_name(patient.name)
    full.PatientID = patient_id_for(order)
    full.PatientBirthDate = da(patient.birth_date)
    full.PatientSex = SEX.get(patient.sex, "O")
    full.AccessionNumber = order.accession_number
    full.ReferringPhysicianName = person_name(
        getattr(requester, "display_name", "") or "" if requester else ""
    )
    full.RequestedProcedureID = order.accession_number
    full.RequestedProcedureDescription = order.exam.name
    full.RequestedProcedurePriority = PRIORITY.get(order.priority, "ROUTINE")
    full.StudyInstanceUID = study_uid_for(order)
    full.AdmissionID = ""
    full.ReasonForTheRequestedProcedure = (order.clinical_question or "")[:64]
    step = Dataset()
    step.Modality = modality
    step.ScheduledStationAETitle = entity.ae_title
    step.ScheduledStationName = entity.station_name
    step.ScheduledProcedureStepStartDate = day
    step.ScheduledProcedureStepStartTime = time
    step.ScheduledPerformingPhysicianName = ""
    step.ScheduledProcedureStepDescription = order.exam.name
    step.ScheduledProcedureStepID = order.accession_number
    step.ScheduledProcedureStepStatus = "SCHEDULED"
    full.ScheduledProcedureStepSequence = Sequence([step])

    out = Dataset()
    out.SpecificCharacterSet = CHARACTER_SET
    for element in identifier:
        keyword = element.keyword
        if not keyword or keyword == "SpecificCharacterSet":
            continue
        if keyword == "ScheduledProcedureStepSequence":
            asked = element.value[0] if element.value else Dataset()
            item = Dataset()
            for sub in asked or step:
                if sub.keyword and sub.keyword in step:
                    setattr(item, sub.keyword, step[sub.keyword].value)
                elif sub.keyword:
                    item.add_new(sub.tag, sub.VR, None)
            out.ScheduledProcedureStepSequence = Sequence([item])
        elif keyword in full:
            setattr(out, keyword, full[keyword].value)
        else:
            out.add_new(element.tag, element.VR, None)
    return out
