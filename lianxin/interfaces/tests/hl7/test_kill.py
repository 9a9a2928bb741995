"""The listener killed (-9) in the middle of a stream: every message it acknowledged AA is
stored after the restart, and the sender's re-sends are not stored twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from hl7.client import MLLPClient

from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.tests.hl7.messages import ack_code, oru

pytestmark = pytest.mark.django_db(transaction=True)


def _start(env: dict) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lianxin.cli", "hl7", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()
    assert "HL7 MLLP listener on" in line, line
    return process, int(line.rsplit(":", 1)[1])


def _environment(tmp_path: Path) -> tuple[dict, callable]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(LIANXIN_MODE="test", DJANGO_SETTINGS_MODULE="lianxin.settings")
    if connection.vendor == "sqlite":
        # The test database lives in memory: the listener gets a copy of it in a file.
        path = tmp_path / "lianxin.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        env["LIANXIN_SQLITE_PATH"] = str(path)
        env.pop("DATABASE_URL", None)

        def stored() -> set[str]:
            with sqlite3.connect(path) as db:
                rows = db.execute(
                    "SELECT m.control_id FROM interfaces_hl7message m JOIN diagnostics_report r "
                    "ON r.order_id = m.order_id WHERE m.outcome = 'AA' AND r.status = 'signed'"
                )
                return {row[0] for row in rows}
    else:
        name = connection.settings_dict["NAME"]
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{name}"

        def stored() -> set[str]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT m.control_id FROM interfaces_hl7message m JOIN diagnostics_report r "
                    "ON r.order_id = m.order_id WHERE m.outcome = 'AA' AND r.status = 'signed'"
                )
                return {row[0] for row in cursor.fetchall()}

    return env, stored


def test_every_message_acknowledged_before_a_kill_9_is_stored_after_the_restart(
    personas, lab_system, tmp_path
):
    orders = [order(personas, "GLU") for _ in range(16)]
    messages = [
        (f"K9-{n}", oru(f"K9-{n}", o.accession_number, (("2345-7", "5.1", "mmol/L", "", "", "F"),)))
        for n, o in enumerate(orders)
    ]
    env, stored = _environment(tmp_path)
    process, port = _start(env)
    acked: list[str] = []
    ten = threading.Event()

    def stream() -> None:
        try:
            with MLLPClient("127.0.0.1", port) as client:
                for control_id, message in messages:
                    code, _text = ack_code(client.send_message(message))
                    if code == "AA":
                        acked.append(control_id)
                    if len(acked) == 6:
                        ten.set()
        except (OSError, ValueError, IndexError):
            pass  # the listener died under us
        finally:
            ten.set()

    sender = threading.Thread(target=stream)
    sender.start()
    assert ten.wait(60)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    sender.join(30)
    assert 6 <= len(acked) < len(messages)

    process, port = _start(env)
    try:
        assert set(acked) <= stored()
        # The laboratory re-sends everything it has no ACK for, and the last ACKed one again.
        with MLLPClient("127.0.0.1", port) as client:
            again = [m for cid, m in messages if cid not in acked] + [messages[len(acked) - 1][1]]
            answers = [ack_code(client.send_message(m))[0] for m in again]
        assert set(answers) == {"AA"}
        assert stored() == {cid for cid, _m in messages}
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
