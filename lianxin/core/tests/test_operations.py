"""What an operator meets: the command's help without configuration, one-line errors, escalation
scheduled by the workers themselves, spreadsheet formulas kept inert, the security headers."""

from __future__ import annotations

import csv
import datetime
import io
import os
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from lianxin.core import schedule
from lianxin.core.imports import run_import
from lianxin.core.models import ScheduledJob
from lianxin.core.spreadsheets import neutralise_formulas, safe_cell
from lianxin.patients.imports import ResidentImporter
from lianxin.patients.models import Patient

FORMULA = '=HYPERLINK("http://x.example/","点击")'  # fits a name (40 characters)


def _lianxin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIANXIN_", "SECRET_KEY"))}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-c", "from lianxin.cli import main; main()", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_lianxins_own_commands_without_any_configuration(tmp_path):
    result = _lianxin("--help")
    assert result.returncode == 0, result.stderr
    for command in ("demo", "serve", "worker", "import", "audit", "escalate"):
        assert f"\n  {command} " in result.stdout
    assert "Traceback" not in result.stderr


def test_a_commands_help_works_without_configuration(tmp_path):
    result = _lianxin("audit", "--help", env={"LIANXIN_MODE": "production"})
    assert result.returncode == 0, result.stderr
    assert "verify" in result.stdout and "hash chain" in result.stdout


def test_a_command_that_needs_configuration_says_what_is_missing_in_one_line(tmp_path):
    result = _lianxin("audit", "verify", env={"LIANXIN_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
def test_a_due_job_is_claimed_by_exactly_one_worker_per_period():
    every = datetime.timedelta(minutes=2)
    now = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)
    assert schedule.claim("escalate", every, now=now)
    assert not schedule.claim("escalate", every, now=now)  # a second worker at the same moment
    assert not schedule.claim("escalate", every, now=now + datetime.timedelta(minutes=1))
    assert schedule.claim("escalate", every, now=now + every)
    assert ScheduledJob.objects.get().last_run_at == now + every


@pytest.mark.django_db
def test_the_scheduler_enqueues_the_escalation_when_it_is_due(monkeypatch):
    ran = []
    from lianxin.core import tasks

    monkeypatch.setattr(tasks, "escalate_overdue", lambda: ran.append(1) or 0)
    now = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)
    assert schedule.run_due(now=now) == ["escalate"]
    assert schedule.run_due(now=now) == []
    assert ran == [1]  # the test settings run tasks at once, as the demo does


def test_text_that_would_start_a_formula_is_written_as_text():
    assert safe_cell(FORMULA) == "'" + FORMULA
    assert safe_cell("-5") == "'-5" and safe_cell(-5) == -5 and safe_cell("李四") == "李四"
    book = Workbook()
    book.active.append(["姓名", FORMULA])
    neutralise_formulas(book)
    out = io.BytesIO()
    book.save(out)
    cell = load_workbook(io.BytesIO(out.getvalue())).active["B1"]
    assert cell.data_type == "s" and cell.value == "'" + FORMULA


@pytest.mark.django_db
def test_a_formula_in_an_imported_workbook_is_stored_as_text_and_quoted_in_the_report(personas):
    book = Workbook()
    book.active.append(["name", "sex", "birth_date"])
    book.active.append([FORMULA, "男", "1970-01-01"])
    out = io.BytesIO()
    book.save(out)
    importer = ResidentImporter(actor=personas.admin, institution=personas.township_a)

    report = run_import(importer, out.getvalue(), filename="居民.xlsx")

    assert [r.status for r in report.rows] == ["created"]
    assert Patient.objects.filter(name=FORMULA).exists()  # the text itself, never its result
    written = list(csv.reader(io.StringIO(report.to_csv().decode("utf-8-sig"))))
    assert "'" + FORMULA in written[1]
    assert all(not cell.startswith("=") for line in written for cell in line)


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(personas):
    response = personas.client("doctor").get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    html = response.content.decode()
    assert "<script>" not in html and "onchange=" not in html and ' style="' not in html


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=3600, SECURE_SSL_REDIRECT=False)
def test_hsts_is_sent_when_secure_cookies_are_on(personas):
    response = personas.client("doctor").get(reverse("home"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "SECRET_KEY": "k" + "x9Qz!" * 12,
        "ALLOWED_HOSTS": "lianxin.example",
        "LIANXIN_DATA_DIR": str(tmp_path),
    }
    for secure in ("false", "true"):
        result = _lianxin(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            env={**env, "LIANXIN_SECURE_COOKIES": secure},
        )
        assert result.returncode == 0, result.stdout + result.stderr
