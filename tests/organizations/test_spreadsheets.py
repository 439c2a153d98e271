"""The one safe writer (organizations/spreadsheets.py) on its own: no database, every library it wraps."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import tablib

from organizations import spreadsheets as sheets


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\n=1"),
        ("\n=1", "'\n=1"),
        ("\x00=1", "'=1"),  # the NUL is removed first, so what is left is escaped
        ("\x0b=1", "'\n=1"),
        ("第一行\x0b第二行", "第一行\n第二行"),
        ("甲\r\n乙\r丙", "甲\n乙\n丙"),
        ("分\x0c页", "分\n页"),
        ("甲\x00乙\x1f丙\x08丁\x7f", "甲乙丙丁\x7f"),
        ("坏\ud800字", "坏字"),
        ("尾\ufffe\uffff", "尾"),
        ("文明交通", "文明交通"),
        ("'=已有引号", "'=已有引号"),
        ("", ""),
    ],
)
def test_safe_cell_escapes_formula_starts_and_strips_what_xml_cannot_carry(typed, written):
    assert sheets.safe_cell(typed) == written


def test_real_values_stay_what_they_are():
    aware = datetime.datetime(2026, 3, 5, 1, 30, tzinfo=datetime.UTC)
    assert sheets.safe_cell(-5) == -5
    assert sheets.safe_cell(Decimal("-2.5")) == Decimal("-2.5")
    assert sheets.safe_cell(1.5) == 1.5
    assert sheets.safe_cell(True) is True
    assert sheets.safe_cell(None) is None
    assert sheets.safe_cell(datetime.date(2026, 3, 5)) == datetime.date(2026, 3, 5)
    local = sheets.safe_cell(aware)
    assert local == datetime.datetime(2026, 3, 5, 9, 30) and local.tzinfo is None  # noqa: DTZ001 - Excel has no zones
    assert aware.astimezone(ZoneInfo("Asia/Shanghai")).hour == 9


def test_escaping_is_idempotent_and_unescape_is_its_inverse():
    for typed in ("=1+1", "-5", "@x", "\t=1", "普通文字", "'引号"):
        once = sheets.safe_text(typed)
        assert sheets.safe_text(once) == once
        assert sheets.unescape_text(once) == typed


def _cells(data: bytes) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


HOSTILE_ROW = ["=1+1", "-5", -5, "第一行\x0b第二行", "@SUM(A1)", Decimal("2.5")]
EXPECTED_ROW = ["'=1+1", "'-5", -5, "第一行\n第二行", "'@SUM(A1)", 2.5]


def test_table_workbook_writes_text_not_formulas():
    data = sheets.table_workbook("表[1]:测试?", ["=表头", "b", "c", "d", "e", "f"], [HOSTILE_ROW])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "表-1--测试-"
    assert ws["A1"].value == "'=表头" and ws["A1"].font.bold and ws.freeze_panes == "A2"
    assert [c.value for c in ws[2]] == EXPECTED_ROW
    assert ws["C2"].data_type == "n"
    assert not any(c.data_type == "f" for c in _cells(data))


def test_workbook_bytes_sweeps_cells_set_any_way():
    """GIVEN a workbook whose cells were set directly (a formula among them) WHEN saved THEN all are safe text."""
    wb = sheets.new_workbook()
    ws = wb.active
    ws["A1"] = "=1+1"
    ws["B1"] = "\t=1"
    ws.cell(row=2, column=1).value = '=HYPERLINK("http://x","y")'
    assert ws["A1"].data_type == "f"
    data = sheets.workbook_bytes(wb)
    values = {c.coordinate: (c.value, c.data_type) for c in _cells(data) if c.value is not None}
    assert values == {
        "A1": ("'=1+1", "s"),
        "B1": ("'\t=1", "s"),
        "A2": ('\'=HYPERLINK("http://x","y")', "s"),
    }


def test_write_only_rows_go_through_append_row():
    wb = sheets.new_workbook(write_only=True)
    ws = wb.create_sheet("流式")
    sheets.append_row(ws, HOSTILE_ROW)
    data = sheets.workbook_bytes(wb)
    assert [c.value for c in _cells(data)] == EXPECTED_ROW


def test_dataset_workbook_replaces_tablib_export():
    """tablib's own export writes "=1+1" as a live formula and raises on a vertical tab; the writer does neither."""
    ds = tablib.Dataset(headers=["序号", "具体任务"], title="任务分解表")
    ds.append(["=1+1", "第一行\x0b第二行"])
    with pytest.raises(Exception, match="cannot be used in worksheets"):
        ds.export("xlsx")
    live = tablib.Dataset(["=1+1", '=HYPERLINK("http://x","y")'], headers=["序号", "具体任务"])
    assert [c.data_type for c in _cells(live.export("xlsx"))[2:]] == ["f", "f"]  # what the task export used to do
    data = sheets.dataset_workbook(ds)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.title == "任务分解表"
    assert [c.value for c in ws[2]] == ["'=1+1", "第一行\n第二行"]


def test_xlsxwriter_workbook_never_makes_formulas(tmp_path):
    path = tmp_path / "x.xlsx"
    wb = sheets.xlsxwriter_workbook(str(path), constant_memory=True, strings_to_formulas=True)
    ws = wb.add_worksheet("台账")
    ws.write(0, 0, "=1+1")  # even the generic write() stays a string
    ws.write_string(0, 1, sheets.safe_text("第一行\x0b第二行"))
    wb.close()
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"_x000B_" not in sheet
    assert [c.value for c in _cells(path.read_bytes())] == ["=1+1", "第一行\n第二行"]
