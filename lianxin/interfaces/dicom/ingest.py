"""C-STORE: check a received dataset, store its file through Django's storage, index it, link
its study to an exam order and let the order move to "performed".

The file is written before the index row, and the success status is only returned after the
index transaction committed: an instance acknowledged to the modality survives the process
being killed. A failure after the file was written removes the file again, so nothing is left
half-stored (a stray file without a row, from a kill between the two, is overwritten when the
modality sends the instance again).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from lianxin.interfaces.dicom import rules
from lianxin.interfaces.dicom.linking import link_new_study
from lianxin.interfaces.dicom.signals import instance_stored
from lianxin.interfaces.models import Instance, Series, Study
from lianxin.network.models import ApplicationEntity

log = logging.getLogger(__name__)


class Refused(Exception):
    """A dataset Lianxin will not store, with the C-STORE status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Stored:
    instance: Instance
    created: bool


def _text(ds: Dataset, keyword: str, limit: int) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    return str(value).strip()[:limit]


def _int(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _uid(ds: Dataset, keyword: str) -> str:
    value = str(ds.get(keyword) or "").strip()
    if not value or len(value) > 64 or not UID(value).is_valid:
        raise Refused(rules.STORE_CANNOT_UNDERSTAND, f"{keyword} is missing or not a valid UID")
    return value


def _expected_pixel_bytes(ds: Dataset) -> int | None:
    try:
        rows, cols = int(ds.Rows), int(ds.Columns)
        bits, samples = int(ds.BitsAllocated), int(ds.get("SamplesPerPixel", 1))
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (AttributeError, TypeError, ValueError):
        return None
    return (rows * cols * samples * frames * bits + 7) // 8


def parse(raw: bytes) -> Dataset:
    """Decode the whole dataset; refuse one that is malformed or cut short."""
    try:
        ds = dcmread(BytesIO(raw), force=False)
        # Touch every element: a value cut short or a broken sequence fails here, not later.
        for _element in ds.iterall():
            pass
    except (InvalidDicomError, EOFError, ValueError, TypeError, KeyError, OSError) as exc:
        raise Refused(rules.STORE_CANNOT_UNDERSTAND, f"cannot decode the dataset: {exc}") from exc
    except Exception as exc:
        raise Refused(rules.STORE_CANNOT_UNDERSTAND, f"cannot decode the dataset: {exc}") from exc
    element = ds.get("PixelData")
    if element is not None and not ds.file_meta.TransferSyntaxUID.is_compressed:
        expected = _expected_pixel_bytes(ds)
        length = len(ds.PixelData or b"")
        if expected is None or length < expected:
            raise Refused(
                rules.STORE_CANNOT_UNDERSTAND,
                f"pixel data cut short: {length} of {expected} bytes",
            )
    if "WaveformSequence" in ds:
        for waveform in ds.WaveformSequence:
            try:
                channels = int(waveform.NumberOfWaveformChannels)
                samples = int(waveform.NumberOfWaveformSamples)
                bits = int(waveform.WaveformBitsAllocated)
                data = waveform.WaveformData
            except (AttributeError, TypeError, ValueError) as exc:
                raise Refused(rules.STORE_CANNOT_UNDERSTAND, f"incomplete waveform: {exc}") from exc
            if len(data) < channels * samples * bits // 8:
                raise Refused(rules.STORE_CANNOT_UNDERSTAND, "waveform data cut short")
    return ds


def check_identity(ds: Dataset, sop_class_uid: str, sop_instance_uid: str) -> None:
    """The dataset must be the instance the C-STORE request says it is (PS3.4 B.2.3)."""
    if _uid(ds, "SOPInstanceUID") != sop_instance_uid:
        raise Refused(
            rules.STORE_DATASET_DOES_NOT_MATCH, "SOP Instance UID differs from the request"
        )
    if _uid(ds, "SOPClassUID") != sop_class_uid:
        raise Refused(rules.STORE_DATASET_DOES_NOT_MATCH, "SOP Class UID differs from the request")
    _uid(ds, "StudyInstanceUID")
    _uid(ds, "SeriesInstanceUID")


def _file_name(study_uid: str, series_uid: str, sop_uid: str) -> str:
    return f"dicom/{study_uid}/{series_uid}/{sop_uid}.dcm"


def _study_fields(ds: Dataset, entity: ApplicationEntity) -> dict[str, Any]:
    from lianxin.interfaces.dicom.values import dicom_date, person_name_text

    return {
        "source_institution_id": entity.institution_id,
        "source_ae": entity,
        "accession_number": _text(ds, "AccessionNumber", 16),
        "dicom_patient_id": _text(ds, "PatientID", 64),
        "dicom_patient_name": person_name_text(ds.get("PatientName")),
        "patient_birth_date": _text(ds, "PatientBirthDate", 8),
        "patient_sex": _text(ds, "PatientSex", 16),
        "study_date": dicom_date(ds.get("StudyDate")),
        "study_time": _text(ds, "StudyTime", 16),
        "study_id": _text(ds, "StudyID", 16),
        "description": _text(ds, "StudyDescription", 64),
    }


def store(
    raw: bytes,
    *,
    entity: ApplicationEntity,
    sop_class_uid: str,
    sop_instance_uid: str,
    transfer_syntax_uid: str,
) -> Stored:
    """Store one received instance (``raw``: the file meta and the dataset as a DICOM file)."""
    ds = parse(raw)
    check_identity(ds, sop_class_uid, sop_instance_uid)
    existing = Instance.objects.filter(sop_instance_uid=sop_instance_uid).first()
    if existing is not None:
        return Stored(existing, created=False)
    study_uid = str(ds.StudyInstanceUID)
    series_uid = str(ds.SeriesInstanceUID)
    name = _file_name(study_uid, series_uid, sop_instance_uid)
    if default_storage.exists(name):
        # Left by a kill between the file and its row: no row refers to it, so replace it.
        default_storage.delete(name)
    try:
        saved = default_storage.save(name, ContentFile(raw))
    except OSError as exc:
        raise Refused(rules.STORE_OUT_OF_RESOURCES, f"cannot write the file: {exc}") from exc
    try:
        with transaction.atomic():
            instance, study = _index(ds, raw, saved, entity, transfer_syntax_uid)
    except IntegrityError:
        # The same instance arrived on another association at the same moment: keep theirs.
        default_storage.delete(saved)
        existing = Instance.objects.filter(sop_instance_uid=sop_instance_uid).first()
        if existing is None:
            raise
        return Stored(existing, created=False)
    except BaseException:
        default_storage.delete(saved)
        raise
    transaction.on_commit(lambda: _announce(instance, study))
    return Stored(instance, created=True)


def _announce(instance: Instance, study: Study) -> None:
    for receiver, result in instance_stored.send_robust(
        sender=Instance, instance=instance, study=study, sop_class_uid=instance.sop_class_uid
    ):
        if isinstance(result, Exception):
            log.error("instance_stored receiver %r failed: %s", receiver, result)


def _index(
    ds: Dataset, raw: bytes, saved: str, entity: ApplicationEntity, transfer_syntax_uid: str
) -> tuple[Instance, Study]:
    study_uid = str(ds.StudyInstanceUID)
    study = Study.objects.select_for_update().filter(study_uid=study_uid).first()
    created_study = study is None
    if created_study:
        study = Study.objects.create(study_uid=study_uid, **_study_fields(ds, entity))
    series, created_series = Series.objects.get_or_create(
        series_uid=str(ds.SeriesInstanceUID),
        defaults={
            "study": study,
            "modality": _text(ds, "Modality", 16),
            "series_number": _int(ds, "SeriesNumber"),
            "description": _text(ds, "SeriesDescription", 64),
            "body_part": _text(ds, "BodyPartExamined", 16),
        },
    )
    if series.study_id != study.pk:
        raise Refused(rules.STORE_CANNOT_UNDERSTAND, "the series already belongs to another study")
    instance = Instance.objects.create(
        series=series,
        sop_instance_uid=str(ds.SOPInstanceUID),
        sop_class_uid=str(ds.SOPClassUID),
        transfer_syntax_uid=transfer_syntax_uid,
        instance_number=_int(ds, "InstanceNumber"),
        rows=_int(ds, "Rows"),
        columns=_int(ds, "Columns"),
        frames=_int(ds, "NumberOfFrames") or 1,
        file=saved,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        source_ae_title=entity.ae_title,
    )
    Series.objects.filter(pk=series.pk).update(instance_count=F("instance_count") + 1)
    modalities = set(filter(None, study.modalities.split("\\")))
    modality = series.modality
    study_changes: dict[str, Any] = {"instance_count": study.instance_count + 1}
    if created_series:
        study_changes["series_count"] = study.series_count + 1
    if modality and modality not in modalities:
        study_changes["modalities"] = "\\".join(sorted(modalities | {modality}))[:64]
    Study.objects.filter(pk=study.pk).update(**study_changes)
    for field, value in study_changes.items():
        setattr(study, field, value)
    if created_study:
        link_new_study(study, modality=modality, entity=entity)
    elif study.order_id:
        from lianxin.interfaces.dicom.linking import record_images

        record_images(study, entity)
    return instance, study
