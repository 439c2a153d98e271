"""Reads of the evaluation app, always through the user's scope.

Who sees what (documented choice): evaluation systems are public standards issued by civilisation offices, so
every signed-in user reads every system, and nobody edits one in place (a new version is imported; importing
needs the 管理员 or 创建办 role somewhere). Everything scored against a system — rounds, scores, declarations,
rectification items, coverage — belongs to the campaign's unit and is read by whoever may read that campaign
(`organizations.scoping.context_units_for`) and changed only by the unit's 管理员/创建办.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Task
from campaigns.selectors import campaigns_changeable_by, campaigns_visible_to
from ledger.models import Event
from organizations.models import Role
from organizations.scoping import get_scope, scope_filter

from . import scoring
from .models import (
    BonusClaim,
    BonusItem,
    CampaignSystem,
    Criterion,
    EvaluationSystem,
    Indicator,
    NegativeDeclaration,
    NegativeListItem,
    RectificationItem,
    RectificationStatus,
    Score,
    ScoringStyle,
    SelfAssessment,
)


# ----------------------------------------------------------------------------------------------
# Scope
# ----------------------------------------------------------------------------------------------
def systems_visible_to(user: Any) -> QuerySet[EvaluationSystem]:
    if not getattr(user, "is_authenticated", False):
        return EvaluationSystem.objects.none()
    return EvaluationSystem.objects.all()


def can_import_systems(user: Any) -> bool:
    return any(m.role in (Role.ADMIN, Role.OFFICE) for m in get_scope(user).memberships)


def can_change_campaign(user: Any, campaign: Campaign) -> bool:
    return campaigns_changeable_by(user).filter(pk=campaign.pk).exists()


def assessments_visible_to(user: Any) -> QuerySet[SelfAssessment]:
    return SelfAssessment.objects.filter(campaign__in=campaigns_visible_to(user)).select_related(
        "campaign", "campaign__unit", "system"
    )


def rectifications_visible_to(user: Any) -> QuerySet[RectificationItem]:
    return RectificationItem.objects.filter(campaign__in=campaigns_visible_to(user)).select_related(
        "campaign", "campaign__unit"
    )


def tasks_taggable_by(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(campaign__in=campaigns_changeable_by(user)).select_related("campaign")


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(campaign__in=campaigns_visible_to(user)).select_related("campaign")


def events_visible_to(user: Any) -> QuerySet[Event]:
    return scope_filter(Event.objects.all(), user, "organization").select_related("campaign")


def events_taggable_by(user: Any) -> QuerySet[Event]:
    return scope_filter(Event.objects.all(), user, "organization", action="change").select_related("campaign")


def campaign_systems(campaign: Campaign) -> list[EvaluationSystem]:
    return [
        link.system for link in CampaignSystem.objects.filter(campaign=campaign).select_related("system").order_by("pk")
    ]


def criteria_for_campaign(campaign: Campaign) -> QuerySet[Criterion]:
    return (
        Criterion.objects.filter(system__campaign_links__campaign=campaign)
        .select_related("system")
        .order_by("system_id", "order")
    )


# ----------------------------------------------------------------------------------------------
# A system as plain data (export, round-trip comparison)
# ----------------------------------------------------------------------------------------------
def system_snapshot(system: EvaluationSystem) -> dict[str, Any]:
    """The whole system as nested dicts, in order, without database ids."""
    indicators = defaultdict(list)
    criteria = defaultdict(list)
    for c in Criterion.objects.filter(system=system).order_by("order", "pk"):
        criteria[c.indicator_id].append(
            {
                "code": c.code,
                "text": c.text,
                "points": c.points,
                "style": c.style,
                "methods": c.methods,
                "evidence_text": c.evidence_text,
                "rule_min_dossiers": c.rule_min_dossiers,
                "rule_min_photos": c.rule_min_photos,
                "rule_slots": list(c.rule_slots or []),
                "rule_period_months": c.rule_period_months,
            }
        )
    for i in Indicator.objects.filter(system=system).order_by("order", "pk"):
        indicators[i.item_id].append(
            {
                "code": i.code,
                "name": i.name,
                "points": i.points,
                "methods": i.methods if not criteria[i.pk] else "",
                "criteria": criteria[i.pk],
            }
        )
    return {
        "meta": {
            "name": system.name,
            "level": system.level,
            "year": system.year,
            "issuer": system.issuer,
            "total_points": system.total_points,
            "bonus_cap": system.bonus_cap,
            "notes": system.notes,
            "grades": dict(system.grade_percents),
        },
        "items": [
            {"code": it.code, "name": it.name, "points": it.points, "indicators": indicators[it.pk]}
            for it in system.items.order_by("order", "pk")
        ],
        "negatives": [
            {
                "code": n.code,
                "text": n.text,
                "consequence": n.consequence,
                "deduct_points": n.deduct_points,
                "window_months": n.window_months,
            }
            for n in system.negative_items.order_by("order", "pk")
        ],
        "bonuses": [
            {"code": b.code, "text": b.text, "max_points": b.max_points}
            for b in system.bonus_items.order_by("order", "pk")
        ],
    }


def system_tree(system: EvaluationSystem) -> list[Indicator]:
    """Indicators with their item and criteria, in order (3 queries)."""
    return list(
        Indicator.objects.filter(system=system)
        .select_related("item")
        .prefetch_related("criteria")
        .order_by("item__order", "order")
    )


# ----------------------------------------------------------------------------------------------
# Evidence coverage
# ----------------------------------------------------------------------------------------------
@dataclass
class Coverage:
    criterion_id: int
    tasks: list[Task] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    qualifying: int = 0
    needed: int | None = None
    message: str = ""
    met: bool | None = None  # None: no structured rule
    checked: bool = True  # False when the ledger's evidence files could not be read

    @property
    def ratio(self) -> Decimal:
        if self.needed:
            return Decimal(min(self.qualifying, self.needed)) / Decimal(self.needed)
        # No structured rule: any tagged dossier, or tagged tasks that are all done, cover the criterion.
        covered = bool(self.events) or (bool(self.tasks) and all(t.status == "done" for t in self.tasks))
        return Decimal(1) if covered else Decimal(0)

    @property
    def gap(self) -> bool:
        return (self.met is False) or (self.met is None and not self.events and not self.tasks)


def _evidence_slot_counts(event_ids: list[int]) -> dict[int, dict[str, int]] | None:
    """{event id: {slot: files}} from the ledger's EvidenceFile, or None when that model is not (yet) usable."""
    try:
        model = apps.get_model("ledger", "EvidenceFile")
        fields = {f.name for f in model._meta.get_fields()}
    except LookupError:
        return None
    if not {"slot", "event"} <= fields:
        return None
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not event_ids:
        return counts
    rows = model.objects.filter(event_id__in=event_ids).values("event_id", "slot").annotate(n=Count("pk"))
    for row in rows:
        counts[row["event_id"]][row["slot"]] = row["n"]
    return counts


