"""Importing service hours from Excel.

Two steps, as everywhere in the house: `parse_hours_workbook` is a pure function (bytes → rows + row errors,
no database), `plan_hours_import` matches the rows to the registry and the existing activities (reads only).
The write is `services.hours_import`, one transaction: a file with any row error saves nothing.
"""

from __future__ import annotations

import datetime
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.db.models import QuerySet

from .models import DEFAULT_MAX_HOURS, ServiceActivity, ServiceRecord, Volunteer, hours_step, hours_step_text

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
    # Volunteer platforms export the phone masked ("1358997****", "138****5678").
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "联系方式": "phone",
    "电话": "phone",
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
    phone_mask: str = ""  # "1358997****": matched on its visible digits together with the name
    hours_text: str = ""  # what the file said when it was not a plain figure ("2.1+1=3.1小时")


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


_MASK_CHARS = "*＊xX×•●"
SPACES_RE = re.compile(r"[\s\u3000]+")
_TIME_RANGE_RE = re.compile(r"(\d{1,2})[:：](\d{2})\s*[-~～—至到]+\s*(\d{1,2})[:：](\d{2})")
_NUMBER_RE = r"\d+(?:\.\d+)?"
# "2.1+1=3.1小时", "3.1小时", "3.1h", "3.1": the stated total is the figure after "=", else the sum of the terms.
_HOURS_EXPR_RE = re.compile(
    rf"^(?P<terms>{_NUMBER_RE}(?:\s*\+\s*{_NUMBER_RE})*)\s*(?:=\s*(?P<total>{_NUMBER_RE}))?\s*(?:小时|个小时|h|H|时)?$"
)
# A per-person line of a platform export: "张三 8:50-11:00 2.1+1=3.1小时" (the time range and the hours each optional).
_PERSON_LINE_RE = re.compile(
    rf"^(?P<name>[\u4e00-\u9fa5·]{{2,10}})\s+(?P<rest>(?:\d{{1,2}}[:：]\d{{2}}\s*[-~～—至到]+\s*\d{{1,2}}[:：]\d{{2}})?\s*"
    rf"(?:{_NUMBER_RE}(?:\s*\+\s*{_NUMBER_RE})*(?:\s*=\s*{_NUMBER_RE})?\s*(?:小时|个小时|h|H)?)?)$"
)


def _hours_from_text(text: str) -> Decimal | None:
    """Hours written as a figure, a sum with its total, or a clock range (8:50-11:00 → 2.2, rounded to 0.1 h)."""
    text = text.strip()
    range_match = _TIME_RANGE_RE.search(text)
    rest = _TIME_RANGE_RE.sub("", text).strip() if range_match else text
    if rest:
        match = _HOURS_EXPR_RE.match(rest)
        if not match:
            return None
        try:
            terms = [Decimal(t) for t in re.split(r"\s*\+\s*", match["terms"])]
            total = Decimal(match["total"]) if match["total"] else sum(terms, Decimal("0"))
        except (InvalidOperation, ValueError):
            return None
        if match["total"] and len(terms) > 1 and sum(terms, Decimal("0")) != total:
            return None  # "2+1=4": the line contradicts itself; let the row error say so
        return total if total.is_finite() else None
    h1, m1, h2, m2 = (int(g) for g in range_match.groups())  # type: ignore[union-attr]
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    minutes = (h2 * 60 + m2) - (h1 * 60 + m1)
    if minutes <= 0:
        return None
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.1"))


def _is_plain_number(value: object) -> bool:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return True
    try:
        Decimal(_text(value))
    except (InvalidOperation, ValueError):
        return False
    return True


