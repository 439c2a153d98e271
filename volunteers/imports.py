"""Importing service hours from Excel.

Two steps, as everywhere in the house: `parse_hours_workbook` is a pure function (bytes → rows + row errors,
no database), `plan_hours_import` matches the rows to the registry and the existing activities (reads only).
The write is `services.hours_import`, one transaction: a file with any row error saves nothing.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.db.models import QuerySet

from .models import DEFAULT_MAX_HOURS, HOURS_STEP, ServiceActivity, ServiceRecord, Volunteer

TEMPLATE_HEADERS = ["姓名", "志愿者编号或手机号后四位", "活动名称", "日期", "时长（小时）"]
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a workbook that unpacks to more than this is refused (zip bomb)

# Header text (whitespace and brackets removed) → field.
_HEADER_ALIASES = {
    "姓名": "name",
    "志愿者姓名": "name",
    "志愿者编号或手机号后四位": "key",
    "志愿者编号/手机号后四位": "key",
    "编号或手机号后四位": "key",
    "志愿者编号": "number",
    "编号": "number",
    "手机号后四位": "phone4",
    "手机后四位": "phone4",
    "活动名称": "activity",
    "活动": "activity",
    "日期": "date",
    "活动日期": "date",
    "服务日期": "date",
    "时长": "hours",
    "时长小时": "hours",
    "服务时长": "hours",
    "服务时长小时": "hours",
}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


@dataclass(frozen=True)
class RowError:
    row: int  # the Excel row number (0: the file as a whole)
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.message}" if self.row else self.message


@dataclass(frozen=True)
class HoursRow:
    row: int
    name: str
    number: str  # 志愿者编号, or "" when the row gives the phone's last four digits
    phone4: str
    activity: str
    date: datetime.date
    hours: Decimal


@dataclass
class ParsedHours:
    rows: list[HoursRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _header_key(value: object) -> str:
    text = re.sub(r"[\s()（）]", "", str(value or ""))
    return _HEADER_ALIASES.get(text, "")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value: object) -> datetime.date | None:
    """A date from a cell: a real Excel date, or text like 2026-03-05, 2026/3/5, 2026年3月5日, 20260305."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def parse_hours(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    text = _text(value).removesuffix("小时").removesuffix("h").strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _hours_problem(hours: Decimal, max_hours: Decimal) -> str:
    if hours <= 0:
        return f"时长 {hours:f} 不是正数"
    if hours % HOURS_STEP != 0:
        return f"时长 {hours:f} 须以 0.5 小时为单位"
    if hours > max_hours:
        return f"时长 {hours:f} 超过每次活动上限 {max_hours.normalize():f} 小时"
    return ""


def parse_hours_workbook(data: bytes | BinaryIO, *, max_hours: Decimal = DEFAULT_MAX_HOURS) -> ParsedHours:
    """Read the hours template (姓名, 志愿者编号或手机号后四位, 活动名称, 日期, 时长); no database access.

    Every problem becomes a `RowError` with the Excel row number; blank rows are skipped.
    """
    from openpyxl import load_workbook  # defusedxml is installed, so openpyxl parses safely

    result = ParsedHours()
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        unpacked = None
    if unpacked is not None and unpacked > MAX_UNPACKED_BYTES:
        result.errors.append(RowError(0, "文件解压后过大，请确认是填写好的模板。"))
        return result
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        result.errors.append(RowError(0, "文件不是有效的 Excel 工作簿（.xlsx），请使用下载的模板。"))
        return result
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        columns: dict[str, int] = {}
        header_row = 0
        for index, cells in enumerate(rows, start=1):
            keys = {_header_key(c): i for i, c in enumerate(cells) if _header_key(c)}
            if "name" in keys:
                columns, header_row = keys, index
                break
            if index >= 10:
                break
        if not columns:
            result.errors.append(RowError(0, "找不到表头行（应包含“姓名”列），请使用下载的模板。"))
            return result
        missing = [
            label
            for key, label in (("activity", "活动名称"), ("date", "日期"), ("hours", "时长"))
            if key not in columns
        ]
        if not ({"key", "number", "phone4"} & set(columns)):
            missing.insert(0, "志愿者编号或手机号后四位")
        if missing:
            result.errors.append(RowError(header_row, f"缺少列：{'、'.join(missing)}"))
            return result

        def cell(cells: tuple, key: str) -> object:
            i = columns.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        for row_number, cells in enumerate(rows, start=header_row + 1):
            if row_number > header_row + MAX_ROWS:
                result.errors.append(RowError(row_number, f"文件超过 {MAX_ROWS} 行，请分批导入"))
                break
            if not any(_text(c) for c in cells):
                continue
            problems: list[str] = []
            name = _text(cell(cells, "name"))
            number = _text(cell(cells, "number"))
            phone4 = _text(cell(cells, "phone4"))
            key = _text(cell(cells, "key"))
            if key and not number and not phone4:
                if re.fullmatch(r"\d{4}", key):
                    phone4 = key
                else:
                    number = key
            activity = _text(cell(cells, "activity"))
            raw_date = cell(cells, "date")
            date = parse_date(raw_date)
            raw_hours = cell(cells, "hours")
            hours = parse_hours(raw_hours)
            if not name:
                problems.append("缺少姓名")
            if not number and not phone4:
                problems.append("缺少志愿者编号或手机号后四位")
            elif phone4 and not number and not re.fullmatch(r"\d{4}", phone4):
                problems.append(f"手机号后四位“{phone4}”应为 4 位数字")
            if not activity:
                problems.append("缺少活动名称")
            if date is None:
                problems.append(f"日期“{_text(raw_date)}”无法识别" if _text(raw_date) else "缺少日期")
            if hours is None:
                problems.append(f"时长“{_text(raw_hours)}”不是数字" if _text(raw_hours) else "缺少时长")
            else:
                problem = _hours_problem(hours, max_hours)
                if problem:
                    problems.append(problem)
            if problems:
                result.errors.append(RowError(row_number, "；".join(problems)))
                continue
            result.rows.append(
                HoursRow(
                    row=row_number,
                    name=name,
                    number=number,
                    phone4=phone4,
                    activity=activity,
                    date=date,  # type: ignore[arg-type]
                    hours=hours,  # type: ignore[arg-type]
                )
            )
        if not result.rows and not result.errors:
            result.errors.append(RowError(0, "文件中没有数据行。"))
    finally:
        workbook.close()
    return result


