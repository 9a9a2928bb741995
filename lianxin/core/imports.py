"""Bulk imports from CSV or Excel with a per-row report.

An importer (one per kind, in its app's ``imports.py``) declares its columns and turns one row into
a call of the app's action function. This module reads the file, maps the headers, converts cell
values, runs each row in its own savepoint and collects the report: a bad row writes nothing, the
good rows are stored, and a problem with the file itself stops everything before the first write.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.db import models as db_models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianxin.core.errors import ActionError
from lianxin.core.spreadsheets import safe_row

logger = logging.getLogger(__name__)

# Large enough for a county's residents in one file, small enough to finish in one sitting.
MAX_ROWS = getattr(settings, "LIANXIN_IMPORT_MAX_ROWS", 100_000)
MAX_BYTES = getattr(settings, "LIANXIN_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# An .xlsx is a zip: refuse one that would inflate far beyond what a real sheet needs.
MAX_UNZIPPED_BYTES = 20 * MAX_BYTES


class FileError(Exception):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, messages: str | Iterable[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


class Status(db_models.TextChoices):
    CREATED = "created", gettext_lazy("Created")
    EXISTING = "existing", gettext_lazy("Existing, linked")
    SKIPPED = "skipped", gettext_lazy("Skipped")
    ERROR = "error", gettext_lazy("Error")


@dataclass(frozen=True)
class Column:
    """A column an importer understands: its key, the headers people write for it, its type."""

    key: str
    label: Any  # shown when the file does not name the column itself (lazy translation)
    headers: tuple[str, ...] = ()
    required: bool = False
    kind: str = "text"  # text, identifier, phone, date, integer, decimal


@dataclass
class RowResult:
    row: int
    status: str
    key: str = ""
    messages: list[tuple[str, str]] = field(default_factory=list)  # (field label, message)

    @property
    def is_error(self) -> bool:
        return self.status == Status.ERROR


@dataclass
class ImportReport:
    kind: str
    filename: str = ""
    dry_run: bool = False
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for row in self.rows:
            counts[row.status] += 1
        counts["rows"] = len(self.rows)
        return counts

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.is_error for row in self.rows)

    @property
    def exit_code(self) -> int:
        """0 every row went in, 1 some rows failed, 2 the file itself was refused."""
        if self.file_errors:
            return 2
        return 1 if self.has_errors else 0

    def errors(self) -> list[RowResult]:
        return [row for row in self.rows if row.is_error]

    def to_dict(self) -> dict[str, Any]:
        """A compact form for the session (the web page keeps the last report there)."""
        return {
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "file_errors": self.file_errors,
            "rows": [[r.row, r.status, r.key, [list(m) for m in r.messages]] for r in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportReport:
        return cls(
            kind=data["kind"],
            filename=data.get("filename", ""),
            dry_run=data.get("dry_run", False),
            file_errors=list(data.get("file_errors", [])),
            rows=[
                RowResult(row, status, key, [tuple(m) for m in messages])
                for row, status, key, messages in data.get("rows", [])
            ],
        )

    def table(self) -> list[list[Any]]:
        """Header and one line per row, as the CSV and Excel downloads show them."""
        labels = dict(Status.choices)
        lines: list[list[Any]] = [[_("Row"), _("Status"), _("Record"), _("Messages")]]
        lines += [[_("File"), labels[Status.ERROR], self.filename, m] for m in self.file_errors]
        for r in self.rows:
            text = "; ".join(f"{label}: {msg}" if label else msg for label, msg in r.messages)
            lines.append([r.row, str(labels.get(r.status, r.status)), r.key, text])
        return lines

    def to_csv(self) -> bytes:
        """UTF-8 with a byte-order mark: without it, Chinese Excel reads the file as GBK."""
        out = io.StringIO()
        csv.writer(out).writerows(safe_row(line) for line in self.table())
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    def to_xlsx(self) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font, PatternFill

        book = Workbook(write_only=False)
        sheet = book.active
        sheet.title = _("Import report")[:31]
        for line in self.table():
            sheet.append(safe_row(line))
        sheet["A1"].font = sheet["B1"].font = sheet["C1"].font = sheet["D1"].font = Font(bold=True)
        fill = PatternFill("solid", fgColor="FFE0E0")
        error_label = str(dict(Status.choices)[Status.ERROR])
        for cells in sheet.iter_rows(min_row=2):
            if cells[1].value == error_label:
                for cell in cells:
                    cell.fill = fill
        for letter, width in (("A", 8), ("B", 14), ("C", 30), ("D", 80)):
            sheet.column_dimensions[letter].width = width
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Reading the file


@dataclass
class Table:
    headers: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cell values)


def read_table(
    data: bytes, filename: str = "", sheet: str | None = None, max_rows: int | None = None
) -> Table:
    """Read a CSV or XLSX file into rows; the first non-empty row holds the headers."""
    max_rows = max_rows or MAX_ROWS
    if len(data) > MAX_BYTES:
        raise FileError(
            _("The file is %(size)s MB; at most %(max)s MB can be imported at once.")
            % {"size": round(len(data) / 1048576, 1), "max": MAX_BYTES // 1048576}
        )
    if not data.strip():
        raise FileError(_("The file is empty."))
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(data, sheet)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileError(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or CSV.")
        )
    elif name.endswith((".xlsx", ".xlsm")):
        raise FileError(_("The file is named .xlsx but is not an Excel workbook."))
    else:
        rows = _csv_rows(data)
    header_row, headers, body = 0, None, []
    for number, values in rows:
        if len(body) > max_rows:
            raise FileError(
                _("The file has more than %(max)d rows; split it into smaller files.")
                % {"max": max_rows}
            )
        if headers is None:
            if any(_is_filled(v) for v in values):
                header_row, headers = number, list(values)
            continue
        body.append((number, list(values)))
    if headers is None:
        raise FileError(_("The file has no header row."))
    while body and not any(_is_filled(v) for v in body[-1][1]):
        body.pop()  # spreadsheets often carry formatted but empty rows at the end
    if len(body) > max_rows:
        raise FileError(
            _("The file has more than %(max)d rows; split it into smaller files.")
            % {"max": max_rows}
        )
    return Table(headers=headers, header_row=header_row, rows=body)


def _is_filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), or GB18030 — the
    superset of GBK that Chinese Excel writes CSV in by default."""
    if data[:2] in {b"\xff\xfe", b"\xfe\xff"}:
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            # GB18030 decodes many binary files; real text has no control characters.
            if not CONTROL_RE.search(text):
                return text
    raise FileError(
        _(
            "The file is not a CSV text file in UTF-8 or GBK, nor an Excel workbook (.xlsx). "
            "Save it from Excel as 'CSV UTF-8' or as an Excel workbook."
        )
    )


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise FileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise FileError(_("The workbook is too large once unpacked."))
        # Not data_only: a formula cell gives its text, stored as text (never a computed value
        # or an empty cell from a file that was not recalculated); exports quote it again.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except FileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors for a damaged file
        raise FileError(_("The file is not a readable Excel workbook (.xlsx).")) from exc
    try:
        if sheet:
            if sheet not in book.sheetnames:
                raise FileError(
                    _("The workbook has no sheet named %(sheet)s; its sheets are: %(names)s.")
                    % {"sheet": sheet, "names": ", ".join(book.sheetnames)}
                )
            worksheet = book[sheet]
        else:
            worksheet = book.worksheets[0]
        # Numbering by position keeps the row numbers of the sheet, empty rows included.
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except FileError:
        raise
    except Exception as exc:
        raise FileError(_("The file is not a readable Excel workbook (.xlsx).")) from exc
    finally:
        book.close()


