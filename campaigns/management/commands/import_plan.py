"""manage.py import_plan PATH --unit CODE [--campaign ID] [--dry-run] [--json]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.importer import (
    PlanImportError,
    match_unit_names,
    parse_checked,
    plan_import_confirm,
    plan_payload,
    read_plan_upload,
)
from campaigns.models import Campaign
from campaigns.services import CampaignError
from organizations.models import Organization


class _File:
    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.size = path.stat().st_size
        self._fh = path.open("rb")

    def read(self, n: int = -1) -> bytes:
        return self._fh.read(n)


class Command(BaseCommand):
    help = "从方案原文（.txt / .docx）导入创建活动的阶段、领导小组和任务。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--unit", required=True, help="单位代码")
        parser.add_argument("--campaign", type=int, help="导入到已有的创建活动（ID）")
        parser.add_argument("--dry-run", action="store_true", help="只解析，不写入数据库")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出解析结果")
        parser.add_argument("--year", type=int, help="方案年度（原文未写明时用于推算日期）")

    def handle(self, *args, **opts) -> None:
        path = Path(opts["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        unit = Organization.objects.filter(code=opts["unit"]).first()
        if unit is None:
            raise CommandError(f"找不到单位代码：{opts['unit']}")
        campaign = None
        if opts.get("campaign"):
            campaign = Campaign.objects.filter(pk=opts["campaign"], unit=unit).first()
            if campaign is None:
                raise CommandError(f"该单位下没有编号为 {opts['campaign']} 的创建活动。")
        try:
            fh = _File(path)
            text = read_plan_upload(fh)
            year = opts.get("year") or (campaign.start_year if campaign else None)
            plan = parse_checked(text, year=year)
        except PlanImportError as exc:
            raise CommandError(str(exc)) from exc
        names = plan.unit_names()
        matches = match_unit_names(names, unit)
        unmatched = [n for n in names if matches[n].status in ("unmatched", "masked", "close")]
        created = None
        if not opts["dry_run"]:
            try:
                created = plan_import_confirm(unit=unit, payload=plan_payload(plan), campaign=campaign, plan_text=text)
            except (PlanImportError, CampaignError) as exc:
                raise CommandError(f"导入失败，未创建任何内容：{exc}") from exc
        if opts["json"]:
            out = plan.to_cli_json(unmatched)
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(
                f"阶段 {len(plan.phases)} 个，任务 {len(plan.tasks)} 条（含标题 {len(plan.nodes)} 条），"
                f"单位 {len(names)} 个，未匹配 {len(unmatched)} 个。"
            )
            for t in plan.tasks:
                self.stdout.write(
                    f"{t.number}\t{t.title}\t牵头：{'、'.join(t.lead_units)}\t配合：{'、'.join(t.cooperating_units)}"
                )
            if created is not None:
                self.stdout.write(self.style.SUCCESS(f"已导入到创建活动 #{created.pk}：{created.title}"))