def coverage_for(campaign: Campaign, criteria: list[Criterion]) -> dict[int, Coverage]:
    """Per criterion: the campaign's tagged tasks and dossiers, and whether the structured rule is met (4 queries)."""
    ids = [c.pk for c in criteria]
    result = {c.pk: Coverage(criterion_id=c.pk) for c in criteria}
    task_links = (
        Criterion.tasks.through.objects.filter(criterion_id__in=ids, task__campaign=campaign)
        .select_related("task")
        .order_by("task__order")
    )
    for link in task_links:
        result[link.criterion_id].tasks.append(link.task)
    event_links = (
        Criterion.events.through.objects.filter(criterion_id__in=ids, event__campaign=campaign)
        .select_related("event")
        .order_by("-event__start_date", "event_id")
    )
    for link in event_links:
        result[link.criterion_id].events.append(link.event)
    event_ids = sorted({e.pk for cov in result.values() for e in cov.events})
    slot_counts = _evidence_slot_counts(event_ids)
    today = timezone.localdate()
    for c in criteria:
        cov = result[c.pk]
        if not c.has_rule:
            continue
        cov.needed = c.rule_min_dossiers or 1
        since = None
        if c.rule_period_months:
            since = today - datetime.timedelta(days=round(c.rule_period_months * 30.44))
        needs_files = bool(c.rule_min_photos or c.rule_slots)
        if needs_files and slot_counts is None:
            cov.checked = False
        qualifying = 0
        for event in cov.events:
            if event.status == "returned":
                continue
            if since and event.start_date < since:
                continue
            if needs_files and slot_counts is not None:
                files = slot_counts.get(event.pk, {})
                if c.rule_min_photos and files.get("photo", 0) < c.rule_min_photos:
                    continue
                if any(files.get(slot, 0) < 1 for slot in c.rule_slots):
                    continue
            qualifying += 1
        cov.qualifying = qualifying
        cov.met = qualifying >= cov.needed
        cov.message = f"{rule_label(c)}：已有{qualifying}次"
    return result


