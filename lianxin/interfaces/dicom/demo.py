"""Demo step "dicom-images": the county imaging centre's modalities have sent images.

The county hospital's imaging centre gets its CT, MR and ultrasound registered as application
entities (and a reading workstation), and some of its imaging orders get a study made from
pydicom's bundled images (``samples``), relabelled for the order's patient and accession
number with the Study Instance UID the worklist gives: reported exams and exams waiting for a
reader, and one patient with a new chest CT waiting and the chest CT of some months ago
reported, for the side-by-side comparison. Every instance goes through ``ingest.store``, the
C-STORE path (file in Django's storage, index rows, link by accession number, the order
performed through the diagnostics actions), so the demo account ``imaging`` opens images from
the first minute. The listener itself is started by ``lianxin demo``.
"""

from __future__ import annotations

import datetime
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from pydicom import dcmread

from lianxin.core.errors import ActionError
from lianxin.core.workflow import OPEN_STATUSES, Status
from lianxin.demo.registry import register_step
from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.dicom import ingest, samples
from lianxin.interfaces.dicom.values import person_name
from lianxin.interfaces.dicom.worklist import patient_id_for, study_uid_for
from lianxin.network.models import AERole, ApplicationEntity

STEP_ORDER = 127  # after "diagnostics" (120), "specimens" (125) and "hl7-results" (126)
SLICES = {"CT": 3, "MR": 1, "US": 1}  # instances per study (the ultrasound: a 30-frame clip)
DEVICES = (  # AE title, role, modality, station
    ("CT_YXZX", AERole.MODALITY, "CT", "CT1"),
    ("MR_YXZX", AERole.MODALITY, "MR", "MR1"),
    ("US_YXZX", AERole.MODALITY, "US", "US1"),
    ("WS_YXZX", AERole.WORKSTATION, "", "READ1"),
)
PRIOR_AT_LEAST = datetime.timedelta(days=45)  # older than CT's recognition period (30 days)


def _devices(county: Any) -> dict[str, ApplicationEntity]:
    from lianxin.network.ae import do_register_application_entity

    hospital = county.county_hospital
    admin = county.accounts.get("admin", (None,))[0]
    found = {
        e.modality: e for e in ApplicationEntity.objects.filter(institution=hospital) if e.modality
    }
    if found or admin is None:
        return found
    for title, role, modality, station in DEVICES:
        entity = do_register_application_entity(
            actor=admin,
            institution=hospital,
            ae_title=title,
            role=role,
            modality=modality,
            station_name=station,
            host="127.0.0.1" if role == AERole.WORKSTATION else "",
        )
        if modality:
            found[modality] = entity
    return found


def _send(
    order: ExamOrder,
    entity: ApplicationEntity,
    when: datetime.datetime,
    *,
    accession: str | None = None,
    patient_id: str | None = None,
) -> int:
    """Make the order's study from the bundled image of its modality and store it as C-STORE
    does (``accession`` and ``patient_id``: what the console typed instead of the worklist's);
    returns the instances stored."""
    patient = order.patient
    labels = samples.Labels(
        patient_id=patient_id_for(order) if patient_id is None else patient_id,
        patient_name=person_name(patient.name),
        accession=order.accession_number if accession is None else accession,
        study_date=timezone.localtime(when).date(),
        study_description=order.exam.name,
        birth_date=f"{patient.birth_date:%Y%m%d}" if patient.birth_date else "",
        sex={"1": "M", "2": "F"}.get(patient.sex, "O"),
        study_uid=study_uid_for(order) if accession is None else "",
    )
    stored = 0
    for raw in samples.series(entity.modality, labels, slices=SLICES[entity.modality]):
        ds = dcmread(BytesIO(raw), stop_before_pixels=True)
        result = ingest.store(
            raw,
            entity=entity,
            sop_class_uid=str(ds.SOPClassUID),
            sop_instance_uid=str(ds.SOPInstanceUID),
            transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
        )
        stored += result.created
    return stored


