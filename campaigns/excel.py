"""The 任务分解表 in Excel: export (django-import-export), import with a dry-run preview, all-or-nothing confirm."""

from __future__ import annotations

import datetime
import io
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources, widgets

from organizations.models import Organization

from . import services
from .models import Campaign, Task, TaskStatus

HEADERS = ["序号", "创建内容", "具体任务", "牵头单位", "配合单位", "完成时限", "完成情况", "进度"]
STATUS_BY_LABEL = {label: value for value, label in TaskStatus.choices}


class ExcelImportError(ValueError):
    """The workbook cannot be read; the message is for the user."""


def _names(orgs) -> str:
    return "、".join(o.name for o in orgs)


class TaskResource(resources.ModelResource):
    """One row per task in the familiar 任务分解表 columns."""

    number = fields.Field(attribute="number", column_name="序号")
    section = fields.Field(column_name="创建内容")
    title = fields.Field(column_name="具体任务")
    lead = fields.Field(column_name="牵头单位")
    coop = fields.Field(column_name="配合单位")
    due = fields.Field(column_name="完成时限")
    state = fields.Field(column_name="完成情况")
    progress = fields.Field(column_name="进度")

    class Meta:
        model = Task
        fields = ("number", "section", "title", "lead", "coop", "due", "state", "progress")
        export_order = ("number", "section", "title", "lead", "coop", "due", "state", "progress")

    def dehydrate_section(self, task: Task) -> str:
        return task.parent.title if task.parent_id else ""

    def dehydrate_title(self, task: Task) -> str:
        return task.title

    def dehydrate_lead(self, task: Task) -> str:
        return _names(task.lead_units.all())

    def dehydrate_coop(self, task: Task) -> str:
        return _names(task.cooperating_units.all())

    def dehydrate_due(self, task: Task) -> str:
        return task.due_date.isoformat() if task.due_date else ""

    def dehydrate_state(self, task: Task) -> str:
        return "逾期" if task.is_overdue else task.get_status_display()

    def dehydrate_progress(self, task: Task) -> str:
        return f"{task.progress}%"


def export_tasks(campaign: Campaign) -> bytes:
    qs = (
        Task.objects.filter(campaign=campaign, children__isnull=True)
        .select_related("parent")
        .prefetch_related("lead_units", "cooperating_units")
        .order_by("order")
    )
    dataset = TaskResource().export(queryset=qs)
    dataset.title = "任务分解表"
    return dataset.export("xlsx")


def template_bytes() -> bytes:
    ds = tablib.Dataset(headers=HEADERS, title="任务分解表")
    ds.append(
        [
            "1",
            "思想教育",
            "开展专题学习（示例行，导入前请删除）",
            "办公室",
            "人事科、机关党委",
            "2026-06-30",
            "未开始",
            "0%",
        ]
    )
    return ds.export("xlsx")


def content_disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def read_upload(upload) -> bytes:
    limit = int(getattr(settings, "CAMPAIGNS_EXCEL_MAX_MB", 5)) * 1024 * 1024
    if upload.size > limit:
        raise ExcelImportError(f"文件过大（超过 {limit // (1024 * 1024)} MB）。")
    data = upload.read()
    if not data:
        raise ExcelImportError("文件是空的。")
    if not data.startswith(b"PK"):
        raise ExcelImportError("该文件不是有效的 Excel（.xlsx）工作簿，请用“下载模板”中的格式填写。")
    return data


def _pending_dir() -> Path:
    d = Path(settings.MEDIA_ROOT) / "campaigns" / "pending"
    d.mkdir(parents=True, exist_ok=True)
    return d


def store_pending(data: bytes) -> str:
    token = uuid.uuid4().hex
    (_pending_dir() / f"{token}.xlsx").write_bytes(data)
    return token


def load_pending(token: str) -> bytes:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise ExcelImportError("导入已过期，请重新上传文件。")
    path = _pending_dir() / f"{token}.xlsx"
    if not path.exists():
        raise ExcelImportError("导入已过期，请重新上传文件。")
    return path.read_bytes()


