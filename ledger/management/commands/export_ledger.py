"""`manage.py export_ledger --campaign ID --year YYYY --format xlsx|zip -o PATH`: the annual 台账 of a campaign."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from ledger.exports import write_archive, write_workbook
from ledger.models import Event


class Command(BaseCommand):
    help = "导出某创建活动某年度的台账：Excel 工作簿（xlsx）或含全部材料的档案包（zip）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, required=True, help="创建活动 ID")
        parser.add_argument("--year", type=int, required=True, help="年度，如 2026")
        parser.add_argument("--format", choices=["xlsx", "zip"], default="xlsx", help="xlsx 或 zip")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")
        parser.add_argument(
            "--include-unfinished",
            action="store_true",
            help="同时导出草稿和被退回的档案（档号前标注【草稿】/【退回】）；默认只导出已提交、已归档的档案",
        )

    def handle(self, *args, **options) -> None:
        campaign = Campaign.objects.select_related("unit").filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"没有 ID 为 {options['campaign']} 的创建活动。")
        path = Path(options["output"])
        if not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}")
        events = Event.objects.all()
        include = bool(options.get("include_unfinished"))
        if options["format"] == "xlsx":
            n = write_workbook(
                str(path), campaign=campaign, year=options["year"], events=events, include_unfinished=include
            )
            self.stdout.write(self.style.SUCCESS(f"已导出 {n} 份档案的台账目录到 {path}"))
        else:
            with path.open("wb") as fh:
                n = write_archive(
                    fh, campaign=campaign, year=options["year"], events=events, include_unfinished=include
                )
            self.stdout.write(self.style.SUCCESS(f"已导出档案包（{n} 个材料文件）到 {path}"))
