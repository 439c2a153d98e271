"""`manage.py scan_evidence [--campaign ID] [--json] [--no-ocr]`: run the evidence checks on existing photos again."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from ledger.evidence_services import evidence_scan


class Command(BaseCommand):
    help = "重新检查已上传的活动图片：疑似重复、拍摄时间不符、横幅文字（单位名称与日期）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="只检查该创建活动（ID）的图片")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出统计")
        parser.add_argument("--no-ocr", action="store_true", help="不识别文字（保留已识别的结果），只算哈希与时间")

    def handle(self, *args, **options) -> None:
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"没有 ID 为 {options['campaign']} 的创建活动。")
        summary = evidence_scan(campaign=campaign, ocr=not options["no_ocr"])
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
            return
        s = summary
        self.stdout.write(
            self.style.SUCCESS(
                f"已检查 {s.checked}/{s.photos} 张图片：疑似重复 {s.duplicates} 对，拍摄时间不符 {s.time_mismatch} 张，"
                f"横幅识别到单位名称 {s.banner_unit_found} 张；文字识别 {s.ocr_ok} 张（跳过 {s.ocr_skipped} 张，"
                f"共 {s.ocr_seconds} 秒）。"
            )
        )