def parse_hours(value: object) -> Decimal | None:
    """Hours from a cell: 3, 3.5, "3.5小时", "2.1+1=3.1小时", "8:50-11:00" (None when unreadable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
        return number if number.is_finite() else None
    text = _text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return _hours_from_text(text)
    return number if number.is_finite() else None


def parse_person_line(text: str) -> tuple[str, Decimal | None] | None:
    """ "张三 8:50-11:00 2.1+1=3.1小时" → ("张三", 3.1); None when the text is not such a line."""
    match = _PERSON_LINE_RE.match(SPACES_RE.sub(" ", text.strip()))
    if not match or not match["rest"].strip():
        return None
    return match["name"], _hours_from_text(match["rest"])


def phone_mask(text: str) -> str:
    """A phone as a platform shows it ("1358997****", "138****5678") → its digit/mask pattern, "" when not one."""
    compact = re.sub(r"[\s-]", "", text)
    if not compact or not any(ch in _MASK_CHARS for ch in compact):
        return ""
    if not re.fullmatch(rf"[\d{re.escape(_MASK_CHARS)}]{{7,15}}", compact):
        return ""
    pattern = "".join("*" if ch in _MASK_CHARS else ch for ch in compact)
    return pattern if sum(ch.isdigit() for ch in pattern) >= 4 else ""


def phone_matches_mask(phone: str, mask: str) -> bool:
    """Whether a registry phone agrees with every visible digit of a masked one (same length)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return len(digits) == len(mask) and all(m == "*" or m == d for m, d in zip(mask, digits, strict=True))


def _hours_problem(hours: Decimal, max_hours: Decimal) -> str:
    if hours <= 0:
        return f"时长 {hours:f} 不是正数"
    if hours > Decimal("1000"):
        return f"时长 {hours:f} 不合理"
    if hours % hours_step() != 0:
        return f"时长 {hours:f} 须以 {hours_step_text()} 小时为单位"
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
        missing = [label for key, label in (("activity", "活动名称"), ("date", "日期")) if key not in columns]
        if "hours" not in columns:
            # Without a 时长 column the hours may stand in the name cells ("张三 8:50-11:00 2.1+1=3.1小时").
            skipped: list[tuple] = []
            first = None
            for cells in rows:
                skipped.append(cells)
                if any(_text(v) for v in cells):
                    first = cells
                    break
            name_cell = _text(first[columns["name"]]) if first and columns["name"] < len(first) else ""
            line = parse_person_line(name_cell) if name_cell else None
            if line is None or line[1] is None:
                missing.append("时长")
            rows = itertools.chain(skipped, rows)
        if not ({"key", "number", "phone4", "phone"} & set(columns)):
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
            mask = ""
            key = _text(cell(cells, "key"))
            phone = _text(cell(cells, "phone"))
            for column, value in (("key", key), ("phone", phone)):
                if not value or number or phone4 or mask:
                    continue
                digits = re.sub(r"[\s-]", "", value)
                if re.fullmatch(r"\d{4}", digits):
                    phone4 = digits
                elif phone_mask(value):
                    mask = phone_mask(value)
                elif re.fullmatch(r"1\d{10}", digits):
                    phone4 = digits[-4:]
                elif column == "key":
                    number = key
            activity = _text(cell(cells, "activity"))
            raw_date = cell(cells, "date")
            date = parse_date(raw_date)
            raw_hours = cell(cells, "hours")
            hours = parse_hours(raw_hours)
            hours_text = _text(raw_hours) if hours is not None and not _is_plain_number(raw_hours) else ""
            line = parse_person_line(name) if name else None
            if line is not None:
                name = line[0]
                if hours is None and not _text(raw_hours) and line[1] is not None:
                    hours, hours_text = line[1], _text(cell(cells, "name"))[len(name) :].strip()
            if not name:
                problems.append("缺少姓名")
            if not number and not phone4 and not mask:
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
                    phone_mask=mask,
                    hours_text=hours_text,
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
    hours_text: str = ""  # the file's own words for the hours when not a plain figure, shown in the preview


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
        elif row.phone_mask:
            matches = [v for v in candidates if phone_matches_mask(v.phone, row.phone_mask)]
            key_text = f"手机号 {row.phone_mask}"
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
                row=row.row,
                volunteer=volunteer,
                title=row.activity,
                date=row.date,
                hours=row.hours,
                activity=activity,
                hours_text=row.hours_text,
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