# ------------------------------------------------------------------------------------------------
# Matching to the registry (reads the database, writes nothing)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedRecord:
    row: int
    volunteer: Volunteer
    title: str
    date: datetime.date
    hours: Decimal
    activity: ServiceActivity | None  # an existing activity, or None: a new one is created


@dataclass
class ImportPlan:
    records: list[PlannedRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.records)

    @property
    def new_activities(self) -> list[tuple[str, datetime.date]]:
        return sorted({(r.title, r.date) for r in self.records if r.activity is None}, key=lambda k: (k[1], k[0]))

    @property
    def total_hours(self) -> Decimal:
        return sum((r.hours for r in self.records), Decimal("0"))


def plan_hours_import(
    parsed: ParsedHours,
    *,
    volunteers: QuerySet[Volunteer],
    activities: QuerySet[ServiceActivity],
) -> ImportPlan:
    """Match parsed rows to `volunteers` (by name plus number or phone's last four) and to `activities`
    (same title and date); every unmatched, ambiguous or duplicate row becomes a row error."""
    plan = ImportPlan(errors=list(parsed.errors))
    names = {r.name for r in parsed.rows}
    by_name: dict[str, list[Volunteer]] = {}
    for volunteer in volunteers.filter(name__in=names).select_related("organization"):
        by_name.setdefault(volunteer.name, []).append(volunteer)
    titles = {r.activity for r in parsed.rows}
    dates = {r.date for r in parsed.rows}
    existing: dict[tuple[str, datetime.date], ServiceActivity] = {}
    for activity in activities.filter(title__in=titles, date__in=dates).order_by("pk"):
        existing.setdefault((activity.title, activity.date), activity)
    already = set(
        ServiceRecord.objects.filter(activity__in=list(existing.values())).values_list("activity_id", "volunteer_id")
    )
    seen: dict[tuple[int, str, datetime.date], int] = {}
    for row in parsed.rows:
        candidates = by_name.get(row.name, [])
        if row.number:
            matches = [v for v in candidates if v.number == row.number]
            key_text = f"志愿者编号 {row.number}"
        else:
            matches = [v for v in candidates if v.phone_last4 == row.phone4]
            key_text = f"手机号后四位 {row.phone4}"
        if not matches:
            plan.errors.append(RowError(row.row, f"登记册中找不到志愿者“{row.name}”（{key_text}）"))
            continue
        if len(matches) > 1:
            plan.errors.append(RowError(row.row, f"“{row.name}”（{key_text}）对应多名志愿者，请改填志愿者编号"))
            continue
        volunteer = matches[0]
        activity = existing.get((row.activity, row.date))
        key = (volunteer.pk, row.activity, row.date)
        if key in seen:
            plan.errors.append(RowError(row.row, f"“{row.name}”在“{row.activity}”中与第{seen[key]}行重复"))
            continue
        seen[key] = row.row
        if activity is not None:
            if (activity.pk, volunteer.pk) in already:
                plan.errors.append(RowError(row.row, f"“{row.name}”已登记过“{row.activity}”的时长"))
                continue
            if row.hours > activity.max_hours:
                plan.errors.append(
                    RowError(
                        row.row,
                        f"时长 {row.hours:f} 超过活动“{activity.title}”的上限 {activity.max_hours.normalize():f} 小时",
                    )
                )
                continue
        plan.records.append(
            PlannedRecord(
                row=row.row, volunteer=volunteer, title=row.activity, date=row.date, hours=row.hours, activity=activity
            )
        )
    plan.errors.sort(key=lambda e: e.row)
    return plan


def plan_as_json(plan: ImportPlan) -> dict:
    return {
        "ok": plan.ok,
        "rows": len(plan.records),
        "hours": float(plan.total_hours),
        "new_activities": [{"title": t, "date": d.isoformat()} for t, d in plan.new_activities],
        "errors": [{"row": e.row, "message": e.message} for e in plan.errors],
    }
