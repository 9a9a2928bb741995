"""The DICOM service in a test: Lianxin's AE listening on a free port of 127.0.0.1 in this
process, the registered AEs of several institutions, pydicom's bundled CT, MR and ECG files
relabelled per order, and dcmtk's tools to drive it."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from lianxin.network.ae import do_register_application_entity
from lianxin.network.models import AERole, ApplicationEntity
from lianxin.testing.factories import UserFactory

SERVER_AE = "LIANXIN"
CT = "CT_small.dcm"
MR = "MR_small.dcm"
ECG = "waveform_ecg.dcm"
TIMEOUT = 60


@dataclass
class Devices:
    ct: ApplicationEntity  # township A1's CT
    ecg: ApplicationEntity  # township A1's ECG cart
    workstation: ApplicationEntity  # county A's reading workstation
    outsider: ApplicationEntity  # a workstation of county B (another community)


def register_devices(personas) -> Devices:
    admin = UserFactory(username="dicom_registrar", is_superuser=True)
    reg = do_register_application_entity
    return Devices(
        ct=reg(
            actor=admin,
            institution=personas.township_a,
            ae_title="CT_A1",
            role=AERole.MODALITY,
            modality="CT",
            station_name="CT1",
        ),
        ecg=reg(
            actor=admin,
            institution=personas.township_a,
            ae_title="ECG_A1",
            role=AERole.MODALITY,
            modality="ECG",
            station_name="ECG1",
        ),
        workstation=reg(
            actor=admin,
            institution=personas.county_a,
            ae_title="WS_COUNTY",
            role=AERole.WORKSTATION,
            host="127.0.0.1",
            port=None,
        ),
        outsider=reg(
            actor=admin,
            institution=personas.county_b,
            ae_title="WS_OUTSIDE",
            role=AERole.WORKSTATION,
            host="127.0.0.1",
            port=None,
        ),
    )


def relabel(
    name: str,
    out: Path,
    *,
    accession: str = "",
    patient_id: str = "",
    patient_name: str = "",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "",
    instance_number: int | None = None,
) -> Path:
    """A copy of a bundled file with new UIDs and the given labels."""
    ds = dcmread(get_testdata_file(name))
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.AccessionNumber = accession
    ds.PatientID = patient_id
    if patient_name:
        if not patient_name.isascii():
            ds.SpecificCharacterSet = "ISO_IR 192"
        ds.PatientName = patient_name
    if study_date:
        ds.StudyDate = study_date
    if instance_number is not None:
        ds.InstanceNumber = instance_number
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return out


def dcmtk(tool: str, *args: str, port: int, aet: str, check: bool = False):
    """Run a dcmtk tool against the service; returns the completed process."""
    command = [tool, "-aet", aet, "-aec", SERVER_AE, *args, "127.0.0.1", str(port)]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=check)


def storescu(port: int, aet: str, *files: Path, extra: tuple[str, ...] = ()):
    command = ["storescu", "-aet", aet, "-aec", SERVER_AE, *extra, "127.0.0.1", str(port)]
    return subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=TIMEOUT
    )
