"""Which exam order a newly arrived study belongs to: its accession number, else the patient,
day and modality, else the reconciliation queue (a user attaches it, audited)."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q
from django.utils import timezone

from lianxin.core import audit
from lianxin.core.workflow import Status
from lianxin.diagnostics.actions import do_record_exam_images
from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.dicom.rules import EXAM_MODALITY_FOR
from lianxin.interfaces.dicom.scope import ae_actor
from lianxin.interfaces.models import LinkStatus, Study
from lianxin.network.models import ApplicationEntity
from lianxin.patients.models import Patient, PatientIdentifier

OPEN = (Status.REQUESTED, Status.ACCEPTED, Status.IN_PROGRESS)


def _site_orders(entity: ApplicationEntity):
    """Orders the AE's institution takes part in: it ordered them, or it is their centre."""
    inst = entity.institution_id
    return ExamOrder.objects.filter(
        Q(requester_institution_id=inst)
        | Q(performer_institution_id=inst)
        | Q(centre_institution_id=inst)
    )


def patient_for_id(dicom_patient_id: str, entity: ApplicationEntity) -> Patient | None:
    """The patient of a Patient ID as Lianxin's worklist gives it: the AE institution's record
    number, or Lianxin's own patient number."""
    value = (dicom_patient_id or "").strip()
    if not value:
        return None
    identifier = (
        PatientIdentifier.objects.filter(institution_id=entity.institution_id, value=value)
        .select_related("patient")
        .first()
    )
    if identifier is not None:
        return identifier.patient
    try:
        key = uuid.UUID(value)
    except ValueError:
        return None
    return Patient.objects.filter(external_id=key).first()


def _by_accession(study: Study, entity: ApplicationEntity) -> ExamOrder | None:
    if not study.accession_number:
        return None
    return (
        _site_orders(entity)
        .filter(accession_number=study.accession_number)
        .select_related("patient")
        .first()
    )


def _by_patient_day_modality(
    study: Study, modality: str, entity: ApplicationEntity
) -> ExamOrder | None:
    patient = patient_for_id(study.dicom_patient_id, entity)
    exam_modality = EXAM_MODALITY_FOR.get(modality)
    if patient is None or exam_modality is None:
        return None
    day = study.study_date or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    candidates = list(
        _site_orders(entity)
        .filter(patient=patient, exam__modality=exam_modality, status__in=OPEN)
        .filter(
            Q(scheduled_at__gte=start, scheduled_at__lt=end)
            | Q(scheduled_at__isnull=True, created_at__lt=end)
        )
        .exclude(studies__isnull=False)
        .select_related("patient")[:2]
    )
    # Two open orders that both fit: a person must choose.
    return candidates[0] if len(candidates) == 1 else None


def link_new_study(study: Study, *, modality: str, entity: ApplicationEntity) -> None:
    """Link a study on its first instance (inside the storing transaction) and audit it."""
    order = _by_accession(study, entity)
    status = LinkStatus.ACCESSION
    if order is None:
        order = _by_patient_day_modality(study, modality, entity)
        status = LinkStatus.MATCHED
    if order is None:
        status = LinkStatus.UNMATCHED
        patient = patient_for_id(study.dicom_patient_id, entity)
    else:
        patient = order.patient
    study.order, study.patient, study.link_status = order, patient, status
    study.save(update_fields=["order", "patient", "link_status", "updated_at"])
    audit.record(
        "interfaces.dicom.study.receive",
        actor=ae_actor(entity),
        target=study,
        institution=entity.institution_id,
        after={
            "link": status,
            "order": str(order.external_id) if order else None,
            "accession_number": study.accession_number,
            "modality": modality,
        },
    )
    if order is not None:
        record_images(study, entity)


def record_images(study: Study, entity: ApplicationEntity) -> None:
    order = ExamOrder.objects.get(pk=study.order_id)
    do_record_exam_images(
        order=order,
        study_uid=study.study_uid,
        image_count=study.instance_count,
        source=entity.ae_title,
    )
