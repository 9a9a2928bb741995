"""The DICOM service killed (-9) in the middle of a transfer from dcmtk's storescu: every
instance it acknowledged is stored after the restart (its index row and its whole file), the
modality's re-sends are stored once, and no file is left without its row."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from pydicom import dcmread

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.tests.dicom.helpers import CT, SERVER_AE, TIMEOUT, relabel

pytestmark = pytest.mark.django_db(transaction=True)

FILES = 150
KILL_AFTER = 8  # instances in the index when the service is killed
PORTS = range(41700, 41800)  # this suite's share of the machine's ports


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def _environment(tmp_path: Path):
    """The service's environment (its database: this test's) and a query on that database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        LIANXIN_MODE="test",
        DJANGO_SETTINGS_MODULE="lianxin.settings",
        LIANXIN_DATA_DIR=str(tmp_path / "data"),
    )
    if connection.vendor == "sqlite":
        # The test database lives in memory: the service gets a copy of it in a file.
        path = tmp_path / "lianxin.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        env["LIANXIN_SQLITE_PATH"] = str(path)
        env.pop("DATABASE_URL", None)

        def query(sql: str, params: tuple = ()) -> list[tuple]:
            with sqlite3.connect(path) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
    else:
        name = connection.settings_dict["NAME"]
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{name}"

        def query(sql: str, params: tuple = ()) -> list[tuple]:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

    return env, query


def _start(env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "dicom", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert "DICOM service" in process.stdout.readline()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        echo = subprocess.run(
            ["echoscu", "-aet", "CT_A1", "-aec", SERVER_AE, "127.0.0.1", str(port)],
            capture_output=True,
            timeout=TIMEOUT,
        )
        if echo.returncode == 0:
            return process, port
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the DICOM service did not answer")


def _acknowledged(output: str) -> list[str]:
    """The files storescu had a success response for, in order (``-v`` names each file before
    its request, and prints the response's status)."""
    acked, current = [], None
    for line in output.splitlines():
        sending = re.search(r"Sending file: (.+\.dcm)\s*$", line)
        if sending:
            current = sending.group(1).strip()
        elif "Received Store Response (Success)" in line and current:
            acked.append(current)
            current = None
    return acked


INDEXED = "SELECT sop_instance_uid, file, sha256 FROM interfaces_instance"


def test_every_instance_acknowledged_before_a_kill_9_is_stored_after_the_restart(
    personas, centre, devices, tmp_path
):
    item = order(personas, "CT-CHEST")
    study_uid = "1.2.826.0.1.3680043.8.498.99"
    files = [
        relabel(
            CT,
            tmp_path / "send" / f"ct{n:03d}.dcm",
            accession=item.accession_number,
            study_uid=study_uid,
            series_uid=study_uid + ".1",
            instance_number=n,
        )
        for n in range(1, FILES + 1)
    ]
    uid_of = {
        str(path): str(dcmread(path, stop_before_pixels=True).SOPInstanceUID) for path in files
    }
    env, query = _environment(tmp_path)
    process, port = _start(env)
    sender = subprocess.Popen(
        ["storescu", "-v", "-aet", "CT_A1", "-aec", SERVER_AE, "127.0.0.1", str(port)]
        + [str(p) for p in files],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while len(query(INDEXED)) < KILL_AFTER and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    output, _ = sender.communicate(timeout=TIMEOUT)
    acked = _acknowledged(output)
    assert KILL_AFTER - 1 <= len(acked) < FILES, output[-2000:]
    assert sender.returncode != 0

    media = tmp_path / "data" / "media"
    process, port = _start(env)
    try:
        rows = {uid: (name, sha) for uid, name, sha in query(INDEXED)}
        # Every acknowledged instance survived, whole: its row, and its file as it was sent.
        for path in acked:
            name, sha = rows[uid_of[path]]
            assert hashlib.sha256((media / name).read_bytes()).hexdigest() == sha
            sent, kept = dcmread(path), dcmread(media / name)
            assert kept.SOPInstanceUID == sent.SOPInstanceUID
            assert kept.PixelData == sent.PixelData
        # The modality sends again what it has no success for, and the last one it had again.
        again = [str(p) for p in files if str(p) not in acked] + [acked[-1]]
        resend = subprocess.run(
            ["storescu", "-aet", "CT_A1", "-aec", SERVER_AE, "127.0.0.1", str(port), *again],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
        )
        assert resend.returncode == 0, resend.stdout + resend.stderr
        rows = query(INDEXED)
        assert sorted(uid for uid, _n, _s in rows) == sorted(uid_of.values())
        on_disk = {str(p.relative_to(media)) for p in media.rglob("*.dcm")}
        assert on_disk == {name for _uid, name, _sha in rows}
        ((count, series),) = query(
            "SELECT instance_count, series_count FROM interfaces_study WHERE study_uid = %s",
            (study_uid,),
        )
        assert (count, series) == (FILES, 1)
        ((status, images),) = query(
            "SELECT status, image_count FROM diagnostics_examorder WHERE id = %s", (item.pk,)
        )
        assert status == "in-progress" and images == FILES
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
