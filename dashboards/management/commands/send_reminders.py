"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run] [--json] [--only PREFIX]`: the reminder run for cron.

Beat runs the same service daily at 08:30 (dashboards.tasks.send_reminders); running it again, or for a day
already done, sends nothing twice.
"""

from __future__ import annotations

import datetime
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards.reminders import ALL_PREFIXES, run_reminders


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "按提醒规则发送到期、逾期、台账、志愿时长提醒与每周汇总（可重复运行，不会重复发送）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按这一天计算（YYYY-MM-DD，默认今天）")
        parser.add_argument("--dry-run", action="store_true", help="只计算哪些提醒到期，不写入、不发送")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出统计")
        parser.add_argument("--only", action="append", help=f"只运行某类规则，可重复：{', '.join(ALL_PREFIXES)}")

    def handle(self, *args, **options) -> None:
        today = _date(options["date"]) if options["date"] else None
        try:
            result = run_reminders(today=today, dry_run=options["dry_run"], only=options["only"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        data = result.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        prefix = "（试运行）" if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}{data['date']}：到期 {data['due']}，已发送 {data['sent']}，已存在跳过 {data['skipped']}，"
            f"待工作时间发送 {data['held']}，失败 {data['failed']}"
        )
        for rule, n in data["by_kind"].items():
            self.stdout.write(f"  {rule}: {n}")
