"""Studies made from pydicom's bundled images (CT_small.dcm, MR_small.dcm, an ultrasound clip),
relabelled for a patient and an accession number with new UIDs: the demo county's images and
the viewer's browser test. The result is what a modality would send: DICOM files as bytes, for
``ingest.store`` (the C-STORE path).

A series of several slices from one bundled image steps each copy along the slice normal by the
slice thickness (Image Position (Patient), Slice Location, Instance Number), as a real stack
has, so that a viewer builds one volume from them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from io import BytesIO

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

# The bundled file used for each modality.
BUNDLED = {
    "CT": "CT_small.dcm",
    "MR": "MR_small.dcm",
    "US": "examples_ybr_color.dcm",  # a cine clip of 30 frames, JPEG baseline
}


@dataclass(frozen=True)
class Labels:
    """What the modality writes into every instance of the study."""

    patient_id: str
    patient_name: str  # DICOM PN: "ZHANG^SAN=张^三"
    accession: str
    study_date: datetime.date
    study_description: str = ""
    birth_date: str = ""
    sex: str = ""
    study_uid: str = ""  # the order's Study Instance UID when the worklist gave one


def _normal(ds: Dataset) -> tuple[float, float, float]:
    try:
        r = [float(v) for v in ds.ImageOrientationPatient]
    except (AttributeError, TypeError, ValueError):
        return (0.0, 0.0, 1.0)
    return (r[1] * r[5] - r[2] * r[4], r[2] * r[3] - r[0] * r[5], r[0] * r[4] - r[1] * r[3])


def series(
    modality: str,
    labels: Labels,
    *,
    slices: int = 1,
    series_number: int = 1,
    study_uid: str | None = None,
) -> list[bytes]:
    """One series of ``slices`` instances of the bundled image of ``modality``."""
    source = dcmread(get_testdata_file(BUNDLED[modality]))
    study_uid = study_uid or labels.study_uid or generate_uid()
    series_uid, frame_of_reference = generate_uid(), generate_uid()
    thickness = float(source.get("SliceThickness") or 5)
    normal = _normal(source)
    origin = [float(v) for v in source.get("ImagePositionPatient") or (0, 0, 0)]
    out = []
    for number in range(1, slices + 1):
        ds = source.copy()
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_of_reference
        ds.SeriesNumber = series_number
        ds.InstanceNumber = number
        ds.AccessionNumber = labels.accession
        ds.PatientID = labels.patient_id
        if not labels.patient_name.isascii():
            ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = labels.patient_name
        ds.PatientBirthDate = labels.birth_date
        ds.PatientSex = labels.sex
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = labels.study_date.strftime("%Y%m%d")
        ds.StudyDescription = labels.study_description
        if "ImagePositionPatient" in source:
            step = (number - 1) * thickness
            moved = zip(origin, normal, strict=True)
            ds.ImagePositionPatient = [round(o + step * n, 4) for o, n in moved]
            ds.SliceLocation = round(float(source.get("SliceLocation") or 0) + step, 4)
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        out.append(buffer.getvalue())
    return out
