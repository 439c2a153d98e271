"""The one safe way to write a spreadsheet: every workbook the project writes goes through here.

Two things user text must never do in a downloaded file:

- run as a formula. Text that starts with ``= + - @``, a tab, a carriage return or a line break gets a visible
  ``'`` in front (OWASP's CSV-injection advice; Excel and LibreOffice then show it as text, and so does a cell
  a user later edits and confirms). A numeric-looking text such as ``"-5"`` is text and keeps the prefix; real
  numbers, dates and booleans are written as what they are.
- break the file. XML 1.0 cannot carry most control characters, lone surrogates or U+FFFE/U+FFFF: openpyxl
  refuses them (the export answered 500), xlsxwriter writes ``_x000B_`` escapes. They are removed; the vertical
  tab and form feed that Word puts in a pasted line or page break become a line break, and CR/CRLF become LF.

The API fits every writer:

- ``safe_cell(value)`` / ``safe_row(values)`` / ``safe_text(value)`` for any cell, whatever the library;
- openpyxl: ``new_workbook()``, ``append_row(ws, values)``, ``workbook_bytes(wb)`` (sweeps every cell once more
  before saving, so a cell set any other way is made safe too), ``table_workbook(...)`` for a one-sheet table;
- tablib / django-import-export: ``dataset_workbook(dataset)`` writes a ``Resource().export()`` dataset;
- xlsxwriter: ``xlsxwriter_workbook(target, **options)`` (strings are never turned into formulas or URLs) and
  ``safe_text`` for each ``write_string``.

``unescape_text`` is the inverse for an importer that reads back a file the project itself wrote.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import Promise

if TYPE_CHECKING:
    import tablib
    import xlsxwriter
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PREFIX = "'"
# Word's manual line break (vertical tab) and page break (form feed) mean "new line" to the person who typed them.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c]")
# What XML 1.0 cannot carry (tab, LF and CR are allowed; CR is already LF here).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NATIVE = (int, float, Decimal, bool, datetime.date, datetime.time, datetime.timedelta)

HEADER_FILL = "EEF0F3"


def clean_text(value: str) -> str:
    """`value` without the characters an xlsx file cannot hold (line and page breaks become a line feed)."""
    return _XML_ILLEGAL.sub("", _LINE_BREAKS.sub("\n", value))


def safe_text(value: object) -> str:
    """Text for a cell: cleaned, then prefixed with ``'`` when a spreadsheet would read it as a formula."""
    text = clean_text("" if value is None else str(value))
    return PREFIX + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: object) -> object:
    """A value ready for a cell: text through `safe_text`; numbers, dates and booleans as they are; None empty.

    Aware datetimes are written in local time (xlsx has no time zones; openpyxl refuses them).
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, _NATIVE):
        return value
    if isinstance(value, (str, Promise)):
        return safe_text(value)
    return safe_text(str(value))


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]


def unescape_text(value: str) -> str:
    """The text a user typed, from a cell this module wrote (the ``'`` in front of a formula start removed)."""
    if value.startswith(PREFIX) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# ------------------------------------------------------------------------------
# openpyxl
# ------------------------------------------------------------------------------
def new_workbook(*, write_only: bool = False) -> Workbook:
    """An openpyxl workbook; write rows with `append_row` and save with `workbook_bytes`."""
    import openpyxl

    return openpyxl.Workbook(write_only=write_only)


def append_row(ws: Worksheet, values: Iterable[object]) -> None:
    """Append a row of safe cells (works in normal and write_only mode)."""
    ws.append(safe_row(values))


def make_safe(wb: Workbook) -> None:
    """Make every cell of a (normal mode) workbook safe: a formula or unsafe text set by any path becomes text."""
    if getattr(wb, "write_only", False):
        return  # rows went through append_row; a write-only workbook cannot be read back
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f" or isinstance(value, str):
                    cleaned = safe_text(value)
                    if cleaned != value or cell.data_type == "f":
                        cell.value = cleaned
                        cell.data_type = "s"


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes of an openpyxl workbook, every cell made safe first."""
    make_safe(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    longest = max((sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.split("\n")), default=0)
    return longest


def style_header(ws: Worksheet, *, row: int = 1) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for cell in ws[row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center")


def table_workbook(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    widths: Sequence[int] | None = None,
    max_width: int = 60,
) -> bytes:
    """One sheet: a bold frozen header row, the rows as safe cells, column widths given or fitted to the text."""
    from openpyxl.utils import get_column_letter

    wb = new_workbook()
    ws = wb.active
    ws.title = sheet_title(title)
    append_row(ws, headers)
    style_header(ws)
    fitted = [_width(h) for h in headers]
    for values in rows:
        row = safe_row(values)
        ws.append(row)
        if widths is None:
            for i, v in enumerate(row):
                if i < len(fitted):
                    fitted[i] = max(fitted[i], _width(v))
                else:
                    fitted.append(_width(v))
    for i, width in enumerate(widths if widths is not None else [min(max_width, w + 2) for w in fitted], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return workbook_bytes(wb)


_SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no ``\\ / * ? : [ ]``, at most 31 characters, never empty."""
    cleaned = _SHEET_TITLE_BAD.sub("-", clean_text(title).replace("\n", " ")).strip("'")
    return cleaned[:31] or "Sheet1"


# ------------------------------------------------------------------------------
# tablib / django-import-export
# ------------------------------------------------------------------------------
def dataset_workbook(dataset: tablib.Dataset, *, widths: Sequence[int] | None = None) -> bytes:
    """A tablib dataset (e.g. a django-import-export ``Resource().export()``) as a safe one-sheet workbook.

    Use this instead of ``dataset.export("xlsx")``, which writes ``=…`` text as a live formula and fails on
    control characters.
    """
    return table_workbook(dataset.title or "Sheet1", list(dataset.headers or []), iter(dataset), widths=widths)


# ------------------------------------------------------------------------------
# xlsxwriter (the streaming annual workbook)
# ------------------------------------------------------------------------------
XLSXWRITER_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def xlsxwriter_workbook(target: str | IO[bytes], **options: Any) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook that never turns a string into a formula, a URL or a number.

    Write text cells with ``ws.write_string(row, col, safe_text(value), fmt)``.
    """
    import xlsxwriter

    return xlsxwriter.Workbook(target, {**options, **XLSXWRITER_OPTIONS})


__all__ = [
    "FORMULA_STARTS",
    "XLSXWRITER_OPTIONS",
    "append_row",
    "clean_text",
    "dataset_workbook",
    "make_safe",
    "new_workbook",
    "safe_cell",
    "safe_row",
    "safe_text",
    "sheet_title",
    "style_header",
    "table_workbook",
    "unescape_text",
    "workbook_bytes",
    "xlsxwriter_workbook",
]
