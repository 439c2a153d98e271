"""The ledger's long work as jobs (found by jobs' autodiscovery): the annual workbook and the ZIP of a year.

Both read with the starter's scope at run time, so a job exports what its starter may see when it runs.
"""

from __future__ import annotations

import os
import tempfile

from django.db.models import QuerySet

from campaigns.models import Campaign
from jobs.context import JobContext, JobError
from jobs.registry import JobResult, register

from . import selectors
from .archive import job as archive_job
from .exports import events_for_year, write_archive, write_workbook
from .models import Event

WORKBOOK = "ledger_workbook"
ZIP = "ledger_zip"


def export_title(campaign: Campaign, year: int, kind: str) -> str:
    unit = campaign.unit.short_name or campaign.unit.name
    return f"{unit}-{year}年度台账" if kind == WORKBOOK else f"{unit}-{year}年度台账档案"


def export_filters(params: dict) -> selectors.EventFilters:
    """The list's filters a job was started with (each checked again: a job row is data, not trusted input)."""
    raw = params.get("filters") or {}
    if not isinstance(raw, dict):
        return selectors.EventFilters()
    known = {"organization", "task", "category", "status", "complete", "late", "evidence", "q"}
    values = {k: v for k, v in raw.items() if k in known and isinstance(v, str | int) and not isinstance(v, bool)}
    for key in ("organization", "task"):
        if key in values:
            values[key] = int(values[key]) if str(values[key]).isascii() and str(values[key]).isdigit() else None
    for key in known - {"organization", "task"}:
        if key in values:
            values[key] = str(values[key])[:200]
    return selectors.EventFilters(**values)


def _inputs(ctx: JobContext) -> tuple[Campaign, int, QuerySet[Event]]:
    user = ctx.job.started_by
    if user is None or not user.is_active:
        raise JobError("发起人账号已停用，无法按其权限导出台账。")
    campaign = selectors.campaigns_for_ledger(user).select_related("unit").filter(pk=ctx.params.get("campaign")).first()
    if campaign is None:
        raise JobError("该创建活动已不存在，或您已无权查看它的台账。")
    year = int(ctx.params.get("year", 0))
    if not 2000 <= year <= 2100:
        raise JobError("年度不正确。")
    events = selectors.filter_event_list(
        selectors.events_visible_to(user), user=user, filters=export_filters(ctx.params)
    )
    return campaign, year, events


def _include_unfinished(ctx: JobContext) -> bool:
    return ctx.params.get("include_unfinished") is True


def _temp_path(suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="wenming-job-")
    os.close(fd)
    return path


def build_workbook(ctx: JobContext) -> JobResult:
    campaign, year, events = _inputs(ctx)
    ctx.progress(5, "正在生成年度台账工作簿", force=True)
    path = _temp_path(".xlsx")
    try:
        rows = write_workbook(
            path, campaign=campaign, year=year, events=events, include_unfinished=_include_unfinished(ctx)
        )
    except BaseException:
        os.unlink(path)
        raise
    ctx.progress(95, f"已写入 {rows} 份档案", force=True)
    return JobResult(filename=f"{export_title(campaign, year, WORKBOOK)}.xlsx", path=path)


def build_zip(ctx: JobContext) -> JobResult:
    campaign, year, events = _inputs(ctx)
    include = _include_unfinished(ctx)
    total = events_for_year(events, campaign=campaign, year=year, include_unfinished=include).count()
    ctx.progress(2, f"正在生成台账目录（共 {total} 份档案）", force=True)

    def on_dossier(n: int) -> None:
        ctx.progress(5 + 94 * n / max(total, 1), f"正在打包第 {n}/{total} 份档案")

    path = _temp_path(".zip")
    try:
        with open(path, "wb") as fh:
            files = write_archive(
                fh, campaign=campaign, year=year, events=events, on_dossier=on_dossier, include_unfinished=include
            )
    except BaseException:
        os.unlink(path)
        raise
    ctx.progress(99, f"已打包 {total} 份档案、{files} 个材料文件", force=True)
    return JobResult(filename=f"{export_title(campaign, year, ZIP)}.zip", path=path)


register(WORKBOOK, build_workbook, label="年度台账 Excel")
register(ZIP, build_zip, label="年度台账 ZIP 档案包")

# The year-end archive PDF (ledger/archive): progress follows the pages laid out; a retry reuses a kept build.
register(archive_job.ARCHIVE_PDF, archive_job.build_archive_pdf, label="年度台账档案 PDF")
