"""DICOM in and out: C-STORE ingest against Orthanc, worklist C-FIND with 10,000 scheduled orders,
and WADO-RS frame latency.

    .venv/bin/python bench/dicom_ingest.py [--instances 1000] [--orders 10000] [--port 18230]

On SQLite in a temporary folder (production settings). ``--instances`` files are made from
pydicom's bundled CT (``CT_small.dcm``, 128×128, 16-bit) with new UIDs, in 10 studies whose
accession numbers are 10 of the scheduled orders. dcmtk's ``storescu`` sends them on one
association to ``lianxin dicom`` (decode, file through Django's storage, index rows, order link,
commit, then the answer) and then the same files to an Orthanc started here with a temporary
configuration (its SQLite index and file storage). The figure is instances per second and the
ratio Lianxin / Orthanc.

The worklist: ``--orders`` CT orders scheduled over 30 days around today at the township; a
pynetdicom SCU (one association) asks for today's CT worklist (as a modality does in the
morning) and for one patient's items, ``--finds`` times each; p50/p95 of the round trip.

WADO-RS frames: ``lianxin serve`` (gunicorn) and a token-authenticated ``requests`` session ask
``--frames`` times for frame 1 of a random stored instance
(``multipart/related; type="application/octet-stream"``), then the same through WADO-URI.

Ports: ``--port`` (Lianxin DICOM), +1 and +2 (Orthanc HTTP and DICOM), +3 (Lianxin web).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import describe_ms, machine, server_environment, setup_django

STUDIES = 10


def _fixtures(orders: int):
    """Township A1's CT (registered AE CT_A1), the county imaging centre, a doctor with an API
    token, and ``orders`` CT orders scheduled over 30 days around today (200 patients)."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from lianxin.core.workflow import Status
    from lianxin.diagnostics import actions
    from lianxin.diagnostics.catalogue import sync_catalogue
    from lianxin.diagnostics.models import ExamItem, ExamOrder, ServiceAgreement
    from lianxin.network.ae import do_register_application_entity
    from lianxin.network.models import AERole
    from lianxin.testing.factories import (
        DepartmentFactory,
        PatientFactory,
        UserFactory,
        register_at,
    )
    from lianxin.testing.personas import build_personas

    sync_catalogue()
    personas = build_personas()
    imaging = DepartmentFactory(
        institution=personas.county_a,
        name="医共体影像中心",
        code="YXZX",
        kind="shared_centre",
        centre_type="imaging",
    )
    ServiceAgreement.objects.create(
        site=personas.township_a, centre=imaging, centre_type="imaging", starts_on="2020-01-01"
    )
    admin = UserFactory(username="bench_registrar", is_superuser=True)
    do_register_application_entity(
        actor=admin,
        institution=personas.township_a,
        ae_title="CT_A1",
        role=AERole.MODALITY,
        modality="CT",
        station_name="CT1",
    )
    exam = ExamItem.objects.get(code="CT-CHEST")
    patients = [personas.patient]
    for n in range(199):
        patient = PatientFactory(name=f"患者{n}")
        register_at(patient, personas.township_a)
        patients.append(patient)
    template = actions.do_order_exam(actor=personas.doctor, patient=personas.patient, exam=exam)
    now = timezone.now()
    rows = []
    for n in range(orders - 1):
        row = copy.copy(template)
        row.pk = row.id = None
        row.external_id = uuid.uuid4()
        row.accession_number = f"B{n:07d}"
        row.patient = patients[n % len(patients)]
        row.status = Status.REQUESTED
        row.scheduled_at = now + datetime.timedelta(minutes=(n * 4320 // orders) * 10 - 15 * 1440)
        rows.append(row)
    ExamOrder.objects.bulk_create(rows, batch_size=2000)
    token = Token.objects.create(user=personas.doctor)
    accessions = list(
        ExamOrder.objects.order_by("id").values_list("accession_number", flat=True)[:STUDIES]
    )
    return token.key, accessions, personas.patient


def _files(folder: Path, count: int, accessions: list[str]) -> list[tuple[str, str, str]]:
    from pydicom import dcmread
    from pydicom.data import get_testdata_file
    from pydicom.uid import generate_uid

    folder.mkdir(parents=True)
    source = dcmread(get_testdata_file("CT_small.dcm"))
    studies = [(generate_uid(), generate_uid(), acc) for acc in accessions]
    uids = []
    for n in range(count):
        study, series, accession = studies[n % len(studies)]
        ds = copy.deepcopy(source)
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.AccessionNumber = accession
        ds.InstanceNumber = n // len(studies) + 1
        ds.save_as(folder / f"{n:05d}.dcm", enforce_file_format=True)
        uids.append((study, series, str(ds.SOPInstanceUID)))
    return uids


def _storescu(folder: Path, port: int, called: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        ["storescu", "-aet", "CT_A1", "-aec", called, "+sd", "127.0.0.1", str(port), str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"storescu to {called} failed: {result.stderr[-2000:]}")
    return seconds


def _worklist(port: int, count: int, patient_id: str) -> tuple[list[float], list[float], int]:
    from pydicom.dataset import Dataset
    from pynetdicom import AE
    from pynetdicom.sop_class import ModalityWorklistInformationFind

    def query(step_date: str, patient: str) -> Dataset:
        ds = Dataset()
        ds.PatientName = ""
        ds.PatientID = patient
        ds.AccessionNumber = ""
        ds.StudyInstanceUID = ""
        step = Dataset()
        step.Modality = "CT"
        step.ScheduledStationAETitle = "CT_A1"
        step.ScheduledProcedureStepStartDate = step_date
        step.ScheduledProcedureStepStartTime = ""
        ds.ScheduledProcedureStepSequence = [step]
        return ds

    ae = AE(ae_title="CT_A1")
    ae.add_requested_context(ModalityWorklistInformationFind)
    assoc = ae.associate("127.0.0.1", port, ae_title="LIANXIN")
    if not assoc.is_established:
        raise SystemExit("worklist association refused")
    today = datetime.date.today().strftime("%Y%m%d")
    timings: dict[str, list[float]] = {"today": [], "patient": []}
    answers = 0
    try:
        for _ in range(count):
            for name, identifier in (
                ("today", query(today, "")),
                ("patient", query(f"{today[:6]}01-{today}", patient_id)),
            ):
                started = time.perf_counter()
                answered = assoc.send_c_find(identifier, ModalityWorklistInformationFind)
                found = sum(1 for status, _ds in answered if status and status.Status == 0xFF00)
                timings[name].append(time.perf_counter() - started)
                if name == "today":
                    answers = found
    finally:
        assoc.release()
    return timings["today"], timings["patient"], answers


def _wait_port(port: int, process: subprocess.Popen) -> None:
    import socket

    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit("lianxin dicom stopped")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("lianxin dicom did not start")


def _wait_http(url: str, process: subprocess.Popen) -> None:
    import requests

    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit("lianxin serve stopped")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("lianxin serve did not start")


def _frames(base: str, token: str, uids: list, count: int) -> tuple[list[float], list[float]]:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    rng = random.Random(12)
    frames, uri = [], []
    for _ in range(count):
        study, series, sop = rng.choice(uids)
        started = time.perf_counter()
        answer = session.get(
            f"{base}/dicomweb/studies/{study}/series/{series}/instances/{sop}/frames/1",
            headers={"Accept": 'multipart/related; type="application/octet-stream"'},
            timeout=30,
        )
        frames.append(time.perf_counter() - started)
        if answer.status_code != 200 or len(answer.content) < 128 * 128 * 2:
            raise SystemExit(f"frame request failed: {answer.status_code} {answer.text[:200]}")
        started = time.perf_counter()
        answer = session.get(
            f"{base}/dicomweb/wado?requestType=WADO&studyUID={study}&seriesUID={series}"
            f"&objectUID={sop}&contentType=application/dicom",
            timeout=30,
        )
        uri.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"WADO-URI request failed: {answer.status_code}")
    return frames, uri


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str]):
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--finds", type=int, default=20, help="worklist queries of each kind")
    parser.add_argument("--frames", type=int, default=200, help="WADO-RS frame requests")
    parser.add_argument("--port", type=int, default=18230)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        env = server_environment("", str(folder / "data"))
        env.pop("DATABASE_URL")
        env["LIANXIN_SQLITE_PATH"] = str(folder / "bench.sqlite3")
        setup_django(env)
        from django.core.management import call_command
        from django.db import connections

        from lianxin.interfaces.models import Instance
        from lianxin.testing import orthanc

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        token, accessions, patient = _fixtures(args.orders)
        print(f"fixtures: {args.orders} scheduled orders in {time.perf_counter() - started:.1f} s")
        uids = _files(folder / "files", args.instances, accessions)
        patient_id = str(patient.external_id)
        connections.close_all()

        python = [sys.executable, "-m", "lianxin.cli"]
        dicom = [*python, "dicom", "--host", "127.0.0.1", "--port", str(args.port)]
        with _process(dicom, env) as listener:
            print(listener.stdout.readline().strip())
            _wait_port(args.port, listener)
            lianxin_s = _storescu(folder / "files", args.port, "LIANXIN")
            stored = Instance.objects.count()
            today, one_patient, answers = _worklist(args.port, args.finds, patient_id)
        orthanc_s = None
        reason = orthanc.missing()
        if not reason:
            with orthanc.running(
                folder / "orthanc", http_port=args.port + 1, dicom_port=args.port + 2
            ) as archive:
                orthanc_s = _storescu(folder / "files", archive.dicom_port, archive.ae_title)
                held = orthanc.get_json(f"{archive.url}/statistics")["CountInstances"]
        serve = [*python, "serve", "--host", "127.0.0.1", "--port", str(args.port + 3)]
        base = f"http://127.0.0.1:{args.port + 3}"
        with _process(serve, env) as web:
            _wait_http(f"{base}/login/", web)
            frames, uri = _frames(base, token, uids, args.frames)

    print(machine())
    print(f"C-STORE, {args.instances} instances of CT_small.dcm (128x128, 16-bit), one association")
    lianxin_rate = args.instances / lianxin_s
    print(f"  Lianxin: {lianxin_rate:7.1f} instances/s ({lianxin_s:.1f} s, {stored} indexed)")
    if orthanc_s is not None:
        orthanc_rate = args.instances / orthanc_s
        print(f"  Orthanc: {orthanc_rate:7.1f} instances/s ({orthanc_s:.1f} s, {held} held)")
        print(f"  ratio Lianxin/Orthanc: {lianxin_rate / orthanc_rate:.2f} (aim >= 0.5)")
    else:
        print(f"  Orthanc: not measured ({reason})")
    print(f"worklist C-FIND with {args.orders} scheduled orders, {args.finds} queries each")
    print(f"  today's CT worklist ({answers} items): {describe_ms(today)}")
    print(f"  one patient's items this month:       {describe_ms(one_patient)}")
    print(f"WADO-RS frame 1 of a random instance, {args.frames} requests: {describe_ms(frames)}")
    print(f"WADO-URI instance file, {args.frames} requests:           {describe_ms(uri)}")


if __name__ == "__main__":
    main()