def normalise_header(text: Any) -> str:
    """``"身份证号 *"``, ``"ID Number"``, ``"id_number"`` → comparable keys."""
    value = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    value = value.rstrip("*").strip()
    value = re.sub(r"\(.*?\)$", "", value).strip()  # "出生日期(yyyy-mm-dd)"
    return re.sub(r"[\s_\-]+", "", value)


# ---------------------------------------------------------------------------------------------
# Converting cells

SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return " ".join(str(value).split())


def convert(column: Column, value: Any) -> Any:
    """One cell to the value the action wants; ``CellError`` with a message a person can act on."""
    if column.kind == "identifier":
        # Excel keeps 15 significant digits: an 18-digit number typed into a General cell loses
        # its tail (3.50426E+17, 350426196005171000). The loss cannot be undone, only reported.
        if isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer() and len(str(int(value))) <= 15:
                return str(int(value))
            raise CellError(
                _(
                    "Excel stored this number as a number and lost its last digits; format the "
                    "column as Text and type the number again."
                )
            )
        text = _text(value)
        if SCIENTIFIC_RE.match(text):
            raise CellError(
                _(
                    "This number was saved in scientific notation (%(text)s) and lost digits; "
                    "format the column as Text in Excel and type the number again."
                )
                % {"text": text}
            )
        return text
    if column.kind == "phone":
        if isinstance(value, float) and not value.is_integer():
            raise CellError(_("Enter the phone number as digits."))
        return _text(value)
    if column.kind == "date":
        return _date(value)
    if column.kind == "integer":
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            raise CellError(_("Enter a whole number."))
        return int(text)
    if column.kind == "decimal":
        text = _text(value)
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise CellError(_("Enter a number.")) from exc
    return _text(value)


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 19000101 <= value <= 29991231 and float(value).is_integer():
            value = str(int(value))  # 19600517 typed as a number
        elif 1 <= value < 2958466:
            # An Excel serial day number: the cell holds a date but was formatted as General.
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(
        _("%(text)s is not a date; write it as 1960-05-17.") % {"text": str(value)[:30]}
    )


