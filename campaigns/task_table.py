"""Read a 任务分解表 workbook as offices write them. Pure functions: bytes in, rows and row errors out; no database.

Real tables are not our template: a title row or two above the header, notes below the rows, their own header
words (具体任务/工作任务/责任目标/工作内容; 牵头单位/责任单位/责任主体/责任部门; 配合单位/协同单位;
完成时限/完成时间/时间节点),
a 创建内容 cell merged over the tasks it covers, several units in one cell (one per line or split by 、), the rows' own
numbers ("1.1", not renumbered). The header is looked for in the first rows, merged cells are filled down, and a
task row whose 具体任务 continues a merged cell adds its units to the task above.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from .plan_parser import guess_recurrence, header_key, parse_deadline

HEADER_SEARCH_ROWS = 10
MAX_UNPACKED_BYTES = 50 * 1024 * 1024

LABELS = {
    "number": "序号",
    "section": "创建内容",
    "title": "具体任务",
    "lead": "牵头单位",
    "coop": "配合单位",
    "due": "完成时限",
    "state": "完成情况",
    "progress": "进度",
}
STATES = ("未开始", "进行中", "已完成", "逾期")
NOTE_RE = re.compile(r"^\s*(?:注|备注|说明|附注|填表说明)\s*[:：\d一、.]")
UNIT_SPLIT_RE = re.compile(r"[、，,；;\n\r/]+")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?: 00:00:00)?$")


class TaskTableError(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


@dataclass
class TableRow:
    line: int  # the Excel row number
    number: str
    section: str
    title: str
    lead: list[str]
    coop: list[str]
    due: datetime.date | None
    due_text: str
    recurrence: str
    state: str
    progress: int
    errors: list[str] = field(default_factory=list)


@dataclass
class TaskTable:
    rows: list[TableRow] = field(default_factory=list)
    header_line: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field → the header as written
    notes: list[str] = field(default_factory=list)

    def unit_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            for name in (*row.lead, *row.coop):
                seen.setdefault(name, None)
        return list(seen)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def split_units(text: str) -> list[str]:
    """One unit per line or separated by 、，; brackets stay with their name ("各村（社区）")."""
    names = []
    for part in UNIT_SPLIT_RE.split(text or ""):
        name = re.sub(r"^\s*(?:牵头|配合|责任)(?:单位)?\s*[:：]", "", part).strip(" \t\u3000。.")
        if name and name not in names:
            names.append(name)
    return names


def _grid(data: bytes, max_rows: int) -> tuple[list[list[object]], set[tuple[int, int]]]:
    """The first sheet as a grid of values with merged ranges filled from their top-left cell, and the set of
    (row, column) cells that were filled in that way (0-based)."""
    from openpyxl import load_workbook  # defusedxml is installed, so openpyxl parses safely

    if not data.startswith(b"PK"):
        raise TaskTableError("该文件不是有效的 Excel（.xlsx）工作簿，请用“下载模板”中的格式填写。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise TaskTableError("文件解压后过大，请确认是填写好的任务分解表。")
    except zipfile.BadZipFile as exc:
        raise TaskTableError("该文件不是有效的 Excel（.xlsx）工作簿，请用“下载模板”中的格式填写。") from exc
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TaskTableError("无法读取该 Excel 工作簿，请确认文件未损坏。") from exc
    try:
        ws = wb.worksheets[0]
        if ws.max_row > max_rows + HEADER_SEARCH_ROWS + 50:
            raise TaskTableError(f"表格超过 {max_rows} 行，请分批导入（上限可由 CAMPAIGNS_EXCEL_MAX_ROWS 设置）。")
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        filled: set[tuple[int, int]] = set()
        for merged in ws.merged_cells.ranges:
            top, left = merged.min_row - 1, merged.min_col - 1
            if top >= len(grid):
                continue
            value = grid[top][left] if left < len(grid[top]) else None
            for r in range(top, min(merged.max_row, len(grid))):
                row = grid[r]
                while len(row) < merged.max_col:
                    row.append(None)
                for c in range(left, merged.max_col):
                    if (r, c) != (top, left):
                        row[c] = value
                        filled.add((r, c))
    finally:
        wb.close()
    return grid, filled


def _find_header(grid: list[list[object]]) -> tuple[int, dict[str, int], dict[str, str]]:
    best: tuple[int, dict[str, int], dict[str, str]] = (-1, {}, {})
    for r, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        written: dict[str, str] = {}
        for c, value in enumerate(cells):
            key = header_key(value)
            if key and key not in columns:
                columns[key] = c
                written[key] = _text(value)
        if len(columns) > len(best[1]):
            best = (r, columns, written)
    row, columns, written = best
    if "title" not in columns or "lead" not in columns:
        raise TaskTableError(
            "找不到表头行：前 10 行中应有“具体任务”（或 工作任务/责任目标/工作内容）与“牵头单位”（或 责任单位/责任主体/"
            "责任部门）列。请使用“下载模板”中的表头。"
        )
    return row, columns, written


def _due(value: object, year: int) -> tuple[datetime.date | None, str, str, str]:
    """(date, as written, recurrence, error) of a 完成时限 cell."""
    if value in (None, ""):
        return None, "", "once", ""
    if isinstance(value, datetime.datetime):
        return value.date(), "", "once", ""
    if isinstance(value, datetime.date):
        return value, "", "once", ""
    text = _text(value)
    m = DATE_RE.match(text)
    if m:
        try:
            return datetime.date(int(m[1]), int(m[2]), int(m[3])), "", "once", ""
        except ValueError:
            return None, text, "once", f"完成时限“{text}”不是日期（例如 2026-06-30）"
    date, written = parse_deadline(text, year)
    recurrence = guess_recurrence(text)
    if date is not None:
        return date, written or text, recurrence, ""
    if recurrence != "once":
        return None, text, recurrence, ""
    return None, text, "once", f"完成时限“{text}”不是日期（例如 2026-06-30）"


def _progress(value: object) -> tuple[int, str]:
    text = _text(value).rstrip("%％")
    if not text:
        return 0, ""
    try:
        number = float(text)
    except ValueError:
        return 0, f"进度“{_text(value)}”应为 0 到 100 之间的数字"
    if 0 < number <= 1 and "." in text:
        number *= 100
    if not 0 <= number <= 100:
        return 0, f"进度“{_text(value)}”应为 0 到 100 之间的数字"
    return round(number), ""


def parse_task_table(data: bytes, *, year: int, max_rows: int = 5000) -> TaskTable:
    """Every task row of the first sheet, with its errors in Chinese; `year` completes deadlines like "10月底前"."""
    grid, filled = _grid(data, max_rows)
    header, columns, written = _find_header(grid)
    table = TaskTable(header_line=header + 1, columns=written)

    def cell(cells: list[object], key: str) -> object:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    for r in range(header + 1, len(grid)):
        cells = grid[r]
        values = [_text(v) for v in cells]
        non_empty = list(dict.fromkeys(v for v in values if v))  # a row merged across holds one value many times
        if not non_empty:
            continue
        if len(non_empty) == 1 and NOTE_RE.match(non_empty[0]):
            table.notes.append(non_empty[0])
            continue
        if len(table.rows) >= max_rows:
            raise TaskTableError(f"表格超过 {max_rows} 行，请分批导入（上限可由 CAMPAIGNS_EXCEL_MAX_ROWS 设置）。")
        title = _text(cell(cells, "title"))
        number = _text(cell(cells, "number"))
        lead = split_units(_text(cell(cells, "lead")))
        coop = split_units(_text(cell(cells, "coop")))
        title_col = columns["title"]
        number_col = columns.get("number")
        continues = (
            table.rows
            and (r, title_col) in filled
            and (number_col is None or not number or (r, number_col) in filled)
            and title == table.rows[-1].title
        )
        if continues:
            # A continuation row of a merged 具体任务: its units belong to the task above.
            above = table.rows[-1]
            above.lead += [n for n in lead if n not in above.lead and (r, columns["lead"]) not in filled]
            above.coop += [n for n in coop if n not in above.coop]
            continue
        due, due_text, recurrence, due_error = _due(cell(cells, "due"), year)
        progress, progress_error = _progress(cell(cells, "progress"))
        state = _text(cell(cells, "state"))
        row = TableRow(
            line=r + 1,
            number=number,
            section=_text(cell(cells, "section")),
            title=title,
            lead=lead,
            coop=[n for n in coop if n not in lead],
            due=due,
            due_text=due_text,
            recurrence=recurrence,
            state=state,
            progress=progress,
        )
        if not title:
            row.errors.append("“具体任务”不能为空")
        if not lead:
            row.errors.append("“牵头单位”不能为空")
        if due_error:
            row.errors.append(due_error)
        if state and state not in STATES:
            row.errors.append(f"完成情况“{state}”应为 未开始、进行中 或 已完成")
        if progress_error:
            row.errors.append(progress_error)
        table.rows.append(row)
    return table
