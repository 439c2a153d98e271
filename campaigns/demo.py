"""Demo campaigns for `manage.py seed_demo`: each demo unit's plan is made by running the plan importer on
`demo_data/demo_plan.txt` (our own text in the style of a real 创建方案), then given progress in every state."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from demo.context import DemoContext

from . import importer, services
from .models import Campaign, CampaignLevel, ProgressReport, Task, TaskStatus

DEMO_UNITS = {"scjgj": "信用监管科", "sthjj": "宣传教育科"}  # unit code → the department its liaison2 sits in
DEMO_PLAN = Path(__file__).resolve().parent / "demo_data" / "demo_plan.txt"
# Progress by task position: (status, percent) in rotation, so every state occurs.
PROGRESS_CYCLE = [(TaskStatus.DONE, 100), (TaskStatus.DOING, 60), (TaskStatus.TODO, 0), (TaskStatus.DOING, 30)]


def demo_year() -> int:
    return timezone.localdate().year


def demo_plan_text(unit, department: str, year: int) -> str:
    return (
        DEMO_PLAN.read_text(encoding="utf-8")
        .replace("{year}", str(year))
        .replace("{unit}", unit.short_name or unit.name)
        .replace("{dept}", department)
    )


def _title(unit, year: int) -> str:
    return f"{year}年度{unit.short_name or unit.name}文明单位创建"


@transaction.atomic
def _seed_unit(ctx: DemoContext, code: str, department: str, year: int) -> Campaign:
    unit = ctx.organizations[code]
    existing = Campaign.objects.filter(unit=unit, title=_title(unit, year)).first()
    if existing is not None:
        return existing
    text = demo_plan_text(unit, department, year)
    plan = importer.parse_checked(text, year=year)
    campaign = importer.plan_import_confirm(
        unit=unit,
        payload=plan.to_payload(),
        user=ctx.users.get(f"{code}_office"),
        title=_title(unit, year),
        level=CampaignLevel.CITY,
        start_year=year,
        end_year=year,
        plan_text=text,
    )
    reporter = ctx.users.get(f"{code}_office")
    leaves = Task.objects.filter(campaign=campaign, children__isnull=True).order_by("order")
    for i, task in enumerate(leaves):
        status, percent = PROGRESS_CYCLE[i % len(PROGRESS_CYCLE)]
        if percent and reporter is not None:
            services.progress_report_create(
                task=task,
                author=reporter,
                text="已按计划推进，相关材料已归档。" if percent == 100 else "正在推进，已完成部分工作。",
                percent=percent,
            )
        task.status, task.progress = status, percent
        task.save(update_fields=["status", "progress", "updated_at"])
    return campaign


def seed(ctx: DemoContext) -> dict:
    year = demo_year()
    campaigns: dict[str, Campaign] = {}
    for code, department in DEMO_UNITS.items():
        if code in ctx.organizations:
            campaigns[code] = _seed_unit(ctx, code, department, year)
    ctx.extra["campaigns"] = campaigns
    return {
        "campaigns": [
            {"id": c.pk, "title": c.title, "unit_code": code, "year": c.start_year} for code, c in campaigns.items()
        ]
    }


def reset(ctx: DemoContext) -> None:
    qs = Campaign.objects.filter(unit__code__in=list(DEMO_UNITS))
    ProgressReport.objects.filter(task__campaign__in=qs).delete()
    qs.delete()
