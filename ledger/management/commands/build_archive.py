"""Build the year-end archive PDF of a campaign: `manage.py build_archive --campaign ID --year YYYY -o PATH`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from organizations.models import Organization

from ...archive.content import gather
from ...archive.render import ArchiveBuildError, build_pdf


class Command(BaseCommand):
    help = "生成创建活动某年度的台账档案 PDF（封面、说明、目录、按测评项目分章的全部已归档档案、附录）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--campaign", type=int, required=True, help="创建活动编号")
        parser.add_argument("--year", type=int, required=True, help="年度，如 2026")
        parser.add_argument("-o", "--output", required=True, help="输出 PDF 路径")
        parser.add_argument("--unit", default="", help="只收录该组织（按组织代码）及其下属的档案")
        parser.add_argument(
            "--json", action="store_true", help="以 JSON 输出页数、档案数、图片数、用时、峰值内存、SHA-256"
        )
        parser.add_argument("--chunk", type=int, default=50, help="每块最多的档案数（默认 50）")
        parser.add_argument("--workers", type=int, default=0, help="并行排版进程数（默认按 CPU 核数，至多 2）")
        parser.add_argument("--detail", action="store_true", help="--json 另附分块数、进程数、各阶段用时（基准用）")

    def handle(self, *args, **opts) -> None:
        campaign = Campaign.objects.select_related("unit").filter(pk=opts["campaign"]).first()
        if campaign is None:
            raise CommandError(f"没有编号为 {opts['campaign']} 的创建活动。")
        if not 2000 <= opts["year"] <= 2100:
            raise CommandError("年度须在 2000–2100 之间。")
        unit = None
        if opts["unit"]:
            unit = Organization.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"没有代码为 {opts['unit']} 的组织。")
            if not unit.path.startswith(campaign.unit.path):
                raise CommandError("该组织不属于此创建活动的单位。")
        content = gather(campaign=campaign, year=opts["year"], unit=unit)

        def progress(done: int, total: int, pages: int, peak_mb: float) -> None:
            # stderr, so --json keeps stdout to the one JSON line
            self.stderr.write(f"已排版 {done}/{total} 份档案，{pages} 页，单个排版进程峰值内存 {peak_mb:.0f} MB")

        try:
            stats = build_pdf(
                content,
                opts["output"],
                chunk_dossiers=max(1, opts["chunk"]),
                workers=max(0, opts["workers"]) or None,
                on_progress=progress,
            )
        except ArchiveBuildError as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            data = stats.as_json() | (stats.detail() if opts["detail"] else {})
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            self.stdout.write(
                f"已生成 {opts['output']}：{stats.pages} 页，{stats.dossiers} 份档案，{stats.photos} 张图片，"
                f"用时 {stats.seconds:.1f} 秒，峰值内存 {stats.peak_rss_mb:.0f} MB，SHA-256 {stats.sha256}"
            )