def rule_label(c: Criterion) -> str:
    parts = [f"需{c.rule_min_dossiers or 1}次"]
    if c.evidence_text:
        # Keep the requirement's own words where short, e.g. "需2次班子会议纪要".
        short = c.evidence_text.replace("提供", "", 1)
        short = short.split("（")[0].split("(")[0]
        if len(short) <= 16 and str(c.rule_min_dossiers or "") in short:
            parts = [f"需{short}"]
    if c.rule_min_photos:
        parts.append(f"每次图片{c.rule_min_photos}张")
    if c.rule_slots:
        from .workbook import SLOT_LABELS

        parts.append("须有" + "、".join(SLOT_LABELS.get(s, s) for s in c.rule_slots))
    if c.rule_period_months:
        parts.append(f"近{c.rule_period_months}个月")
    return "，".join(parts)


# ----------------------------------------------------------------------------------------------
# The self-inspection sheet
# ----------------------------------------------------------------------------------------------
@dataclass
class Row:
    criterion: Criterion
    score: Score | None
    coverage: Coverage
    suggestion: Decimal | None
    has_rectification: bool

    @property
    def below_full(self) -> bool:
        return (
            self.score is not None
            and self.score.value is not None
            and self.criterion.points is not None
            and self.score.value < self.criterion.points
        )


@dataclass
class Sheet:
    assessment: SelfAssessment
    indicators: list[Indicator]
    rows_by_indicator: dict[int, list[Row]]
    totals: scoring.Totals
    bonus_items: list[BonusItem]
    claims: dict[int, BonusClaim]
    negative_items: list[NegativeListItem]
    declarations: dict[int, NegativeDeclaration]

    def groups(self):
        """[(item, [(indicator, rows)])] in order, for the template."""
        out: list[tuple[Any, list]] = []
        for ind in self.indicators:
            if not out or out[-1][0].pk != ind.item_id:
                out.append((ind.item, []))
            out[-1][1].append((ind, self.rows_by_indicator.get(ind.pk, [])))
        return out


def totals_for(assessment: SelfAssessment) -> scoring.Totals:
    """Totals of a round (4 queries)."""
    criteria = (
        Criterion.objects.filter(system_id=assessment.system_id)
        .select_related("indicator")
        .only("pk", "points", "indicator_id", "indicator__item_id")
    )
    values = dict(Score.objects.filter(assessment=assessment).values_list("criterion_id", "value"))
    lines = [scoring.CriterionLine(c.indicator.item_id, c.indicator_id, c.points, values.get(c.pk)) for c in criteria]
    claims = [
        (cl.points, cl.bonus_item.max_points)
        for cl in BonusClaim.objects.filter(assessment=assessment).select_related("bonus_item")
    ]
    negatives = [
        scoring.NegativeOutcome(d.item.code, d.item.text, d.item.consequence, d.item.deduct_points)
        for d in NegativeDeclaration.objects.filter(assessment=assessment, occurred=True).select_related("item")
    ]
    return scoring.compute_totals(
        lines, bonus_claims=claims, bonus_cap=assessment.system.bonus_cap, negatives=negatives
    )


