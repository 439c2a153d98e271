"""What evaluation adds to the ledger's year-end archive PDF (found by ledger.archive.discover()).

- chapters: 测评项目 → 测评指标, each dossier filed under the indicators whose criteria it is tagged to;
- appendices: the latest locked self-inspection round with its scores, and the rectification list.
The ledger never imports this app; these hooks hand it plain data.
"""

from __future__ import annotations

from collections import defaultdict

from campaigns.models import Campaign
from ledger.archive import Appendix, Chapter, Section, Table, register_appendix, register_chapters
from organizations.models import Organization

from . import scoring, selectors
from .models import Criterion, Indicator, RectificationStatus, SelfAssessment


def chapters_by_criteria(*, campaign: Campaign, event_ids: list[int]) -> list[Chapter] | None:
    """One chapter per 测评项目 of the campaign's systems, one section per 测评指标 (None without a system)."""
    systems = selectors.campaign_systems(campaign)
    if not systems:
        return None
    order = {pk: n for n, pk in enumerate(event_ids)}
    tagged: dict[int, set[int]] = defaultdict(set)
    rows = Criterion.events.through.objects.filter(criterion__system__in=systems, event_id__in=event_ids).values_list(
        "criterion__indicator_id", "event_id"
    )
    for indicator_id, event_id in rows.iterator(chunk_size=5000):
        tagged[indicator_id].add(event_id)
    if not tagged:
        return None
    chapters: list[Chapter] = []
    indicators = (
        Indicator.objects.filter(system__in=systems)
        .select_related("item")
        .order_by("system_id", "item__order", "item_id", "order", "pk")
    )
    for ind in indicators:
        if not chapters or chapters[-1].title != _item_title(ind):
            chapters.append(Chapter(_item_title(ind), []))
        ids = sorted(tagged.get(ind.pk, ()), key=order.__getitem__)
        chapters[-1].sections.append(Section(f"{ind.code} {ind.name}".strip(), ids))
    return [c for c in chapters if any(s.event_ids for s in c.sections)]


def _item_title(ind: Indicator) -> str:
    return f"{ind.item.code} {ind.item.name}".strip()


def latest_locked_round(*, campaign: Campaign, year: int, unit: Organization) -> Appendix | None:
    assessment = (
        SelfAssessment.objects.filter(campaign=campaign, is_locked=True)
        .select_related("campaign", "system")
        .order_by("-date", "-locked_at", "-pk")
        .first()
    )
    if assessment is None:
        return Appendix("自检自查得分", paragraphs=["本创建活动尚无已定稿的自检自查轮次。"])
    sheet = selectors.assessment_sheet(assessment)
    rows = []
    for _item, indicators in sheet.groups():
        for ind, lines in indicators:
            for row in lines:
                c = row.criterion
                value = row.score.value if row.score is not None else None
                rows.append(
                    [
                        ind.code,
                        c.code,
                        c.text,
                        scoring.format_points(c.points),
                        scoring.format_points(value) if value is not None else "未评",
                    ]
                )
    t = sheet.totals
    summary = (
        f"{assessment.name}（{assessment.date:%Y年%m月%d日}，{assessment.system.name}）："
        f"基本分 {scoring.format_points(t.overall.score)} / {scoring.format_points(t.overall.full)}，"
        f"加分 {scoring.format_points(t.bonus)}，扣分 {scoring.format_points(t.deductions)}，"
        f"最终得分 {scoring.format_points(t.final)}" + ("；存在一票否决事项。" if t.disqualified else "。")
    )
    return Appendix(
        "最近一轮定稿的自检自查得分",
        paragraphs=[summary],
        tables=[Table(["指标", "标准", "测评标准", "分值", "得分"], rows)] if rows else [],
    )


def rectification_appendix(*, campaign: Campaign, year: int, unit: Organization) -> Appendix:
    statuses = dict(RectificationStatus.choices)
    rows = [
        [
            r.criterion.code if r.criterion_id else "—",
            r.problem,
            r.measure or "—",
            "、".join(u.short_name or u.name for u in r.responsible_units.all()) or r.responsible_person or "—",
            f"{r.deadline:%Y-%m-%d}" if r.deadline else "—",
            str(statuses.get(r.status, r.status)),
        ]
        for r in selectors.rectification_list(campaign=campaign)
    ]
    return Appendix(
        "整改清单",
        paragraphs=[f"共 {len(rows)} 项整改事项。" if rows else "本创建活动尚无整改事项。"],
        tables=[Table(["标准", "存在问题", "整改措施", "责任单位", "整改时限", "状态"], rows)] if rows else [],
    )


register_chapters(chapters_by_criteria)
register_appendix("self_assessment", latest_locked_round, order=30)
register_appendix("rectifications", rectification_appendix, order=40)
