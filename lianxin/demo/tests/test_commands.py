"""``lianxin demo`` and ``lianxin serve``: modes, idempotence, argument parsing, the WSGI app."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lianxin.core.management.commands import serve as serve_module
from lianxin.interfaces.dicom import server as dicom_server
from lianxin.network.models import Institution
from lianxin.patients.models import Patient
from lianxin.testing.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

SMALL = ("--residents", "40", "--villages", "11")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_mode(settings):
    settings.DEMO_MODE = True


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(serve_module, "run_server", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr(dicom_server, "start", _dicom_start(calls))
    return calls


def _dicom_start(calls):
    """The DICOM service as the demo starts it, recorded instead of listening."""

    def start(host, port, ae_title, *, block=True):
        calls.append({"dicom": (host, port, ae_title, block)})
        return SimpleNamespace(server_address=(host, port))

    return start


def test_the_demo_command_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="demo mode"):
        run("demo", "--no-serve", *SMALL)
    assert not Institution.objects.exists()


def test_demo_no_serve_twice_builds_once(demo_mode, served):
    first = run("demo", "--no-serve", *SMALL)
    institutions = Institution.objects.count()
    second = run("demo", "--no-serve", "--residents", "99", "--villages", "11")
    assert "Built in" in first
    assert "already built" in second
    assert Institution.objects.count() == institutions
    assert Patient.objects.count() == 40
    for output in (first, second):
        assert "commission" in output and "lianxin-demo" in output
    assert served == []


def test_the_demo_will_not_build_into_a_database_holding_other_data(demo_mode):
    InstitutionFactory()
    with pytest.raises(CommandError, match="empty database"):
        run("demo", "--no-serve", *SMALL)


# A real transaction: PostgreSQL will not TRUNCATE (flush) tables with deferred constraint checks
# pending in the test's transaction. (No serialised rollback: restoring the serialised database
# collides with the content types that other tests' flushes re-create; the demo build syncs the
# catalogues it needs itself, and pytest-django runs transactional tests last.)
@pytest.mark.django_db(transaction=True)
def test_reset_builds_the_county_again(demo_mode, served):
    run("demo", "--no-serve", *SMALL)
    output = run("demo", "--no-serve", "--reset", "--residents", "25", "--villages", "11")
    assert "Built in" in output
    assert Patient.objects.count() == 25


def test_the_demo_prints_url_logins_and_build_time_before_serving(demo_mode, served):
    output = run("demo", *SMALL, "--port", "8123")
    assert "http://127.0.0.1:8123/" in output
    assert output.index("Built in") < output.index("Demo logins") < output.index("http://")
    for username in ("village", "township", "specialist", "network", "commission"):
        assert f"  {username} " in output
    options = served[-1]
    assert options["bind"] == "127.0.0.1:8123"
    assert (options["threads"], options["worker_class"]) == (4, "gthread")
    # One worker process per core by default.
    assert options["workers"] == serve_module.default_workers()


def test_the_demo_starts_the_dicom_service_beside_the_web_server(demo_mode, served):
    output = run("demo", *SMALL, "--hl7-port", "-1")
    assert served[0] == {"dicom": ("127.0.0.1", 11112, "LIANXIN", False)}
    assert "DICOM service: AE title LIANXIN on 127.0.0.1:11112" in output
    assert "CT_YXZX" in output
    served.clear()
    output = run("demo", "--hl7-port", "-1", "--dicom-port", "11400", "--dicom-ae-title", "PACS")
    assert served[0] == {"dicom": ("127.0.0.1", 11400, "PACS", False)}
    served.clear()
    output = run("demo", "--hl7-port", "-1", "--dicom-port", "-1")
    assert "DICOM" not in output and len(served) == 1


def test_the_demo_rejects_a_negative_resident_count(demo_mode):
    with pytest.raises(CommandError):
        run("demo", "--no-serve", "--residents", "-5")


def test_serve_defaults_to_localhost_port_8000(served, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    run("serve")
    [options] = served
    assert options["bind"] == "127.0.0.1:8000"
    assert options["threads"] == 4
    assert options["workers"] == serve_module.default_workers()


def test_serve_takes_host_port_and_threads(served, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    run("serve", "--host", "0.0.0.0", "--port", "8080", "--threads", "2", "--workers", "3")  # noqa: S104
    [options] = served
    assert options["bind"] == "0.0.0.0:8080"
    assert (options["threads"], options["workers"]) == (2, 3)


@pytest.mark.parametrize(
    "args",
    [
        ("--port", "0"),
        ("--port", "70000"),
        ("--port", "http"),
        ("--threads", "0"),
        ("--workers", "0"),
        ("--workers", "many"),
    ],
)
def test_serve_rejects_impossible_ports_and_thread_counts(served, args):
    with pytest.raises(CommandError):
        run("serve", *args)
    assert served == []


def test_the_wsgi_app_serves_pages_and_static_files(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    app = serve_module.wsgi_app()

    def get(path: str) -> tuple[str, bytes]:
        environ: dict = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
        setup_testing_defaults(environ)
        status = []
        body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
        return status[0], body

    status, body = get("/login/")
    assert status.startswith("200")
    assert b"<form" in body
    status, body = get("/static/lianxin/lianxin.css")
    assert status.startswith("200") and body


def test_serve_forks_worker_processes_that_answer(tmp_path):
    """The real server: ``lianxin serve --workers 2`` forks two worker processes under its master,
    and pages are answered (by whichever worker takes the connection)."""
    port = _free_port()
    env = {
        **os.environ,
        "LIANXIN_MODE": "demo",
        "LIANXIN_SQLITE_PATH": str(tmp_path / "serve.sqlite3"),
        "LIANXIN_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    assert r.status == 200
                    assert b"<form" in r.read()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode(errors="replace")
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.3)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2
        for _ in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                assert r.status == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_server_escalates_overdue_items_itself(demo_mode, served, monkeypatch):
    """No worker runs beside the demo: its process runs the scheduler (escalation every few
    minutes) while it serves, and stops it when the server stops."""
    from lianxin.core import schedule
    from lianxin.demo.management.commands import demo as demo_command

    events = []

    class Recorded(schedule.Scheduler):
        def start(self):
            events.append(("start", [job.name for job in schedule.jobs()]))

        def stop(self):
            events.append(("stop", None))

    monkeypatch.setattr(demo_command, "Scheduler", Recorded)
    run("demo", *SMALL, "--hl7-port", "-1", "--dicom-port", "-1")
    assert [name for name, _ in events] == ["start", "stop"]
    assert "escalate" in events[0][1]
    assert served and "bind" in served[-1]
