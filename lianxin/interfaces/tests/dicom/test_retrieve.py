"""Query/Retrieve C-GET and C-MOVE driven by dcmtk's getscu and movescu: the county workstation
pulls the patient's prior studies; a workstation of another county cannot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydicom import dcmread

from lianxin.core.models import AuditEvent
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.tests.dicom.helpers import CT, MR, SERVER_AE, TIMEOUT, relabel, storescu
from lianxin.testing.orthanc import free_port

PRIOR = "1.2.826.0.1.3680043.8.498.200"
CURRENT = "1.2.826.0.1.3680043.8.498.201"
PATIENT_ID = "A1-000123"


@pytest.fixture
def studies(dicom_port, devices, personas, centre, tmp_path):
    """Two CT/MR studies of the patient sent by the township CT, linked to their orders."""
    files = []
    for uid, code, source, count in ((PRIOR, "CT-CHEST", CT, 2), (CURRENT, "MR-HEAD", MR, 1)):
        item = order(personas, code)
        for i in range(1, count + 1):
            files.append(
                relabel(
                    source,
                    tmp_path / "sent" / f"{uid}-{i}.dcm",
                    accession=item.accession_number,
                    patient_id=PATIENT_ID,
                    study_uid=uid,
                    series_uid=f"{uid}.1",
                    instance_number=i,
                )
            )
    sent = storescu(dicom_port, "CT_A1", *files)
    assert sent.returncode == 0, sent.stderr
    return files


def _run(tool: str, *args: str, port: int, aet: str) -> subprocess.CompletedProcess:
    command = [tool, "-v", "-aet", aet, "-aec", SERVER_AE, *args, "127.0.0.1", str(port)]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)


def _received(folder: Path) -> set[str]:
    return {str(dcmread(path).StudyInstanceUID) for path in folder.glob("*") if path.is_file()}


def test_the_county_workstation_gets_the_patients_prior_studies(
    dicom_port, studies, devices, tmp_path
):
    out = tmp_path / "got"
    out.mkdir()
    result = _run(
        "getscu",
        "-P",
        "-k",
        "QueryRetrieveLevel=PATIENT",
        "-k",
        f"PatientID={PATIENT_ID}",
        "-od",
        str(out),
        port=dicom_port,
        aet="WS_COUNTY",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _received(out) == {PRIOR, CURRENT}
    assert len(list(out.glob("*"))) == 3
    row = AuditEvent.objects.get(action="interfaces.dicom.get")
    assert row.actor_label == "dicom:WS_COUNTY" and row.after["count"] == 2

    one = tmp_path / "one"
    one.mkdir()
    result = _run(
        "getscu",
        "-S",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={PRIOR}",
        "-od",
        str(one),
        port=dicom_port,
        aet="WS_COUNTY",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _received(one) == {PRIOR} and len(list(one.glob("*"))) == 2


def test_an_outsider_workstation_gets_nothing(dicom_port, studies, devices, tmp_path):
    out = tmp_path / "got"
    out.mkdir()
    result = _run(
        "getscu",
        "-S",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={PRIOR}",
        "-od",
        str(out),
        port=dicom_port,
        aet="WS_OUTSIDE",
    )
    assert not list(out.glob("*")), "an outsider received images"
    assert "Number of Completed Suboperations : 0" in result.stdout + result.stderr
    assert not AuditEvent.objects.filter(action="interfaces.dicom.get").exists()


def test_the_county_workstation_moves_a_study_to_itself(dicom_port, studies, devices, tmp_path):
    move_port = free_port()  # where movescu receives the moved instances
    devices.workstation.port = move_port
    devices.workstation.save()
    out = tmp_path / "moved"
    out.mkdir()
    result = _run(
        "movescu",
        "-S",
        "-aem",
        "WS_COUNTY",
        "+P",
        str(move_port),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={PRIOR}",
        "-od",
        str(out),
        port=dicom_port,
        aet="WS_COUNTY",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _received(out) == {PRIOR} and len(list(out.glob("*"))) == 2
    assert AuditEvent.objects.filter(
        action="interfaces.dicom.move", actor_label="dicom:WS_COUNTY"
    ).exists()


def test_an_outsider_cannot_move_to_its_own_ae_nor_to_the_countys(
    dicom_port, studies, devices, tmp_path
):
    move_port = free_port()
    devices.outsider.port = move_port
    devices.outsider.save()
    devices.workstation.port = free_port()
    devices.workstation.save()
    out = tmp_path / "moved"
    out.mkdir()
    own = _run(
        "movescu",
        "-S",
        "-aem",
        "WS_OUTSIDE",
        "+P",
        str(move_port),
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={PRIOR}",
        "-od",
        str(out),
        port=dicom_port,
        aet="WS_OUTSIDE",
    )
    assert not list(out.glob("*")), own.stdout + own.stderr
    # Images never go to another institution's AE, whoever asks.
    other = _run(
        "movescu",
        "-S",
        "-aem",
        "WS_COUNTY",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-k",
        f"StudyInstanceUID={PRIOR}",
        port=dicom_port,
        aet="WS_OUTSIDE",
    )
    assert "Refused: MoveDestinationUnknown" in other.stdout + other.stderr
    assert not AuditEvent.objects.filter(action="interfaces.dicom.move").exists()


def test_a_retrieve_without_its_key_is_refused(dicom_port, studies, devices, tmp_path):
    result = _run(
        "getscu",
        "-S",
        "-k",
        "QueryRetrieveLevel=STUDY",
        "-od",
        str(tmp_path),
        port=dicom_port,
        aet="WS_COUNTY",
    )
    text = result.stdout + result.stderr
    # 0xA900, "Identifier does not match SOP Class" (PS3.4 C.4.3.1.4; dcmtk names it so).
    assert "Error: DataSetDoesNotMatchSOPClass" in text, text
    assert not [p for p in tmp_path.glob("*.dcm*") if p.is_file()]


def _find(tmp_path: Path, name: str, aet: str, port: int, *keys: str) -> list:
    out = tmp_path / name
    out.mkdir()
    args = []
    for key in keys:
        args += ["-k", key]
    result = _run("findscu", "-S", "-X", "-od", str(out), *args, port=port, aet=aet)
    assert result.returncode == 0, result.stdout + result.stderr
    return [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]


def test_findscu_finds_the_patients_studies_series_and_images(
    dicom_port, studies, devices, tmp_path
):
    found = _find(
        tmp_path,
        "studies",
        "WS_COUNTY",
        dicom_port,
        "QueryRetrieveLevel=STUDY",
        f"PatientID={PATIENT_ID}",
        "StudyInstanceUID",
        "ModalitiesInStudy",
        "AccessionNumber",
    )
    assert {str(a.StudyInstanceUID) for a in found} == {PRIOR, CURRENT}
    series = _find(
        tmp_path,
        "series",
        "WS_COUNTY",
        dicom_port,
        "QueryRetrieveLevel=SERIES",
        f"StudyInstanceUID={PRIOR}",
        "SeriesInstanceUID",
        "Modality",
    )
    assert [(str(s.SeriesInstanceUID), s.Modality) for s in series] == [(f"{PRIOR}.1", "CT")]
    images = _find(
        tmp_path,
        "images",
        "WS_COUNTY",
        dicom_port,
        "QueryRetrieveLevel=IMAGE",
        f"StudyInstanceUID={PRIOR}",
        f"SeriesInstanceUID={PRIOR}.1",
        "SOPInstanceUID",
    )
    assert len(images) == 2
    # Another county's workstation finds nothing of the patient.
    assert (
        _find(
            tmp_path,
            "outside",
            "WS_OUTSIDE",
            dicom_port,
            "QueryRetrieveLevel=STUDY",
            f"PatientID={PATIENT_ID}",
            "StudyInstanceUID",
        )
        == []
    )