def _comparison(county: Any, now: datetime.datetime) -> tuple[ExamOrder, ExamOrder] | None:
    """A reported chest CT of some months ago and a new one of the same patient, ordered now by
    the demo township doctor (the order's time is the clock's, as its creation time is)."""
    from lianxin.diagnostics.actions import do_order_exam
    from lianxin.patients.models import Patient

    doctor, _role, township = county.accounts.get("township", (None, None, None))
    if doctor is None:
        return None
    visible = Patient.objects.visible_to(doctor).values("pk")
    priors = (
        ExamOrder.objects.filter(
            status=Status.COMPLETED,
            exam__modality="CT",
            requester_institution=township,
            performer_institution=county.county_hospital,
            signed_at__lt=now - PRIOR_AT_LEAST,
            patient__in=visible,
        )
        .select_related("patient", "exam")
        .order_by("-signed_at", "-id")[:10]
    )
    for prior in priors:
        try:
            current = do_order_exam(
                actor=doctor,
                patient=prior.patient,
                exam=prior.exam,
                clinical_question="咳嗽两周，复查胸部CT，与前片对比",
            )
        except (ValidationError, ActionError):
            continue
        return prior, current
    return None


def _order_now(
    county: Any, code: str, skip: int = 0, question: str = "头晕一周，排除颅内病变"
) -> list[ExamOrder]:
    """An exam ordered now by the township doctor for one of the township's patients (from the
    ``skip``-th on): the head MR the demo year has none of, the worklist's head CT."""
    from lianxin.diagnostics.actions import do_order_exam
    from lianxin.diagnostics.models import ExamItem
    from lianxin.patients.models import Patient

    doctor = county.accounts.get("township", (None,))[0]
    exam = ExamItem.objects.filter(code=code, is_active=True).first()
    if doctor is None or exam is None:
        return []
    for patient in Patient.objects.visible_to(doctor).order_by("id")[skip : skip + 20]:
        try:
            return [
                do_order_exam(
                    actor=doctor,
                    patient=patient,
                    exam=exam,
                    clinical_question=question,
                )
            ]
        except (ValidationError, ActionError):
            continue
    return []


def _pick(county: Any, modality: str, statuses, count: int, exclude: set[int]) -> list:
    return list(
        ExamOrder.objects.filter(
            exam__modality=modality,
            status__in=statuses,
            performer_institution=county.county_hospital,
            studies__isnull=True,
        )
        .filter(Q(overflowed_at__isnull=True))
        .exclude(pk__in=exclude)
        .select_related("patient", "exam")
        .order_by("-created_at", "-id")[:count]
    )


def build_dicom_images(county: Any) -> int:
    """Store the demo's studies through the C-STORE path; returns the instances stored."""
    from lianxin.referrals.demo import anchor_time

    if county.county_hospital is None:
        return 0
    devices = _devices(county)
    if not devices:
        return 0
    now = anchor_time(county.options.today)
    sent: list[tuple[ExamOrder, datetime.datetime]] = []
    pair = _comparison(county, now)
    if pair is not None:
        prior, current = pair
        sent += [(prior, prior.performed_at or prior.created_at), (current, now)]
    used = {order.pk for order, _when in sent}
    for modality in ("CT", "MR", "US"):
        for order in _pick(county, modality, [Status.COMPLETED], 1, used):
            sent.append((order, order.performed_at or order.created_at))
            used.add(order.pk)
        waiting = _pick(county, modality, OPEN_STATUSES, 1, used)
        if not waiting and modality == "MR":
            waiting = _order_now(county, "MR-HEAD")
        for order in waiting:
            sent.append((order, min(order.performed_at or now, now)))
            used.add(order.pk)
    stored = sum(_send(order, devices[order.exam.modality], when) for order, when in sent)
    # One head CT ordered and not yet performed: the worklist's item for a modality to try.
    _order_now(county, "CT-HEAD", skip=len(used))
    stored += _lost_study(county, devices, now, skip=len(used) + 1)
    return stored


def _lost_study(county: Any, devices: dict, now: datetime.datetime, *, skip: int) -> int:
    """A chest CT typed in by hand at the console, its accession number's last two digits
    swapped and the hospital's own patient number: no order fits, so it waits in the
    reconciliation queue for the imaging centre to attach it to the order (which is listed)."""
    entity = devices.get("CT")
    orders = _order_now(county, "CT-CHEST", skip=skip, question="咳嗽、低热一周，胸部CT")
    if entity is None or not orders:
        return 0
    order = orders[0]
    number = order.accession_number
    typed = number[:-2] + number[-1] + number[-2] if number[-1] != number[-2] else number + "9"
    return _send(order, entity, now, accession=typed, patient_id=f"ZY{order.pk:06d}")


register_step("dicom-images", build_dicom_images, order=STEP_ORDER)
