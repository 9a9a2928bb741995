"""Query/Retrieve (PS3.4 Annex C): studies, series and instances of the index that the calling
AE's institution may see, for C-FIND and for the C-GET/C-MOVE sub-operations. The same matching
serves QIDO-RS (PS3.18 10.6), with the user's access instead of the AE's."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from pydicom.dataset import Dataset

from lianxin.core import audit
from lianxin.core.access import Access
from lianxin.interfaces.dicom.values import da, date_range, wildcard_regex
from lianxin.interfaces.models import Instance, Series, Study

MAX_MATCHES = 1000
STUDY_KEYS = frozenset(
    {
        "StudyInstanceUID",
        "StudyDate",
        "AccessionNumber",
        "ModalitiesInStudy",
        "PatientName",
        "PatientID",
        "StudyID",
        "StudyDescription",
    }
)


class BadQuery(ValueError):
    pass


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split("\\") if v.strip()]


def _text_q(field: str, value: str, *, exact: str = "exact") -> Q:
    regex = wildcard_regex(value)
    if regex is None:
        return Q(**{f"{field}__{exact}": value})
    if value.strip("*") == "":
        return Q()
    return Q(**{f"{field}__iregex": regex})


def _name_q(value: str) -> Q:
    """A PN key against the readable name the index keeps: the ideographic group (汉字) as
    stored without ``^``, an alphabetic one with ``^`` read as a space."""
    groups = [g for g in value.split("=") if g.strip("*")]
    if not groups:
        return Q()
    condition = Q()
    for group in groups:
        condition |= _text_q("dicom_patient_name", group.replace("^", ""), exact="iexact")
        condition |= _text_q("dicom_patient_name", group.replace("^", " "), exact="iexact")
    return condition


def studies(access: Access, keys: dict[str, str]) -> QuerySet[Study]:
    """Studies visible under ``access`` that match the study-level keys."""
    qs = Study.objects.scope(access) if not access.is_superuser else Study.objects.all()
    uids = _list(keys.get("StudyInstanceUID", ""))
    if uids:
        qs = qs.filter(study_uid__in=uids)
    for keyword, field in (
        ("PatientID", "dicom_patient_id"),
        ("AccessionNumber", "accession_number"),
        ("StudyID", "study_id"),
        ("StudyDescription", "description"),
    ):
        value = (keys.get(keyword) or "").strip()
        if value:
            qs = qs.filter(_text_q(field, value))
    name = (keys.get("PatientName") or "").strip()
    if name:
        qs = qs.filter(_name_q(name))
    try:
        days = date_range(keys.get("StudyDate", ""))
    except ValueError as exc:
        raise BadQuery(str(exc)) from exc
    if days is not None:
        start, end = days
        if start:
            qs = qs.filter(study_date__gte=start)
        if end:
            qs = qs.filter(study_date__lte=end)
    modalities = _list(keys.get("ModalitiesInStudy", "") or keys.get("Modality", ""))
    if modalities:
        pattern = "|".join(re.escape(m) for m in modalities)
        qs = qs.filter(modalities__iregex=rf"(^|\\)({pattern})(\\|$)")
    return qs.select_related("patient").order_by("-study_date", "-id")


def _study_keys(keys: dict[str, str]) -> dict[str, str]:
    # The study-level keys of a series or instance query (a relational query, PS3.4 C.4.1.2.2);
    # the series' own Modality is matched on the series, not on the study's modalities.
    return {k: v for k, v in keys.items() if k in STUDY_KEYS and k != "Modality"}


def series(access: Access, keys: dict[str, str]) -> QuerySet[Series]:
    study_qs = studies(access, _study_keys(keys))
    qs = Series.objects.filter(study__in=study_qs.values("pk"))
    uids = _list(keys.get("SeriesInstanceUID", ""))
    if uids:
        qs = qs.filter(series_uid__in=uids)
    modality = (keys.get("Modality") or "").strip()
    if modality:
        qs = qs.filter(_text_q("modality", modality))
    number = _number(keys, "SeriesNumber")
    if number is not None:
        qs = qs.filter(series_number=number)
    return qs.select_related("study", "study__patient").order_by("series_number", "id")


def instances(access: Access, keys: dict[str, str]) -> QuerySet[Instance]:
    study_qs = studies(access, _study_keys(keys))
    qs = Instance.objects.filter(series__study__in=study_qs.values("pk"))
    series_uids = _list(keys.get("SeriesInstanceUID", ""))
    if series_uids:
        qs = qs.filter(series__series_uid__in=series_uids)
    modality = (keys.get("Modality") or "").strip()
    if modality:
        qs = qs.filter(_text_q("series__modality", modality))
    number = _number(keys, "SeriesNumber")
    if number is not None:
        qs = qs.filter(series__series_number=number)
    uids = _list(keys.get("SOPInstanceUID", ""))
    if uids:
        qs = qs.filter(sop_instance_uid__in=uids)
    classes = _list(keys.get("SOPClassUID", ""))
    if classes:
        qs = qs.filter(sop_class_uid__in=classes)
    number = _number(keys, "InstanceNumber")
    if number is not None:
        qs = qs.filter(instance_number=number)
    return qs.select_related("series", "series__study", "series__study__patient").order_by(
        "series__series_number", "instance_number", "id"
    )


def _number(keys: dict[str, str], keyword: str) -> int | None:
    value = (keys.get(keyword) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise BadQuery(f"{keyword} must be a number, not {value!r}") from exc


def identifier_keys(identifier: Dataset) -> dict[str, str]:
    out: dict[str, str] = {}
    for element in identifier:
        if element.keyword and element.VR != "SQ":
            value = element.value
            if isinstance(value, list | tuple) or (
                hasattr(value, "__iter__") and not isinstance(value, str | bytes)
            ):
                value = "\\".join(str(v) for v in value)
            out[element.keyword] = "" if value is None else str(value)
    return out


def study_attributes(study: Study) -> dict[str, object]:
    return {
        "StudyInstanceUID": study.study_uid,
        "StudyDate": da(study.study_date),
        "StudyTime": study.study_time,
        "AccessionNumber": study.accession_number,
        "PatientName": study.dicom_patient_name,
        "PatientID": study.dicom_patient_id,
        "PatientBirthDate": study.patient_birth_date,
        "PatientSex": study.patient_sex,
        "StudyID": study.study_id,
        "StudyDescription": study.description,
        "ModalitiesInStudy": study.modalities.split("\\") if study.modalities else "",
        "NumberOfStudyRelatedSeries": study.series_count,
        "NumberOfStudyRelatedInstances": study.instance_count,
    }


def series_attributes(item: Series) -> dict[str, object]:
    return {
        "StudyInstanceUID": item.study.study_uid,
        "SeriesInstanceUID": item.series_uid,
        "Modality": item.modality,
        "SeriesNumber": item.series_number if item.series_number is not None else "",
        "SeriesDescription": item.description,
        "BodyPartExamined": item.body_part,
        "NumberOfSeriesRelatedInstances": item.instance_count,
    }


def instance_attributes(item: Instance) -> dict[str, object]:
    return {
        "StudyInstanceUID": item.series.study.study_uid,
        "SeriesInstanceUID": item.series.series_uid,
        "SOPInstanceUID": item.sop_instance_uid,
        "SOPClassUID": item.sop_class_uid,
        "InstanceNumber": item.instance_number if item.instance_number is not None else "",
        "Rows": item.rows or "",
        "Columns": item.columns or "",
        "NumberOfFrames": item.frames,
    }


def find_answer(level: str, row: object, identifier: Dataset) -> Dataset:
    """A C-FIND answer: the requested keys, filled from the row."""
    values: dict[str, object] = {}
    if level in ("PATIENT", "STUDY", "SERIES", "IMAGE"):
        study = row if isinstance(row, Study) else getattr(row, "study", None)
        if isinstance(row, Instance):
            study = row.series.study
        if study is not None:
            values.update(study_attributes(study))
    if isinstance(row, Series):
        values.update(series_attributes(row))
    if isinstance(row, Instance):
        values.update(series_attributes(row.series))
        values.update(instance_attributes(row))
    out = Dataset()
    out.SpecificCharacterSet = "ISO_IR 192"
    for element in identifier:
        keyword = element.keyword
        if not keyword or keyword == "SpecificCharacterSet":
            continue
        if keyword == "QueryRetrieveLevel":
            out.QueryRetrieveLevel = level
        elif keyword in values and values[keyword] not in (None, ""):
            setattr(out, keyword, values[keyword])
        else:
            out.add_new(element.tag, element.VR, None)
    if "QueryRetrieveLevel" not in out:
        out.QueryRetrieveLevel = level
    return out


def record_read(
    *,
    actor: object,
    institution_id: int | None,
    channel: str,
    action: str,
    studies_read: Iterable[Study],
) -> None:
    """One audit row for the studies an external client listed or retrieved: a read of each
    patient's record (DESIGN §5)."""
    rows = list(studies_read)
    if not rows:
        return
    with transaction.atomic():
        audit.record(
            action,
            actor=actor,
            institution=institution_id,
            target_type="interfaces.study",
            target_id=str(rows[0].external_id) if len(rows) == 1 else "",
            after={
                "channel": channel,
                "studies": [str(s.external_id) for s in rows[:200]],
                "patients": sorted({str(s.patient.external_id) for s in rows if s.patient})[:200],
                "count": len(rows),
            },
        )


LEVELS = {"PATIENT", "STUDY", "SERIES", "IMAGE"}
