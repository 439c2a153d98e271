"""The 任务分解表 in Excel: export (django-import-export), import with a dry-run preview, all-or-nothing confirm."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from import_export import fields, resources

from organizations.media import pending_delete, pending_read, pending_save, pending_sweep
from organizations.models import Organization, OrganizationKind, User
from organizations.services import organization_create
from organizations.spreadsheets import dataset_workbook, table_workbook

from . import services
from .models import Campaign, Task, TaskStatus
from .task_table import TaskTable, TaskTableError, parse_task_table

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
    people = fields.Field(column_name="责任人")
    due = fields.Field(column_name="完成时限")
    state = fields.Field(column_name="完成情况")
    progress = fields.Field(column_name="进度")

    class Meta:
        model = Task
        fields = ("number", "section", "title", "lead", "coop", "people", "due", "state", "progress")
        export_order = ("number", "section", "title", "lead", "coop", "people", "due", "state", "progress")

    def dehydrate_section(self, task: Task) -> str:
        return task.parent.title if task.parent_id else ""

    def dehydrate_title(self, task: Task) -> str:
        return task.title

    def dehydrate_lead(self, task: Task) -> str:
        return _names(task.lead_units.all())

    def dehydrate_coop(self, task: Task) -> str:
        return _names(task.cooperating_units.all())

    def dehydrate_people(self, task: Task) -> str:
        return "、".join(p.display_name for p in task.responsible_people.all())

    def dehydrate_due(self, task: Task) -> str:
        return task.due_date.isoformat() if task.due_date else ""

    def dehydrate_state(self, task: Task) -> str:
        return "逾期" if task.is_overdue else task.get_status_display()

    def dehydrate_progress(self, task: Task) -> str:
        return f"{task.progress}%"


def export_tasks(campaign: Campaign, tasks: QuerySet[Task] | None = None) -> bytes:
    """The 任务分解表 of the campaign's tasks (section headings appear as 创建内容, not as rows); `tasks` narrows
    it to what the list on screen shows (its filters and sort)."""
    qs = Task.objects.filter(campaign=campaign) if tasks is None else tasks.filter(campaign=campaign)
    if tasks is None:
        qs = qs.order_by("order")
    qs = (
        qs.filter(children__isnull=True)
        .select_related("parent")
        .prefetch_related(
            "lead_units",
            "cooperating_units",
            Prefetch("responsible_people", queryset=User.objects.order_by("pk")),
        )
    )
    dataset = TaskResource().export(queryset=qs)
    dataset.title = "任务分解表"
    return dataset_workbook(dataset)


def template_bytes() -> bytes:
    return table_workbook(
        "任务分解表",
        HEADERS,
        [
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
        ],
    )


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


PENDING_FOLDER = "campaigns/pending"


def store_pending(data: bytes) -> str:
    """Keep the previewed workbook in the media storage (the confirm may reach another web replica); previews
    nobody confirmed within a day go then."""
    pending_sweep(PENDING_FOLDER)
    token = uuid.uuid4().hex
    pending_save(PENDING_FOLDER, token, data)
    return token


def drop_pending(token: str) -> None:
    """The previewed workbook is imported (or previewed again under a new token): it is not kept."""
    pending_delete(PENDING_FOLDER, token)


def load_pending(token: str) -> bytes:
    data = pending_read(PENDING_FOLDER, token)
    if data is None:
        raise ExcelImportError("导入已过期，请重新上传文件。")
    return data


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
    new_units: list[str] = field(default_factory=list)  # names in this row that the import will create


@dataclass
class PreviewResult:
    rows: list[RowResult]
    errors: list[str] = field(default_factory=list)
    table: TaskTable | None = None
    unknown_units: list[str] = field(default_factory=list)  # names found in no organisation of the unit
    create_units: list[str] = field(default_factory=list)  # of those, the ones the user lets the import create
    matches: dict[str, list[Organization]] = field(default_factory=dict)  # name as written → organisations
    close_matches: dict[str, str] = field(default_factory=dict)  # name as written → the organisation it was read as
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(r.errors for r in self.rows)


def max_rows() -> int:
    return int(getattr(settings, "CAMPAIGNS_EXCEL_MAX_ROWS", 5000))


def preview_rows(campaign: Campaign, data: bytes, *, create_units: list[str] | None = None) -> PreviewResult:
    """Read the workbook and match its unit names to the unit's organisations; writes nothing.

    Names found nowhere are offered for creation as departments of the unit, as the plan import does:
    `create_units=None` (the first preview) lets the import create all of them; a list keeps only those names and
    makes the rows naming any other unknown unit an error.
    """
    from .importer import match_unit_names, unit_organizations

    this_year = timezone.localdate().year
    year = this_year if campaign.start_year <= this_year <= campaign.end_year else campaign.start_year
    try:
        table = parse_task_table(data, year=year, max_rows=max_rows())
    except TaskTableError as exc:
        raise ExcelImportError(str(exc)) from exc
    orgs = unit_organizations(campaign.unit)
    found = match_unit_names(table.unit_names(), campaign.unit, orgs)
    preview = PreviewResult(rows=[], table=table, notes=table.notes, columns=table.columns)
    for name, match in found.items():
        if match.status in {"exact", "short", "group"}:
            preview.matches[name] = list(match.orgs)
        elif match.status == "close" and match.orgs:
            preview.matches[name] = list(match.orgs)
            preview.close_matches[name] = match.orgs[0].name
        else:
            preview.unknown_units.append(name)
    chosen = set(preview.unknown_units if create_units is None else create_units) & set(preview.unknown_units)
    preview.create_units = [n for n in preview.unknown_units if n in chosen]
    for row in table.rows:
        errors = list(row.errors)
        new_units = []
        unit_errors = []
        for column, names in (("牵头单位", row.lead), ("配合单位", row.coop)):
            for name in names:
                if name in preview.matches:
                    continue
                if name in chosen:
                    new_units.append(name)
                else:
                    unit_errors.append(f"{column}“{name}”不在本单位的组织结构中")
        if len(row.title) > 500:
            errors.insert(0, f"“具体任务”超过 500 字（{len(row.title)} 字），请精简")
        at = 1 if errors[:1] == ["“具体任务”不能为空"] else 0
        errors[at:at] = unit_errors
        preview.rows.append(
            RowResult(
                line=row.line,
                number=row.number,
                section=row.section,
                title=row.title,
                lead="、".join(row.lead),
                coop="、".join(row.coop),
                due=row.due.isoformat() if row.due else row.due_text,
                progress=f"{row.progress}%" if row.progress else "",
                errors=errors,
                new_units=new_units,
            )
        )
    if not preview.rows:
        preview.errors.append("表格中没有任务行。")
    return preview


@transaction.atomic
def import_rows(campaign: Campaign, result: PreviewResult) -> int:
    """Import every row (sections become headings, chosen unknown names become departments) or nothing.

    New departments are created as the plan import creates them: part of an import the unit's 创建办 may run.
    """
    from .importer import _new_org_code

    if result.has_errors or result.table is None:
        raise ExcelImportError("表格有错误，未导入任何内容。")
    unit = campaign.unit
    by_name: dict[str, list[Organization]] = {name: list(orgs) for name, orgs in result.matches.items()}
    for name in result.create_units:
        org = Organization.objects.filter(parent=unit, name=name).first() or organization_create(
            name=name[:200],
            code=_new_org_code(unit, name),
            kind=OrganizationKind.DEPARTMENT,
            parent=unit,
        )
        by_name[name] = [org]

    def orgs(names: list[str]) -> list[Organization]:
        out: list[Organization] = []
        for name in names:
            for org in by_name.get(name, []):
                if org not in out:
                    out.append(org)
        return out

    order = (campaign.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    headings: dict[str, Task] = {}
    created = 0
    for row in result.table.rows:
        parent = None
        if row.section:
            parent = headings.get(row.section) or campaign.tasks.filter(title=row.section, parent=None).first()
            if parent is None:
                parent = services.task_create(campaign=campaign, title=row.section[:500], order=order)
                order += 1
            headings[row.section] = parent
        lead = orgs(row.lead)
        services.task_create(
            campaign=campaign,
            title=row.title,
            number=row.number[:50],
            parent=parent,
            lead_units=lead,
            cooperating_units=[o for o in orgs(row.coop) if o not in lead],
            due_date=row.due,
            order=order,
            status=STATUS_BY_LABEL.get(row.state, TaskStatus.TODO),
            progress=row.progress,
            recurrence=row.recurrence,
        )
        order += 1
        created += 1
    return created