def assessment_sheet(assessment: SelfAssessment) -> Sheet:
    """Everything the self-inspection page shows, in a fixed number of queries whatever the system's size."""
    system = assessment.system
    indicators = system_tree(system)  # 2 queries
    criteria = [c for ind in indicators for c in ind.criteria.all()]
    scores = {
        s.criterion_id: s
        for s in Score.objects.filter(assessment=assessment).prefetch_related("evidence_events")  # 2 queries
    }
    coverage = coverage_for(assessment.campaign, criteria)  # 3 queries
    rectified = set(
        RectificationItem.objects.filter(assessment=assessment).values_list("criterion_id", flat=True)
    )  # 1 query
    rows_by_indicator: dict[int, list[Row]] = defaultdict(list)
    lines = []
    for ind in indicators:
        for c in ind.criteria.all():
            score = scores.get(c.pk)
            cov = coverage[c.pk]
            rows_by_indicator[ind.pk].append(
                Row(
                    criterion=c,
                    score=score,
                    coverage=cov,
                    suggestion=scoring.suggested_points(c.points, ratio=cov.ratio),
                    has_rectification=c.pk in rectified,
                )
            )
            lines.append(
                scoring.CriterionLine(
                    ind.item_id,
                    ind.pk,
                    c.points,
                    score.value if score else None,
                    scored=score is not None
                    and (score.value is not None or bool(score.grade) or score.passed is not None),
                )
            )
    bonus_items = list(BonusItem.objects.filter(system=system).order_by("order"))  # 1
    claims = {cl.bonus_item_id: cl for cl in BonusClaim.objects.filter(assessment=assessment)}  # 1
    negative_items = list(NegativeListItem.objects.filter(system=system).order_by("order"))  # 1
    declarations = {d.item_id: d for d in NegativeDeclaration.objects.filter(assessment=assessment)}  # 1
    by_id = {b.pk: b for b in bonus_items}
    neg_by_id = {n.pk: n for n in negative_items}
    totals = scoring.compute_totals(
        lines,
        bonus_claims=[(cl.points, by_id[cl.bonus_item_id].max_points) for cl in claims.values()],
        bonus_cap=system.bonus_cap,
        negatives=[
            scoring.NegativeOutcome(n.code, n.text, n.consequence, n.deduct_points)
            for d in declarations.values()
            if d.occurred
            for n in [neg_by_id[d.item_id]]
        ],
    )
    return Sheet(
        assessment=assessment,
        indicators=indicators,
        rows_by_indicator=rows_by_indicator,
        totals=totals,
        bonus_items=bonus_items,
        claims=claims,
        negative_items=negative_items,
        declarations=declarations,
    )


def earlier_first(one: SelfAssessment, other: SelfAssessment) -> tuple[SelfAssessment, SelfAssessment]:
    """The two rounds in time order (date, then creation), so a change always reads later minus earlier."""
    return (one, other) if (one.date, one.pk) <= (other.date, other.pk) else (other, one)


def compare_rounds(first: SelfAssessment, second: SelfAssessment) -> dict[str, Any]:
    """Two rounds of one system side by side: per criterion both values and the change (second minus first;
    pass the rounds through `earlier_first` so that is later minus earlier)."""
    indicators = system_tree(first.system)
    a = dict(Score.objects.filter(assessment=first).values_list("criterion_id", "value"))
    b = dict(Score.objects.filter(assessment=second).values_list("criterion_id", "value"))
    rows = []
    for ind in indicators:
        for c in ind.criteria.all():
            va, vb = a.get(c.pk), b.get(c.pk)
            change = vb - va if va is not None and vb is not None else None
            rows.append({"indicator": ind, "criterion": c, "first": va, "second": vb, "change": change})
    return {"rows": rows, "first_totals": totals_for(first), "second_totals": totals_for(second)}


def round_totals(rounds: list[SelfAssessment]) -> dict[int, scoring.Totals]:
    """Totals of many rounds at once, for the round list (4 queries whatever the number of rounds)."""
    if not rounds:
        return {}
    system_ids = {r.system_id for r in rounds}
    round_ids = [r.pk for r in rounds]
    criteria: dict[int, list[tuple[int, int, int, Decimal | None]]] = defaultdict(list)
    for pk, system_id, indicator_id, item_id, points in Criterion.objects.filter(system_id__in=system_ids).values_list(
        "pk", "system_id", "indicator_id", "indicator__item_id", "points"
    ):
        criteria[system_id].append((pk, indicator_id, item_id, points))
    values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for assessment_id, criterion_id, value in Score.objects.filter(assessment_id__in=round_ids).values_list(
        "assessment_id", "criterion_id", "value"
    ):
        values[assessment_id][criterion_id] = value
    claims: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for assessment_id, points, max_points in BonusClaim.objects.filter(assessment_id__in=round_ids).values_list(
        "assessment_id", "points", "bonus_item__max_points"
    ):
        claims[assessment_id].append((points, max_points))
    negatives: dict[int, list[scoring.NegativeOutcome]] = defaultdict(list)
    for d in NegativeDeclaration.objects.filter(assessment_id__in=round_ids, occurred=True).select_related("item"):
        negatives[d.assessment_id].append(
            scoring.NegativeOutcome(d.item.code, d.item.text, d.item.consequence, d.item.deduct_points)
        )
    out = {}
    for r in rounds:
        lines = [
            scoring.CriterionLine(item_id, indicator_id, points, values[r.pk].get(pk))
            for pk, indicator_id, item_id, points in criteria[r.system_id]
        ]
        out[r.pk] = scoring.compute_totals(
            lines, bonus_claims=claims[r.pk], bonus_cap=r.system.bonus_cap, negatives=negatives[r.pk]
        )
    return out


