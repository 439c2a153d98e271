"""manage.py snapshot_units [--date 2026-12-01] [--no-fill]: the daily unit snapshots (what beat runs at 00:30)."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards.services import snapshot_units


class Command(BaseCommand):
    help = "生成各单位某日的指标快照（默认今天；重复运行会替换当日快照），并补齐近期漏掉的日期。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="日期，格式 YYYY-MM-DD（默认今天）")
        parser.add_argument("--no-fill", action="store_true", help="不补齐漏掉的日期")

    def handle(self, *args, **options) -> None:
        day = None
        if options["date"]:
            try:
                day = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"日期格式不对：{options['date']}（应为 YYYY-MM-DD）") from None
        result = snapshot_units(day=day, fill_missing=not options["no_fill"])
        self.stdout.write(json.dumps(result, ensure_ascii=False))
