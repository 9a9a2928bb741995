"""``lianxin import``: exit codes, printed report, report files, refusal without ``--as``."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from lianxin.cli import ALIASES
from lianxin.core.models import AuditEvent
from lianxin.core.tests.test_imports import HEADERS_ZH, good_rows, id_number, make_csv, make_xlsx
from lianxin.patients.models import Patient


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def run(capsys, *args: str) -> tuple[int, str]:
    """Run the command as ``lianxin import`` does; its exit code and what it printed.

    ``call_command`` rather than the console entry point: the latter closes the database
    connections when it ends, which would end the test's transaction on PostgreSQL."""
    code = 0
    try:
        call_command(ALIASES["import"], *args)
    except SystemExit as exc:
        code = exc.code or 0
    except CommandError as exc:  # the entry point prints it and exits with its return code
        code = exc.returncode
        print(exc)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def residents_file(tmp_path):
    def write(rows, name="residents.csv", encoding="utf-8-sig"):
        path = tmp_path / name
        data = make_xlsx(rows) if name.endswith(".xlsx") else make_csv(rows, encoding)
        path.write_bytes(data)
        return str(path)

    return write


def test_a_clean_file_exits_0_and_prints_the_totals(personas, capsys, residents_file):
    path = residents_file(good_rows())

    code, out = run(
        capsys, "residents", path, "--as", "admin", "--institution", personas.township_a.code
    )

    assert code == 0, out
    assert "2 rows: 2 created, 0 existing, 0 skipped, 0 errors" in out
    assert Patient.objects.filter(name__in=["李四", "王芳"]).count() == 2
    assert AuditEvent.objects.filter(action="patient.register", actor=personas.admin).count() == 2


def test_failed_rows_exit_1_are_printed_and_the_good_rows_are_stored(
    personas, capsys, residents_file
):
    path = residents_file([*good_rows(), ["", id_number(13), "", "", "", "", ""]], "r.xlsx")

    code, out = run(
        capsys, "residents", path, "--as", "admin", "--institution", personas.township_a.code
    )

    assert code == 1
    assert f"row 4 (350***********{id_number(13)[-4:]}): 姓名:" in out
    assert id_number(13) not in out
    assert "3 rows: 2 created, 0 existing, 0 skipped, 1 errors" in out
    assert Patient.objects.filter(name__in=["李四", "王芳"]).count() == 2


def test_a_dry_run_writes_nothing_and_says_so(personas, capsys, residents_file):
    path = residents_file(good_rows())

    code, out = run(
        capsys,
        "residents",
        path,
        "--as",
        "admin",
        "--institution",
        personas.township_a.code,
        "--dry-run",
    )

    assert code == 0
    assert "dry run, nothing written" in out
    assert not Patient.objects.filter(name="李四").exists()


def test_a_file_level_error_exits_2(personas, capsys, residents_file):
    path = residents_file([["身份证号"], [id_number(11)]])

    code, out = run(
        capsys, "residents", path, "--as", "admin", "--institution", personas.township_a.code
    )

    assert code == 2
    assert "FILE ERROR: Missing required columns" in out and "nothing was imported" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--institution", "X"], "--as USERNAME"),
        (["--as", "nobody", "--institution", "X"], "no active user named 'nobody'"),
        (["--as", "admin"], "needs --institution"),
        (["--as", "admin", "--institution", "NOPE"], "no institution with the code 'NOPE'"),
        (["--as", "admin", "--institution", "{code}", "--report", "r.pdf"], ".csv or .xlsx"),
    ],
)
def test_the_command_refuses_a_wrong_command_line_with_exit_2(
    personas, capsys, residents_file, args, message
):
    path = residents_file(good_rows())
    args = [arg.replace("{code}", personas.township_a.code) for arg in args]

    code, out = run(capsys, "residents", path, *args)

    assert code == 2
    assert message in out
    assert not Patient.objects.filter(name="李四").exists()


def test_a_missing_file_exits_2(personas, capsys, tmp_path):
    code, out = run(
        capsys,
        "residents",
        str(tmp_path / "missing.csv"),
        "--as",
        "admin",
        "--institution",
        personas.township_a.code,
    )

    assert code == 2 and "cannot read" in out


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_report_is_written_to_the_file_named(
    personas, capsys, residents_file, tmp_path, suffix
):
    path = residents_file([*good_rows(), ["", "", "男", "", "", "", ""]])
    report_path = tmp_path / f"report.{suffix}"

    code, _out = run(
        capsys,
        "residents",
        path,
        "--as",
        "admin",
        "--institution",
        personas.township_a.code,
        "--report",
        str(report_path),
    )

    assert code == 1
    if suffix == "csv":
        lines = list(csv.reader(io.StringIO(report_path.read_bytes().decode("utf-8-sig"))))
    else:
        sheet = load_workbook(report_path).active
        lines = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
    assert [line[:2] for line in lines[1:]] == [["2", "Created"], ["3", "Created"], ["4", "Error"]]


def test_it_reads_the_sheet_named(personas, capsys, residents_file, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["说明"])
    data = book.create_sheet("居民")
    for row in [HEADERS_ZH, ["李四", id_number(11), "", "", "", "", ""]]:
        data.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)

    code, out = run(
        capsys,
        "residents",
        str(path),
        "--as",
        "admin",
        "--institution",
        personas.township_a.code,
        "--sheet",
        "居民",
    )

    assert code == 0, out
    assert Patient.objects.filter(name="李四").exists()