def criterion_task_units(campaign: Campaign, criteria: list[Criterion]) -> dict[int, list[Any]]:
    """Per criterion: the lead units of its linked tasks in this campaign, in task order (2 queries)."""
    links = list(
        Criterion.tasks.through.objects.filter(criterion_id__in=[c.pk for c in criteria], task__campaign=campaign)
        .order_by("task__order", "task_id")
        .values_list("criterion_id", "task_id")
    )
    leads: dict[int, list[Any]] = defaultdict(list)
    for row in (
        Task.lead_units.through.objects.filter(task_id__in={t for _, t in links})
        .select_related("organization")
        .order_by("organization__path")
    ):
        leads[row.task_id].append(row.organization)
    out: dict[int, list[Any]] = defaultdict(list)
    for criterion_id, task_id in links:
        for org in leads[task_id]:
            if org not in out[criterion_id]:
                out[criterion_id].append(org)
    return out


@dataclass
class LostLine:
    criterion: Criterion
    score: Score
    lost: Decimal
    listed: bool
    units: list[Any]


def lost_points(assessment: SelfAssessment, criterion_ids: list[int] | None = None) -> list[LostLine]:
    """The round's criteria scored below full marks (optionally only `criterion_ids`), in the system's order,
    each with its points lost, whether it is already on the 整改清单 and the units its tasks suggest."""
    scores = (
        Score.objects.filter(assessment=assessment, value__isnull=False, criterion__points__isnull=False)
        .select_related("criterion", "criterion__indicator", "criterion__indicator__item")
        .order_by("criterion__indicator__item__order", "criterion__indicator__order", "criterion__order")
    )
    if criterion_ids is not None:
        scores = scores.filter(criterion_id__in=criterion_ids)
    below = [s for s in scores if s.value < s.criterion.points]
    listed = set(
        RectificationItem.objects.filter(assessment=assessment, criterion__isnull=False).values_list(
            "criterion_id", flat=True
        )
    )
    units = criterion_task_units(assessment.campaign, [s.criterion for s in below])
    return [
        LostLine(
            criterion=s.criterion,
            score=s,
            lost=scoring.quantize(s.criterion.points - s.value),
            listed=s.criterion_id in listed,
            units=units.get(s.criterion_id, []),
        )
        for s in below
    ]


# ----------------------------------------------------------------------------------------------
# Rectification list
# ----------------------------------------------------------------------------------------------
RECTIFICATION_SORTS = {
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
    "status": ("status", "deadline", "pk"),
    "created": ("-created_at", "-pk"),
    "points": ("-points_lost", "pk"),
}


def rectification_list(
    *,
    campaign: Campaign,
    status: str = "",
    overdue: bool = False,
    query: str = "",
    sort: str = "deadline",
    round_id: int | None = None,
) -> QuerySet[RectificationItem]:
    qs = (
        RectificationItem.objects.filter(campaign=campaign)
        .select_related("criterion", "assessment")
        .prefetch_related("responsible_units", "proof_events")
    )
    if status in RectificationStatus.values:
        qs = qs.filter(status=status)
    if round_id:
        qs = qs.filter(assessment_id=round_id)
    if overdue:
        qs = qs.filter(
            status__in=[RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS],
            deadline__lt=timezone.localdate(),
        )
    if query:
        qs = qs.filter(
            Q(problem__icontains=query)
            | Q(measure__icontains=query)
            | Q(responsible_person__icontains=query)
            | Q(criterion__code=query)
        )
    return qs.order_by(*RECTIFICATION_SORTS.get(sort, RECTIFICATION_SORTS["deadline"]))


def style_is_points(c: Criterion) -> bool:
    return c.style == ScoringStyle.POINTS


def remembered_mapping(signature: str) -> dict[int, str] | None:
    """The column mapping saved for this layout of published 测评体系 at its last import, if any."""
    from .models import ColumnMapping

    row = ColumnMapping.objects.filter(signature=signature).first()
    return {int(k): v for k, v in row.mapping.items() if str(k).isascii() and str(k).isdigit()} if row else None