@dataclass
class RowResult:
    """One row of the workbook as the preview shows it: the values as written and the errors in Chinese."""

    line: int
    number: str
    section: str
    title: str
    lead: str
    coop: str
    due: str
    progress: str
    errors: list[str] = field(default_factory=list)


@dataclass
class PreviewResult:
    rows: list[RowResult]
    errors: list[str] = field(default_factory=list)
    dataset: tablib.Dataset | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(r.errors for r in self.rows)


def _parse_due(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    m = re.match(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?: 00:00:00)?$", text)
    if m:
        try:
            return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise ValueError(f"完成时限“{text}”不是日期（例如 2026-06-30）")


class DueWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return _parse_due(value)


class PercentWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().rstrip("%％")
        if not text:
            return 0
        try:
            number = float(text)
        except ValueError:
            number = -1
        if 0 < number <= 1 and "." in text:
            number *= 100
        if not 0 <= number <= 100:
            raise ValueError(f"进度“{value}”应为 0 到 100 之间的数字")
        return round(number)


class TaskImportResource(resources.ModelResource):
    """Reads the 任务分解表 rows into tasks of one campaign: 创建内容 becomes the heading above the task."""

    number = fields.Field(attribute="number", column_name="序号", widget=widgets.CharWidget())
    section = fields.Field(column_name="创建内容")
    title = fields.Field(attribute="title", column_name="具体任务", widget=widgets.CharWidget())
    lead = fields.Field(column_name="牵头单位")
    coop = fields.Field(column_name="配合单位")
    due_date = fields.Field(attribute="due_date", column_name="完成时限", widget=DueWidget())
    state = fields.Field(column_name="完成情况")
    progress = fields.Field(attribute="progress", column_name="进度", widget=PercentWidget())

    class Meta:
        model = Task
        fields = ("number", "section", "title", "lead", "coop", "due_date", "state", "progress")
        import_id_fields = ()
        skip_diff = True
        use_transactions = True
        force_init_instance = True

    def __init__(self, campaign: Campaign) -> None:
        super().__init__()
        self.campaign = campaign
        orgs = list(Organization.objects.filter(path__startswith=campaign.unit.path))
        self.orgs_by_name = {o.name: o for o in orgs} | {o.short_name: o for o in orgs if o.short_name}
        self.headings: dict[str, Task] = {}
        self.base_order = (campaign.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1

    def init_instance(self, row=None) -> Task:
        return Task(campaign=self.campaign)

    def _orgs(self, row, column: str, errors: dict) -> list[Organization]:
        found = []
        for name in re.split(r"[、，,；;\n]+", str(row.get(column) or "")):
            name = name.strip()
            if not name:
                continue
            if name in self.orgs_by_name:
                found.append(self.orgs_by_name[name])
            else:
                errors.setdefault(column, []).append(f"{column}“{name}”不在本单位的组织结构中")
        return found

    def import_instance(self, instance: Task, row, **kwargs) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = {k: list(v) for k, v in exc.message_dict.items()}
        ordered: dict[str, list[str]] = {}
        if not (instance.title or "").strip():
            ordered["具体任务"] = ["“具体任务”不能为空"]
        lead = self._orgs(row, "牵头单位", ordered)
        if not lead and "牵头单位" not in ordered:
            ordered["牵头单位"] = ["“牵头单位”不能为空"]
        coop = self._orgs(row, "配合单位", ordered)
        if "due_date" in errors:
            ordered["完成时限"] = errors.pop("due_date")
        state = str(row.get("完成情况") or "").strip()
        if state and state != "逾期" and state not in STATUS_BY_LABEL:
            ordered["完成情况"] = [f"完成情况“{state}”应为 未开始、进行中 或 已完成"]
        if "progress" in errors:
            ordered["进度"] = errors.pop("progress")
        ordered.update(errors)
        if ordered:
            raise ValidationError(ordered)
        instance.status = STATUS_BY_LABEL.get(state, TaskStatus.TODO)
        instance._wm_units = (lead, [o for o in coop if o not in lead])  # type: ignore[attr-defined]
        instance._wm_section = str(row.get("创建内容") or "").strip()  # type: ignore[attr-defined]

    def before_save_instance(self, instance: Task, row, **kwargs) -> None:
        section = getattr(instance, "_wm_section", "")
        if section:
            heading = self.headings.get(section) or Task.objects.filter(campaign=self.campaign, title=section).first()
            if heading is None:
                heading = services.task_create(campaign=self.campaign, title=section, order=self.base_order)
                self.base_order += 1
            self.headings[section] = heading
            instance.parent = heading
        instance.order = self.base_order
        self.base_order += 1

    def save_m2m(self, instance: Task, row, **kwargs) -> None:
        lead, coop = getattr(instance, "_wm_units", ([], []))
        instance.lead_units.set(lead)
        instance.cooperating_units.set(coop)


def _dataset(data: bytes) -> tuple[tablib.Dataset, list[int]]:
    """The workbook's non-empty rows (and their line numbers in Excel), headers checked."""
    try:
        raw = tablib.Dataset().load(io.BytesIO(data), format="xlsx")
    except Exception as exc:
        raise ExcelImportError("无法读取该 Excel 工作簿，请确认文件未损坏。") from exc
    headers = [str(h or "").strip() for h in (raw.headers or [])]
    missing = [h for h in ("序号", "具体任务", "牵头单位") if h not in headers]
    if missing:
        raise ExcelImportError(f"表头缺少列：{'、'.join(missing)}。请使用“下载模板”中的表头。")
    ds = tablib.Dataset(headers=headers)
    lines = []
    for i, row in enumerate(raw, start=2):
        values = ["" if v is None else (v if isinstance(v, datetime.date) else str(v)) for v in row]
        if any(str(v).strip() for v in values):
            ds.append(values)
            lines.append(i)
    return ds, lines


def preview_rows(campaign: Campaign, data: bytes) -> PreviewResult:
    """Dry run through django-import-export (in a transaction that is rolled back): every row with its errors."""
    ds, lines = _dataset(data)
    result = TaskImportResource(campaign).import_data(
        ds, dry_run=True, use_transactions=True, rollback_on_validation_errors=True
    )
    problems: dict[int, list[str]] = {}
    for invalid in result.invalid_rows:
        problems[invalid.number] = [m for msgs in invalid.error_dict.values() for m in msgs]
    for number, errors in result.row_errors():
        problems.setdefault(number, []).extend(f"无法导入：{e.error}" for e in errors)
    preview = PreviewResult(rows=[], dataset=ds)
    for i, row in enumerate(ds.dict):
        due = row.get("完成时限", "")
        preview.rows.append(
            RowResult(
                line=lines[i],
                number=str(row.get("序号", "")).strip(),
                section=str(row.get("创建内容", "")).strip(),
                title=str(row.get("具体任务", "")).strip(),
                lead=str(row.get("牵头单位", "")).strip(),
                coop=str(row.get("配合单位", "")).strip(),
                due=due.isoformat() if isinstance(due, datetime.date) else str(due).strip(),
                progress=str(row.get("进度", "")).strip(),
                errors=problems.get(i + 1, []),
            )
        )
    if not preview.rows:
        preview.errors.append("表格中没有任务行。")
    for e in result.base_errors:
        preview.errors.append(f"无法导入：{e.error}")
    return preview


@transaction.atomic
def import_rows(campaign: Campaign, result: PreviewResult) -> int:
    """Import every row (sections become headings) or nothing."""
    if result.has_errors or result.dataset is None:
        raise ExcelImportError("表格有错误，未导入任何内容。")
    outcome = TaskImportResource(campaign).import_data(
        result.dataset, dry_run=False, use_transactions=True, rollback_on_validation_errors=True
    )
    if outcome.has_errors() or outcome.has_validation_errors():
        transaction.set_rollback(True)
        raise ExcelImportError("表格有错误，未导入任何内容。")
    return outcome.totals.get("new", 0)
