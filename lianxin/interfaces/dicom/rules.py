"""DICOM rules as data, each with its source in the standard (PS3.x, 2024 edition)."""

from __future__ import annotations

# Which DICOM Modality (0008,0060) values a Lianxin exam item's modality prefix covers
# (PS3.3 C.7.3.1.1.1 Defined Terms for Modality). A DR chest may arrive as DX or CR.
DICOM_MODALITIES: dict[str, tuple[str, ...]] = {
    "CT": ("CT",),
    "MR": ("MR",),
    "DR": ("DX", "CR", "DR"),
    "US": ("US",),
    "EC": ("ECG",),
}
EXAM_MODALITY_FOR: dict[str, str] = {
    dicom: exam for exam, dicoms in DICOM_MODALITIES.items() for dicom in dicoms
}

# C-STORE response statuses (PS3.4 Table B.2-1; PS3.7 C.4.2.1.4).
STORE_SUCCESS = 0x0000
STORE_OUT_OF_RESOURCES = 0xA700
STORE_DATASET_DOES_NOT_MATCH = 0xA900
STORE_CANNOT_UNDERSTAND = 0xC000
# C-FIND (PS3.4 Table C.4-1, K.4.1.1.4 for the worklist).
FIND_PENDING = 0xFF00
FIND_SUCCESS = 0x0000
FIND_IDENTIFIER_DOES_NOT_MATCH = 0xA900
FIND_UNABLE_TO_PROCESS = 0xC000
FIND_CANCELLED = 0xFE00
# C-MOVE / C-GET (PS3.4 Table C.4-2, C.4-3).
MOVE_DESTINATION_UNKNOWN = 0xA801
RETRIEVE_UNABLE_TO_PROCESS = 0xC000
RETRIEVE_IDENTIFIER_DOES_NOT_MATCH = 0xA900

# A-ASSOCIATE-RJ for an unknown calling AE title (PS3.8 Table 9-21): result "rejected-permanent"
# (0x01), source "DICOM UL service-user" (0x01), reason "calling-AE-title-not-recognized" (0x03).
REJECT_RESULT_PERMANENT = 0x01
REJECT_SOURCE_SERVICE_USER = 0x01
REJECT_REASON_CALLING_AE = 0x03

# Lianxin's implementation class UID root (a UUID-derived root, PS3.5 B.2).
UID_ROOT = "2.25."

# The Query/Retrieve levels and the attributes each answers (PS3.4 C.6.2.1.2 Study Root).
STUDY_LEVEL_KEYS = (
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyID",
    "StudyDescription",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)
SERIES_LEVEL_KEYS = (
    "SeriesInstanceUID",
    "Modality",
    "SeriesNumber",
    "SeriesDescription",
    "BodyPartExamined",
    "NumberOfSeriesRelatedInstances",
)
IMAGE_LEVEL_KEYS = ("SOPInstanceUID", "SOPClassUID", "InstanceNumber", "Rows", "Columns")
