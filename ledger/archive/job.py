"""The "archive_pdf" job kind (registered in ledger/jobs.py): build, keep as a new version, offer for download."""

from __future__ import annotations

import os
import shutil
import tempfile

from jobs.context import JobContext, JobError
from jobs.registry import JobResult

from .. import selectors
from ..models import ArchiveBuild
from .builds import archive_build_record
from .content import gather
from .render import ArchiveBuildError, build_pdf

ARCHIVE_PDF = "archive_pdf"


def archive_title(campaign, year: int) -> str:
    unit = campaign.unit.short_name or campaign.unit.name
    return f"{unit}-{year}年度台账档案 PDF"


def _temp(suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="wenming-job-")
    os.close(fd)
    return path


def _copy_of(build: ArchiveBuild) -> str:
    path = _temp(".pdf")
    with build.file.open("rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return path


def build_archive_pdf(ctx: JobContext) -> JobResult:
    """Build the archive with the starter's scope at run time; progress follows the pages laid out."""
    user = ctx.job.started_by
    if user is None or not user.is_active:
        raise JobError("发起人账号已停用，无法按其权限生成台账档案。")
    campaign = selectors.campaigns_for_ledger(user).select_related("unit").filter(pk=ctx.params.get("campaign")).first()
    if campaign is None or not selectors.can_manage_ledger(user, campaign):
        raise JobError("该创建活动已不存在，或您已无权生成它的台账档案。")
    try:
        year = int(ctx.params.get("year", 0))
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise JobError("年度不正确。")
    done = ArchiveBuild.objects.filter(job=ctx.job).first()
    if done is not None:  # a retry after the build was kept: hand out that build again
        return JobResult(filename=done.filename, path=_copy_of(done), content_type="application/pdf")

    ctx.progress(2, "正在收集档案", force=True)
    content = gather(campaign=campaign, year=year, unit=campaign.unit, events=selectors.events_visible_to(user))
    total = len(content.dossiers)
    if total == 0:
        raise JobError(f"{year}年度没有已归档的档案，无需生成台账档案。")
    ctx.progress(4, f"共 {total} 份档案，开始排版", force=True)

    def on_progress(dossiers_done: int, dossiers_total: int, pages: int, _peak_mb: float) -> None:
        ctx.progress(
            5 + 85 * dossiers_done / max(dossiers_total, 1),
            f"已排版 {pages} 页（{dossiers_done}/{dossiers_total} 份档案）",
        )

    path = _temp(".pdf")
    try:
        try:
            stats = build_pdf(content, path, on_progress=on_progress)
        except ArchiveBuildError as exc:
            raise JobError(f"台账档案排版失败：{exc}") from exc
        ctx.progress(92, f"共 {stats.pages} 页，正在保存归档文件", force=True)
        build = archive_build_record(
            campaign=campaign, unit=campaign.unit, year=year, path=path, stats=stats, built_by=user, job=ctx.job
        )
    except BaseException:
        os.unlink(path)
        raise
    return JobResult(filename=build.filename, path=path, content_type="application/pdf")
