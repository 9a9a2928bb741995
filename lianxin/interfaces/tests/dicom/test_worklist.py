"""Modality Worklist (C-FIND) driven by dcmtk's findscu as a modality sends it: the township CT
gets its institution's scheduled CT orders (names in Chinese and pinyin, ID, birth date, sex,
accession number, requested procedure, scheduled date, time and station), matched on modality,
date range and patient ID; a workstation of another county gets nothing."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from django.utils import timezone
from pydicom import dcmread

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.tests.dicom.helpers import SERVER_AE, TIMEOUT

SPS = "ScheduledProcedureStepSequence[0]"


def _worklist(port: int, aet: str, out: Path, *keys: str) -> list:
    """findscu -W with the keys a modality sends, each answer extracted to a file."""
    out.mkdir(parents=True, exist_ok=True)
    asked = [
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "AccessionNumber",
        "RequestedProcedureDescription",
        "StudyInstanceUID",
        f"{SPS}.Modality",
        f"{SPS}.ScheduledStationAETitle",
        f"{SPS}.ScheduledProcedureStepStartDate",
        f"{SPS}.ScheduledProcedureStepStartTime",
    ]
    args = []
    for key in [*asked, *keys]:
        args += ["-k", key]
    command = ["findscu", "-W", "-X", "-od", str(out), "-aet", aet, "-aec", SERVER_AE]
    result = subprocess.run(
        [*command, *args, "127.0.0.1", str(port)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [dcmread(path) for path in sorted(out.glob("rsp*.dcm"))]


def test_the_township_ct_gets_todays_ct_orders_of_its_institution(
    dicom_port, devices, personas, centre, tmp_path
):
    ct = order(personas, "CT-CHEST")
    order(personas, "MR-HEAD")
    today = timezone.localdate().strftime("%Y%m%d")
    answers = _worklist(
        dicom_port,
        "CT_A1",
        tmp_path / "today",
        f"{SPS}.Modality=CT",
        f"{SPS}.ScheduledProcedureStepStartDate={today}",
    )
    assert [a.AccessionNumber for a in answers] == [ct.accession_number]
    (item,) = answers
    # The name as PN groups: pinyin (alphabetic) and Chinese characters (ideographic).
    assert item.PatientName.ideographic.replace("^", "") == "张三"
    assert item.PatientName.alphabetic.upper().replace("^", "") == "ZHANGSAN"
    assert item.PatientID and item.PatientSex in {"M", "F", "O"}
    assert item.RequestedProcedureDescription == ct.exam.name
    assert item.StudyInstanceUID
    step = item.ScheduledProcedureStepSequence[0]
    assert step.Modality == "CT" and step.ScheduledStationAETitle == "CT_A1"
    assert step.ScheduledProcedureStepStartDate == today and step.ScheduledProcedureStepStartTime


def test_matching_on_date_range_and_patient_id(dicom_port, devices, personas, centre, tmp_path):
    ct = order(personas, "CT-CHEST")
    today = timezone.localdate()
    week_ago = (today - datetime.timedelta(days=7)).strftime("%Y%m%d")
    yesterday = (today - datetime.timedelta(days=1)).strftime("%Y%m%d")
    assert (
        _worklist(
            dicom_port,
            "CT_A1",
            tmp_path / "past",
            f"{SPS}.ScheduledProcedureStepStartDate={week_ago}-{yesterday}",
        )
        == []
    )
    since = _worklist(
        dicom_port,
        "CT_A1",
        tmp_path / "since",
        f"{SPS}.ScheduledProcedureStepStartDate={week_ago}-",
    )
    assert [a.AccessionNumber for a in since] == [ct.accession_number]
    by_id = _worklist(dicom_port, "CT_A1", tmp_path / "id", f"PatientID={since[0].PatientID}")
    assert [a.AccessionNumber for a in by_id] == [ct.accession_number]
    assert _worklist(dicom_port, "CT_A1", tmp_path / "nobody", "PatientID=NO-SUCH-ID") == []


def test_a_workstation_of_another_county_gets_no_worklist(
    dicom_port, devices, personas, centre, tmp_path
):
    order(personas, "CT-CHEST")
    assert _worklist(dicom_port, "WS_OUTSIDE", tmp_path / "outside", f"{SPS}.Modality=CT") == []
