"""Bulk imports: the file reader, the per-row report and the residents importer."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from lianxin.core.idnumber import make_id_number
from lianxin.core.imports import (
    CellError,
    Column,
    FileError,
    ImportReport,
    Status,
    convert,
    map_headers,
    read_table,
    run_import,
)
from lianxin.core.models import AuditEvent
from lianxin.patients.imports import ResidentImporter
from lianxin.patients.models import Patient, PatientIdentifier
from lianxin.testing.factories import PatientFactory, register_at

HEADERS_ZH = ["姓名", "身份证号", "性别", "出生日期", "电话", "住址", "病历号"]
HEADERS_EN = ["name", "id_number", "sex", "birth_date", "phone", "address", "mrn"]


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source form."""
    with translation.override("en"):
        yield


def id_number(order: int, born: datetime.date = datetime.date(1972, 3, 8)) -> str:
    return make_id_number("350426", born, order)


def make_csv(rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def make_xlsx(rows: list[list], title: str = "Sheet1", extra_sheet: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("说明").append(["这一页不是数据"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def residents(personas, data: bytes, *, filename="居民.csv", dry_run=False, sheet=None, actor=None):
    importer = ResidentImporter(actor=actor or personas.admin, institution=personas.township_a)
    return run_import(importer, data, filename=filename, dry_run=dry_run, sheet=sheet)


def good_rows() -> list[list]:
    return [
        HEADERS_ZH,
        ["李四", id_number(11), "男", "1972-03-08", "13912345678", "城关镇东门村", "A-001"],
        ["王芳", id_number(12), "女", "", "0598-6123456", "", ""],
    ]


def messages_of(report: ImportReport, row: int) -> list[tuple[str, str]]:
    return next(r.messages for r in report.rows if r.row == row)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_imports_residents_from_csv_in_the_encodings_excel_writes(personas, encoding):
    report = residents(personas, make_csv(good_rows(), encoding))

    assert report.file_errors == []
    assert [(r.row, r.status) for r in report.rows] == [(2, "created"), (3, "created")]
    li = Patient.objects.get(id_number=id_number(11))
    assert li.name == "李四" and li.address == "城关镇东门村" and li.sex == "1"
    assert li.identifiers.get(institution=personas.township_a).value == "A-001"
    wang = Patient.objects.get(id_number=id_number(12))
    assert wang.sex == "2" and wang.birth_date == datetime.date(1972, 3, 8)
    assert wang.phone == "0598-6123456"
    assert wang.identifiers.get().value.startswith(personas.township_a.code)


def test_it_imports_residents_from_an_excel_workbook_with_typed_cells(personas):
    rows = [
        HEADERS_EN,
        # a real date cell and a phone number that Excel turned into an integer
        ["李四", id_number(11), "M", datetime.datetime(1972, 3, 8), 13912345678, "东门村", "A-1"],
        ["王芳", id_number(12), 2, "1972/3/8", None, None, 1002],
    ]
    report = residents(personas, make_xlsx(rows), filename="residents.xlsx")

    assert report.exit_code == 0, report.rows
    li = Patient.objects.get(id_number=id_number(11))
    assert li.phone == "13912345678" and li.birth_date == datetime.date(1972, 3, 8)
    wang = Patient.objects.get(id_number=id_number(12))
    assert wang.sex == "2"
    assert wang.identifiers.get().value == "1002"


def test_it_reads_a_named_sheet_and_names_the_sheets_when_it_is_missing(personas):
    data = make_xlsx(good_rows(), title="居民", extra_sheet=True)

    assert residents(personas, data, filename="r.xlsx", sheet="居民").totals["created"] == 2
    report = residents(personas, data, filename="r.xlsx", sheet="Sheet9")
    assert "居民, 说明" in report.file_errors[0]


def test_it_stores_the_good_rows_and_reports_each_bad_row_with_its_field_messages(personas):
    bad_checksum = id_number(21)[:-1] + ("0" if id_number(21)[-1] != "0" else "1")
    rows = [
        HEADERS_ZH,
        ["李四", id_number(11), "男", "", "13912345678", "", ""],
        ["", id_number(22), "", "", "", "", ""],  # no name
        ["赵六", bad_checksum, "", "", "", "", ""],
        ["钱七", id_number(23), "女", "", "", "", ""],  # order 23 is odd: a man's number
        ["孙八", "", "男", "1980-02-30", "12345", "", ""],
        ["王芳", id_number(12), "", "", "", "", ""],
    ]
    before = Patient.objects.count()

    report = residents(personas, make_csv(rows))

    assert [(r.row, r.status) for r in report.rows] == [
        (2, "created"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "created"),
    ]
    assert Patient.objects.count() == before + 2
    assert set(
        Patient.objects.filter(name__in=["李四", "王芳", "赵六", "钱七", "孙八"]).values_list(
            "name", flat=True
        )
    ) == {"李四", "王芳"}
    assert [label for label, _m in messages_of(report, 3)] == ["姓名"]
    assert messages_of(report, 4)[0][0] == "身份证号"
    assert "check character" in messages_of(report, 4)[0][1]
    assert messages_of(report, 5) == [("性别", "The sex does not match the ID number.")]
    labels = {label for label, _m in messages_of(report, 6)}
    assert labels == {"出生日期", "电话"}  # every problem of the row at once
    assert report.exit_code == 1


def test_each_bad_field_of_a_row_is_reported(personas):
    rows = [HEADERS_ZH, ["孙八", "", "男", "", "12345", "", ""]]

    report = residents(personas, make_csv(rows))

    assert {label for label, _m in report.rows[0].messages} == {"出生日期", "电话"}


def test_a_dry_run_checks_every_row_and_writes_nothing(personas):
    rows = [*good_rows(), ["", "", "男", "", "", "", ""]]
    patients, identifiers, audit = (
        Patient.objects.count(),
        PatientIdentifier.objects.count(),
        AuditEvent.objects.count(),
    )

    report = residents(personas, make_csv(rows), dry_run=True)

    assert report.dry_run
    assert [r.status for r in report.rows] == ["created", "created", "error"]
    assert Patient.objects.count() == patients
    assert PatientIdentifier.objects.count() == identifiers
    assert AuditEvent.objects.count() == audit


def test_a_repeated_id_number_is_reported_on_its_second_occurrence(personas):
    rows = [
        HEADERS_ZH,
        ["李四", id_number(11), "", "", "", "", ""],
        ["王芳", id_number(12), "", "", "", "", ""],
        ["李四", id_number(11).lower(), "", "", "", "", ""],
    ]

    report = residents(personas, make_csv(rows))

    assert [r.status for r in report.rows] == ["created", "created", "error"]
    assert messages_of(report, 4) == [("身份证号", "Same value as row 2 of this file.")]


def test_a_repeated_id_number_is_caught_in_a_dry_run_too(personas):
    rows = [HEADERS_ZH, ["李四", id_number(11), "", "", "", "", ""]] * 1
    rows.append(["李四", id_number(11), "", "", "", "", ""])

    report = residents(personas, make_csv(rows), dry_run=True)

    assert [r.status for r in report.rows] == ["created", "error"]


@pytest.mark.parametrize("cell", [350426197203080114.0, 350426197203080114, "3.50426E+17"])
def test_an_id_number_that_excel_turned_into_a_number_is_reported(personas, cell):
    rows = [HEADERS_EN, ["李四", cell, "男", "", "", "", ""]]

    report = residents(personas, make_xlsx(rows), filename="r.xlsx")

    assert report.rows[0].status == "error"
    label, message = report.rows[0].messages[0]
    assert label == "id_number" and "Text" in message
    assert not Patient.objects.filter(name="李四").exists()


def test_an_old_fifteen_digit_number_typed_as_a_number_is_still_read(personas):
    old = "350426720308011"  # 15 digits fit in Excel's precision
    rows = [HEADERS_EN, ["李四", int(old), "", "", "", "", ""]]

    report = residents(personas, make_xlsx(rows), filename="r.xlsx")

    assert report.rows[0].status == "created", report.rows[0].messages
    assert Patient.objects.get(name="李四").birth_date == datetime.date(1972, 3, 8)


def test_a_known_id_number_links_the_existing_patient_and_a_second_import_skips_it(personas):
    known = PatientFactory(name="周九", id_number=id_number(31), sex="1")
    register_at(known, personas.county_a)
    rows = [HEADERS_ZH, ["周九", id_number(31), "", "", "", "", "Z-9"]]

    first = residents(personas, make_csv(rows))
    second = residents(personas, make_csv(rows))

    assert first.rows[0].status == Status.EXISTING
    assert known.identifiers.get(institution=personas.township_a).value == "Z-9"
    assert second.rows[0].status == Status.SKIPPED
    assert Patient.objects.filter(id_number=id_number(31)).count() == 1


def test_each_created_patient_has_one_audit_row_naming_the_importer(personas):
    before = AuditEvent.objects.filter(action="patient.register").count()

    residents(personas, make_csv(good_rows()))

    events = AuditEvent.objects.filter(action="patient.register").order_by("seq")
    assert events.count() == before + 2
    assert {e.actor_id for e in events.reverse()[:2]} == {personas.admin.pk}


def test_missing_and_unknown_columns_are_listed_and_nothing_is_written(personas):
    before = Patient.objects.count()
    rows = [["身份证号", "血型", "性别"], [id_number(11), "A", "男"]]

    report = residents(personas, make_csv(rows))

    assert report.exit_code == 2 and report.rows == []
    text = " ".join(report.file_errors)
    assert "血型" in text and "Missing required columns" in text and "name" in text
    assert Patient.objects.count() == before


def test_headers_may_carry_required_marks_and_hints(personas):
    rows = [["姓名*", "身份证号 (18位)", "出生日期(YYYY-MM-DD)"], ["李四", id_number(11), ""]]

    report = residents(personas, make_csv(rows))

    assert report.totals["created"] == 1, report.file_errors


@pytest.mark.parametrize(
    ("content", "filename", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.csv", "not a CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
        (b"name,sex\n", "r.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 this is not a real zip", "r.xlsx", "not a readable Excel"),
        (b"", "empty.csv", "empty"),
        (b"\xff\xfe\x00\xd8garbage", "r.csv", "not a CSV"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_as_a_whole(
    personas, content, filename, fragment
):
    before = Patient.objects.count()

    report = residents(personas, content, filename=filename)

    assert report.exit_code == 2
    assert fragment in report.file_errors[0]
    assert Patient.objects.count() == before


def test_empty_rows_inside_are_skipped_and_empty_rows_at_the_end_are_ignored(personas):
    rows = [*good_rows()[:2], ["", "", "", "", "", "", ""], good_rows()[2], [], ["", ""]]

    report = residents(personas, make_csv(rows))

    assert [(r.row, r.status) for r in report.rows] == [
        (2, "created"),
        (3, "skipped"),
        (4, "created"),
    ]


def test_row_numbers_follow_the_sheet_when_the_header_is_not_on_the_first_row(personas):
    rows = [[None], HEADERS_ZH, ["李四", id_number(11), "男", None, None, None, None]]

    report = residents(personas, make_xlsx(rows), filename="r.xlsx")

    assert [(r.row, r.status) for r in report.rows] == [(3, "created")]


def test_too_many_rows_are_refused_before_anything_is_written(personas, monkeypatch):
    monkeypatch.setattr("lianxin.core.imports.MAX_ROWS", 2)
    rows = [*good_rows(), ["孙八", id_number(13), "", "", "", "", ""]]

    report = residents(personas, make_csv(rows))

    assert "more than 2 rows" in report.file_errors[0]
    assert not Patient.objects.filter(name="李四").exists()


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr("lianxin.core.imports.MAX_BYTES", 100)
    with pytest.raises(FileError, match="at most"):
        read_table(b"name\n" + b"x\n" * 100, "big.csv")


def test_a_tab_separated_unicode_text_file_from_excel_is_read():
    data = "姓名\t身份证号\n李四\t1\n".encode("utf-16")

    table = read_table(data, "r.txt")

    assert table.headers == ["姓名", "身份证号"] and table.rows == [(2, ["李四", "1"])]


def test_someone_without_the_import_permission_is_refused_before_reading(personas):
    report = residents(personas, make_csv(good_rows()), actor=personas.doctor)

    assert report.exit_code == 2 and "may not import" in report.file_errors[0]
    assert not Patient.objects.filter(name="李四").exists()


def test_the_report_masks_id_numbers_and_exports_to_csv_and_excel(personas):
    rows = [*good_rows(), ["", id_number(13), "", "", "", "", ""]]
    report = residents(personas, make_csv(rows))

    assert report.rows[0].key == "李四 350***********" + id_number(11)[-4:]
    exported = report.to_csv()
    assert exported.startswith("\ufeff".encode())
    text = exported.decode("utf-8-sig")
    assert id_number(11) not in text and id_number(13) not in text
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Row", "Status", "Record", "Messages"]
    assert lines[3][0] == "4" and lines[3][1] == "Error" and "姓名" in lines[3][3]

    sheet = load_workbook(io.BytesIO(report.to_xlsx())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:3] == [2, "Created", report.rows[0].key]
    assert all(id_number(11) not in str(v) for row in values for v in row)


def test_a_report_survives_the_round_trip_through_the_session(personas):
    report = residents(personas, make_csv([*good_rows(), ["", "", "男", "", "", "", ""]]))

    again = ImportReport.from_dict(report.to_dict())

    assert again.totals == report.totals
    assert again.rows[2].messages == report.rows[2].messages


def test_text_that_excel_would_run_as_a_formula_is_kept_as_text_in_the_report(personas):
    rows = [HEADERS_EN, ["=HYPERLINK(1)", "", "", "", "", "", ""]]
    report = residents(personas, make_csv(rows))

    sheet = load_workbook(io.BytesIO(report.to_xlsx())).active

    assert sheet["C2"].value.startswith("'=") and sheet["C2"].data_type == "s"


@settings(max_examples=200, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        st.text(max_size=200).map(lambda t: ("姓名,身份证号\n" + t).encode("gb18030")),
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
    ),
    filename=st.sampled_from(["a.csv", "a.xlsx", "a.txt", ""]),
)
def test_any_bytes_give_a_table_or_a_file_error_never_a_crash(data, filename):
    try:
        table = read_table(data, filename)
    except FileError as exc:
        assert exc.messages
        return
    try:
        map_headers(ResidentImporter(actor=None), table.headers)
    except FileError as exc:
        assert exc.messages


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.none(),
        st.text(max_size=30),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates().map(lambda d: d),
        st.datetimes(),
        st.booleans(),
    ),
    kind=st.sampled_from(["text", "identifier", "phone", "date", "integer", "decimal"]),
)
def test_any_cell_converts_or_gives_a_cell_error(value, kind):
    with contextlib.suppress(CellError):
        convert(Column("x", "x", kind=kind), value)