# ---------------------------------------------------------------------------------------------
# Running an import


class Importer:
    """Base for one kind of import. Subclasses set ``kind``, ``label`` and ``columns`` and
    implement ``import_row``; ``identities`` and ``describe`` refine the report."""

    kind: str = ""
    label: Any = ""
    columns: tuple[Column, ...] = ()
    needs_institution: bool = False

    def __init__(self, *, actor: Any, institution: Any = None):
        self.actor = actor
        self.institution = institution

    def check_allowed(self) -> None:
        """Raise ``FileError`` when the actor may not run this import at all."""

    def describe(self, values: Mapping[str, Any]) -> str:
        """The row's key in the report (never an ID number in clear)."""
        return str(values.get("name", ""))

    def identities(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(field, value) pairs that must not repeat inside one file."""
        return []

    def import_row(
        self, values: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> tuple[str, list[str]]:
        """Write one row through the app's action; return (status, notes).

        ``errors`` holds what the reader already found wrong (a cell that is not a date, a
        repeated ID number): add to it, and pass it to ``call_action`` so that the action's own
        messages join them and nothing is written."""
        raise NotImplementedError


class _Discard(Exception):
    pass


def call_action(errors: dict[str, list[str]], action: Any, **kwargs: Any) -> Any:
    """Call ``action``; when the importer already found errors in the row (an unknown code, a
    word it could not read), the action still runs, in a savepoint that is rolled back, so that
    the report lists its field messages too and the person fixes the row in one go."""
    if not errors:
        return action(**kwargs)
    try:
        with transaction.atomic():
            action(**kwargs)
            raise _Discard
    except _Discard:
        pass
    except ValidationError as exc:
        for key, messages in getattr(exc, "message_dict", {NON_FIELD_ERRORS: exc.messages}).items():
            if key not in errors:
                errors[key] = list(messages)
    raise ValidationError(errors)


def map_headers(importer: Importer, headers: list[Any]) -> dict[int, Column]:
    """Column position → Column; unknown, repeated or missing columns are a file-level error."""
    lookup: dict[str, Column] = {}
    for column in importer.columns:
        for name in (column.key, str(column.label), *column.headers):
            lookup[normalise_header(name)] = column
    mapping: dict[int, Column] = {}
    unknown, repeated = [], []
    for position, header in enumerate(headers):
        if not _is_filled(header):
            continue
        column = lookup.get(normalise_header(header))
        if column is None:
            unknown.append(str(header).strip())
        elif column in mapping.values():
            repeated.append(str(header).strip())
        else:
            mapping[position] = column
    problems = []
    if unknown:
        problems.append(
            _("Unknown columns: %(names)s. Known columns: %(known)s.")
            % {
                "names": ", ".join(unknown),
                "known": ", ".join(f"{c.label} ({c.key})" for c in importer.columns),
            }
        )
    if repeated:
        problems.append(_("Columns given twice: %(names)s.") % {"names": ", ".join(repeated)})
    missing = [c for c in importer.columns if c.required and c not in mapping.values()]
    if missing:
        problems.append(
            _("Missing required columns: %(names)s.")
            % {"names": ", ".join(f"{c.label} ({c.key})" for c in missing)}
        )
    if problems:
        raise FileError(problems)
    return mapping


def _messages(exc: ValidationError, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    if not hasattr(exc, "error_dict"):
        return [("", message) for message in exc.messages]
    out = []
    for key, messages in exc.message_dict.items():
        label = "" if key == NON_FIELD_ERRORS else labels.get(key, key)
        out += [(label, message) for message in messages]
    return out


def run_import(
    importer: Importer,
    data: bytes,
    *,
    filename: str = "",
    sheet: str | None = None,
    dry_run: bool = False,
    max_rows: int | None = None,
) -> ImportReport:
    """Import every row; with ``dry_run`` validate the same way and roll everything back."""
    report = ImportReport(kind=importer.kind, filename=filename, dry_run=dry_run)
    try:
        importer.check_allowed()
        table = read_table(data, filename, sheet, max_rows)
        mapping = map_headers(importer, table.headers)
    except FileError as exc:
        report.file_errors = exc.messages
        return report
    labels = {column.key: str(column.label) for column in importer.columns}
    # The report names a field the way the file does.
    labels.update({column.key: str(table.headers[pos]).strip() for pos, column in mapping.items()})
    seen: dict[tuple[str, str], int] = {}
    # A dry run keeps the rows of one file visible to the next (parents, duplicates) inside one
    # transaction that is rolled back. A real import commits row by row, so a long file does not
    # hold the audit chain's lock for its whole length.
    outer = transaction.atomic() if dry_run else nullcontext()
    with outer:
        for number, cells in table.rows:
            report.rows.append(_import_one(importer, number, cells, mapping, labels, seen))
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_one(
    importer: Importer,
    number: int,
    cells: list[Any],
    mapping: Mapping[int, Column],
    labels: Mapping[str, str],
    seen: dict[tuple[str, str], int],
) -> RowResult:
    if not any(_is_filled(cell) for cell in cells):
        return RowResult(number, Status.SKIPPED, "", [("", _("Empty row."))])
    values: dict[str, Any] = {column.key: None for column in importer.columns}
    errors: list[tuple[str, str]] = []
    for position, column in mapping.items():
        raw = cells[position] if position < len(cells) else None
        try:
            values[column.key] = convert(column, raw)
        except CellError as exc:
            errors.append((column.key, str(exc)))
    result = RowResult(number, Status.ERROR, _describe(importer, values))
    for key, value in importer.identities(values):
        if not value:
            continue
        first = seen.setdefault((key, value), number)
        if first != number:
            errors.append((key, _("Same value as row %(row)d of this file.") % {"row": first}))
    found: dict[str, list[str]] = {}
    for key, message in errors:
        found.setdefault(key, []).append(message)
    try:
        with transaction.atomic():
            status, notes = importer.import_row(values, found)
            if found:  # an importer that returned despite the errors still writes nothing
                raise ValidationError(found)
        result.status, result.messages = status, [("", note) for note in notes]
    except ValidationError as exc:
        result.messages = _messages(exc, labels)
    except ActionError as exc:
        result.messages = [("", str(exc))]
    except DatabaseError:
        logger.exception("import row %d of %s failed in the database", number, importer.kind)
        result.messages = [("", _("The database refused this row; check its values."))]
    except Exception:
        # One row must not end the import (nor show a 500); the log keeps the details.
        logger.exception("import row %d of %s failed", number, importer.kind)
        result.messages = [("", _("This row could not be imported because of an internal error."))]
    return result


def _describe(importer: Importer, values: Mapping[str, Any]) -> str:
    try:
        return importer.describe(values)
    except Exception:  # the key is a courtesy; a strange value must not end the import
        return ""


# The apps' importers, by kind; named by path because core does not import the apps above it.
IMPORTERS = {
    "institutions": "lianxin.network.imports.InstitutionImporter",
    "practitioners": "lianxin.workforce.imports.PractitionerImporter",
    "residents": "lianxin.patients.imports.ResidentImporter",
}


def importer_class(kind: str) -> type[Importer]:
    from django.utils.module_loading import import_string

    if kind not in IMPORTERS:
        raise FileError(_("Unknown kind of import: %(kind)s.") % {"kind": kind})
    return import_string(IMPORTERS[kind])
