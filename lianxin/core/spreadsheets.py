"""Cells that a spreadsheet program must show as text, never run as a formula.

Text from users (a name typed as ``=HYPERLINK("http://…","点击")``) is stored as the text it is;
on the way out to CSV or Excel it gets a leading apostrophe, which Excel, WPS and LibreOffice read
as "this cell is text" (OWASP, CSV Injection: prefix cells starting with = + - @ tab or CR).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should receive it: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def neutralise_formulas(book: Any) -> Any:
    """Every cell of an openpyxl workbook that would run as a formula becomes quoted text.

    Lianxin writes no formulas of its own, so any formula cell came from data."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)
                ):
                    cell.value = safe_cell(str(cell.value))
                    cell.data_type = "s"
    return book
