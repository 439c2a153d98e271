"""Demo evaluation data for `manage.py seed_demo`: the shipped demo workbook (`demo_data/demo_system.xlsx`, our own
text) imported through the ordinary importer, attached to the demo campaigns, two self-inspection rounds per unit
(the first locked), criterion tags on some tasks and dossiers, and rectification items. Idempotent."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from demo.context import DemoContext
from ledger.models import Event, EventStatus, EvidenceFile

from . import services
from .models import (
    Criterion,
    EvaluationSystem,
    RectificationItem,
    RectificationStatus,
    Score,
    ScoringStyle,
    SelfAssessment,
)
from .workbook import parse_workbook

DEMO_WORKBOOK = Path(__file__).resolve().parent / "demo_data" / "demo_system.xlsx"
DEMO_UNITS = ("scjgj", "sthjj")
ROUNDS = ("第一轮自检自查", "第二轮自检自查")


def demo_system() -> EvaluationSystem:
    parsed = parse_workbook(DEMO_WORKBOOK, filename=DEMO_WORKBOOK.name)
    if parsed.errors:  # the shipped file is ours; a failure here is a bug
        raise RuntimeError(f"演示测评体系无法导入：{parsed.errors[:3]}")
    existing = EvaluationSystem.objects.filter(name=parsed.meta["name"]).order_by("pk").first()
    return existing or services.system_import(parsed=parsed, filename=DEMO_WORKBOOK.name)


def _demo_campaigns(ctx: DemoContext) -> dict[str, Campaign]:
    campaigns = dict(ctx.extra.get("campaigns", {}) or {})
    for code in DEMO_UNITS:
        if code not in campaigns:
            found = Campaign.objects.filter(unit__code=code).order_by("-start_year", "pk").first()
            if found is not None:
                campaigns[code] = found
    return campaigns


def _score_kwargs(c: Criterion, n: int, round_no: int) -> dict:
    """Deterministic scores: round 1 loses points on some criteria, round 2 recovers most of them."""
    weak = n % 3 == 1 and not (round_no == 2 and n % 2 == 1)
    if c.style == ScoringStyle.GRADE:
        return {"grade": "B" if weak else "A"}
    if c.style == ScoringStyle.YES_NO:
        return {"passed": not weak}
    if c.style == ScoringStyle.DEDUCTION:
        rows = [{"points": "0.5", "reason": "现场发现一处不规范"}] if weak or round_no == 1 else []
        return {"deductions": rows}
    points = c.points or 0
    return {"points": str(points - 1 if weak and points >= 1 else points)}


# Every SHORT_EVERY-th criterion is left one dossier short, so the coverage page shows what a 缺口 looks like.
SHORT_EVERY = 6


def _fits(c: Criterion, event: Event, files: Counter, since: datetime.date | None) -> bool:
    """Whether a dossier counts for the criterion's structured rule (the rule evaluation.selectors checks)."""
    if since and event.start_date < since:
        return False
    if c.rule_min_photos and files["photo"] < c.rule_min_photos:
        return False
    return all(files[slot] >= 1 for slot in c.rule_slots)


def _tag_evidence(campaign: Campaign, criteria: list[Criterion]) -> None:
    """Tag each criterion with dossiers of the campaign's own year that meet its rule, as an office would.

    Dossiers of other years (the ledger demo also has last year's) never stand as evidence for this year's
    criteria; tags an older demo left on them are removed. Deterministic, so a second run adds nothing.
    """
    year = campaign.start_year
    pool = list(
        campaign.events.filter(start_date__year=year).exclude(status=EventStatus.RETURNED).order_by("start_date", "pk")
    )
    if not pool:
        return
    files: dict[int, Counter] = defaultdict(Counter)
    for event_id, slot in EvidenceFile.objects.filter(event__in=pool).values_list("event_id", "slot"):
        files[event_id][slot] += 1
    today = timezone.localdate()
    for n, c in enumerate(criteria):
        stale = c.events.filter(campaign=campaign).exclude(start_date__year=year)
        if stale.exists():
            c.events.remove(*stale)
        since = today - datetime.timedelta(days=round(c.rule_period_months * 30.44)) if c.rule_period_months else None
        fits = [e for e in pool if _fits(c, e, files[e.pk], since)]
        if not fits:
            continue
        wanted = (c.rule_min_dossiers or 1) if c.has_rule else 1
        if n % SHORT_EVERY == SHORT_EVERY - 1:
            wanted -= 1
        start = (n * 3) % len(fits)
        c.events.add(*(fits[start:] + fits[:start])[:wanted])


