"""`manage.py import_hours PATH --unit CODE [--confirmed] [--dry-run] [--json]`: import service hours from Excel.

All or nothing: any row error refuses the whole file and the command exits with status 1.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organizations.models import Organization
from organizations.scoping import unit_of
from volunteers.imports import parse_hours_workbook, plan_as_json, plan_hours_import
from volunteers.models import ServiceActivity, Volunteer
from volunteers.services import VolunteerError, hours_import


class Command(BaseCommand):
    help = (
        "从 Excel 模板导入志愿服务时长（姓名、志愿者编号或手机号后四位、活动名称、日期、时长）；"
        "任一行出错则整份不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Excel 文件（.xlsx）")
        parser.add_argument(
            "--unit", required=True, help="单位（或部门）代码；新活动记在其名下，志愿者在其所属单位中匹配"
        )
        parser.add_argument("--confirmed", action="store_true", help="导入的时长直接记为已确认")
        parser.add_argument("--dry-run", action="store_true", help="只检查和预览，不保存")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, **options) -> None:
        organizer = Organization.objects.filter(code=options["unit"]).first()
        if organizer is None:
            raise CommandError(f"找不到代码为 {options['unit']} 的单位或部门。")
        unit = unit_of(organizer)
        if unit is None:
            raise CommandError(f"{organizer.name} 不属于任何单位。")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}。")
        parsed = parse_hours_workbook(path.read_bytes())
        plan = plan_hours_import(
            parsed,
            volunteers=Volunteer.objects.filter(organization__path__startswith=unit.path, is_active=True),
            activities=ServiceActivity.objects.filter(organization__path__startswith=unit.path),
        )
        result = {**plan_as_json(plan), "dry_run": options["dry_run"], "saved": 0, "activities_created": 0}
        refused = bool(plan.errors) or not plan.records
        if not refused and not options["dry_run"]:
            try:
                outcome = hours_import(plan=plan, organizer=organizer, created_by=None, confirmed=options["confirmed"])
            except VolunteerError as error:
                result["errors"].append({"row": 0, "message": str(error)})
                refused = True
            else:
                result["saved"] = outcome.records
                result["activities_created"] = outcome.activities_created
        result["ok"] = not refused
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for error in result["errors"]:
                prefix = f"第{error['row']}行：" if error["row"] else ""
                self.stderr.write(f"{prefix}{error['message']}")
            if refused:
                self.stderr.write(f"未导入：共 {len(result['errors']) or 1} 处错误。")
            elif options["dry_run"]:
                self.stdout.write(f"检查通过（未保存）：{result['rows']} 条，{result['hours']} 小时。")
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"已导入 {result['saved']} 条，{result['hours']} 小时，"
                        f"新建活动 {result['activities_created']} 个。"
                    )
                )
        if refused:
            raise SystemExit(1)
