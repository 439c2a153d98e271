"""`manage.py volunteer_stats --unit CODE --year YYYY [--json]`: a unit's (or department's) volunteer statistics."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from organizations.models import Organization
from volunteers.selectors import volunteer_statistics


class Command(BaseCommand):
    help = "输出单位或部门某年度的志愿服务统计（在职职工数、注册人数、注册率、已确认时长等）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="单位或部门代码")
        parser.add_argument("--year", type=int, default=None, help="年度，默认今年")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, *args, **options) -> None:
        organization = Organization.objects.filter(code=options["unit"]).first()
        if organization is None:
            raise CommandError(f"找不到代码为 {options['unit']} 的单位或部门。")
        year = options["year"] or timezone.localdate().year
        stats = volunteer_statistics(organization=organization, year=year)
        data = stats.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        labels = {
            "staff": "在职职工数",
            "registered": "注册志愿者",
            "rate": "注册率（%）",
            "confirmed_hours": "已确认时长（小时）",
            "hours_per_volunteer": "人均时长（小时）",
            "share_reaching_target": f"达到 {stats.targets.hours_per_volunteer.normalize():f} 小时的比例（%）",
            "activities": "活动次数",
        }
        self.stdout.write(f"{organization.name} {year}年 志愿服务统计")
        for key, label in labels.items():
            value = data[key]
            self.stdout.write(f"  {label}：{'—' if value is None else value}")