@transaction.atomic
def _seed_campaign(ctx: DemoContext, code: str, campaign: Campaign, system: EvaluationSystem) -> None:
    services.campaign_system_adopt(campaign=campaign, system=system)
    criteria = list(Criterion.objects.filter(system=system).order_by("order"))
    tasks = list(campaign.tasks.filter(children__isnull=True).order_by("order")[: len(criteria)])
    for c, task in zip(criteria, tasks, strict=False):
        c.tasks.add(task)
    _tag_evidence(campaign, criteria)
    user = ctx.users.get(f"{code}_office")
    year = campaign.start_year
    for round_no, name in enumerate(ROUNDS, start=1):
        assessment = SelfAssessment.objects.filter(campaign=campaign, name=name).first()
        if assessment is not None:
            continue
        assessment = services.assessment_create(
            campaign=campaign,
            system=system,
            name=name,
            date=datetime.date(year, 9 if round_no == 1 else 10, 15),
            user=user,
        )
        for n, c in enumerate(criteria):
            services.score_save(
                assessment=assessment,
                criterion=c,
                user=user,
                comment="" if round_no == 2 else "材料不够完整" if n % 3 == 1 else "",
                **_score_kwargs(c, n, round_no),
            )
        bonus = system.bonus_items.order_by("order").first()
        if bonus is not None:
            services.bonus_claim_save(assessment=assessment, bonus_item=bonus, points="2", note="获市级表彰")
        for item in system.negative_items.all():
            services.negative_declare(assessment=assessment, item=item, occurred=False)
        if round_no == 1:
            below = [
                s.criterion
                for s in Score.objects.filter(assessment=assessment).select_related("criterion").order_by("pk")
                if s.value is not None and s.criterion.points is not None and s.value < s.criterion.points
            ]
            for k, c in enumerate(below[:4]):
                item = services.rectification_from_score(assessment=assessment, criterion=c, user=user)
                services.rectification_update(
                    item=item,
                    user=user,
                    measure="补充完善相关材料，按要求开展活动并归档",
                    responsible_person="创建办联络员",
                    deadline=datetime.date(year, 10 + k % 2, 31 if k % 2 == 0 else 30),
                    status=[RectificationStatus.DONE, RectificationStatus.IN_PROGRESS][k % 2],
                    responsible_units=[campaign.unit],
                )
            services.assessment_lock(assessment=assessment, user=user)
    if not RectificationItem.objects.filter(campaign=campaign, criterion__isnull=True).exists():
        services.rectification_create(
            campaign=campaign,
            problem="部分宣传栏内容未及时更新",
            measure="每月更新一次宣传栏，指定专人负责",
            responsible_person="办公室",
            deadline=datetime.date(year, 12, 20),
            user=user,
        )


def seed(ctx: DemoContext) -> dict:
    system = demo_system()
    for code, campaign in sorted(_demo_campaigns(ctx).items()):
        _seed_campaign(ctx, code, campaign, system)
    return {"evaluation_systems": [{"id": system.pk, "name": system.name}]}


def reset(ctx: DemoContext) -> None:
    campaigns = Campaign.objects.filter(unit__code__in=DEMO_UNITS)
    RectificationItem.objects.filter(campaign__in=campaigns).delete()
    SelfAssessment.objects.filter(campaign__in=campaigns).delete()
    name = parse_workbook(DEMO_WORKBOOK).meta["name"]
    for system in EvaluationSystem.objects.filter(name=name):
        system.campaign_links.all().delete()
        if not system.self_assessments.exists():
            system.delete()
