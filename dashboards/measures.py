"""The measures of one unit: what its 驾驶舱 shows, what a daily snapshot stores and what the city page compares.

Outcomes only — tasks done and late, evidence complete and on time, self-inspection score, rectification closed,
volunteers registered and serving. Never logins, time online, clicks or numbers of photos: the 2024 rules against
形式主义 forbid 打卡排名 and judging work by 留痕, so nothing here counts activity on the platform.

`unit_cockpit(unit, today)` reads every app in a fixed number of queries whatever the amount of data (one query per
measure group; rows grow, queries do not). Access is decided by the caller (dashboards.selectors).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Campaign, Phase, Task, TaskStatus
from evaluation import scoring
from evaluation.models import (
    BonusClaim,
    CampaignSystem,
    Criterion,
    NegativeDeclaration,
    RectificationItem,
    RectificationStatus,
    Score,
    SelfAssessment,
)
from evaluation.selectors import coverage_for
from ledger.models import Event, category_choices
from organizations.models import Organization
from volunteers.selectors import VolunteerStats, volunteer_statistics
from volunteers.services import campaign_for

DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    green: Decimal  # default 绿灯线
    red: Decimal  # default 红灯线


# The measures the city page compares (and the thresholds an office may set), in column order.
MEASURES: tuple[Measure, ...] = (
    Measure("task_done_pct", "任务完成率", "%", True, Decimal("80"), Decimal("50")),
    Measure("tasks_overdue", "逾期任务", "项", False, Decimal("0"), Decimal("5")),
    Measure("self_pct", "自查得分率", "%", True, Decimal("85"), Decimal("70")),
    Measure("rect_closure_pct", "整改完成率", "%", True, Decimal("90"), Decimal("60")),
    Measure("evidence_days", "材料齐全平均用时", "天", False, Decimal("7"), Decimal("15")),
    Measure("late_entry_pct", "补录率", "%", False, Decimal("10"), Decimal("30")),
    Measure("dossier_complete_pct", "档案齐全率", "%", True, Decimal("90"), Decimal("70")),
    Measure("coverage_pct", "测评标准佐证覆盖率", "%", True, Decimal("80"), Decimal("50")),
    Measure("volunteer_rate", "志愿者注册率", "%", True, Decimal("95"), Decimal("80")),
    Measure("hours_per_volunteer", "人均志愿服务时长", "小时", True, Decimal("25"), Decimal("15")),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
MEASURE_CHOICES = [(m.key, m.label) for m in MEASURES]


def pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole in percent, one decimal, half up; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def light(measure: Measure, value: Decimal | float | None, *, green: Decimal, red: Decimal) -> str:
    """ "green" / "yellow" / "red" for a value against the two lines ("" without a value)."""
    if value is None:
        return ""
    v = Decimal(str(value))
    if measure.higher_is_better:
        return "green" if v >= green else ("red" if v < red else "yellow")
    return "green" if v <= green else ("red" if v > red else "yellow")


@dataclass
class DepartmentRow:
    organization_id: int
    name: str
    total: int
    done: int
    late: int

    @property
    def done_pct(self) -> Decimal | None:
        return pct(self.done, self.total)


@dataclass
class RoundRow:
    assessment: SelfAssessment
    totals: scoring.Totals

    @property
    def percent(self) -> Decimal | None:
        return self.totals.percent


@dataclass
class IndicatorCell:
    item_label: str
    indicator_label: str
    position: int
    criteria: int
    covered: int

    @property
    def percent(self) -> Decimal | None:
        return pct(self.covered, self.criteria)


@dataclass
class Cockpit:
    unit: Organization
    today: datetime.date
    campaign: Campaign | None = None
    tasks_total: int = 0
    tasks_done: int = 0
    tasks_overdue: int = 0
    tasks_due_soon: int = 0
    departments: list[DepartmentRow] = field(default_factory=list)
    dossiers: int = 0
    dossiers_complete: int = 0
    dossiers_late: int = 0
    evidence_days: Decimal | None = None
    dossiers_monthly: dict[str, list[int]] = field(default_factory=dict)
    rounds: list[RoundRow] = field(default_factory=list)
    criteria_total: int = 0
    criteria_covered: int = 0
    coverage_cells: list[IndicatorCell] = field(default_factory=list)
    volunteers: VolunteerStats | None = None
    rect_total: int = 0
    rect_open: int = 0
    rect_overdue: int = 0
    rect_closed: int = 0
    phases: list[Phase] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def task_done_pct(self) -> Decimal | None:
        return pct(self.tasks_done, self.tasks_total)

    @property
    def dossier_complete_pct(self) -> Decimal | None:
        return pct(self.dossiers_complete, self.dossiers)

    @property
    def late_entry_pct(self) -> Decimal | None:
        return pct(self.dossiers_late, self.dossiers)

    @property
    def latest_round(self) -> RoundRow | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def coverage_pct(self) -> Decimal | None:
        return pct(self.criteria_covered, self.criteria_total)

    @property
    def rect_closure_pct(self) -> Decimal | None:
        return pct(self.rect_closed, self.rect_total)

    @property
    def overdue_departments(self) -> list[DepartmentRow]:
        return sorted((d for d in self.departments if d.late), key=lambda d: (-d.late, d.name))

    def measures(self) -> dict[str, Any]:
        """The flat numbers a snapshot stores (floats and ints, JSON-ready); None where there is nothing to measure."""

        def num(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        latest = self.latest_round
        vol = self.volunteers
        return {
            "task_done_pct": num(self.task_done_pct),
            "tasks_overdue": self.tasks_overdue,
            "self_pct": num(latest.percent) if latest else None,
            "rect_closure_pct": num(self.rect_closure_pct),
            "evidence_days": num(self.evidence_days),
            "late_entry_pct": num(self.late_entry_pct),
            "dossier_complete_pct": num(self.dossier_complete_pct),
            "coverage_pct": num(self.coverage_pct),
            "volunteer_rate": num(vol.rate) if vol else None,
            "hours_per_volunteer": num(vol.hours_per_volunteer) if vol else None,
            # Counts behind the rates (shown in the 通报 and the tables).
            "tasks_total": self.tasks_total,
            "tasks_done": self.tasks_done,
            "tasks_due_soon": self.tasks_due_soon,
            "dossiers": self.dossiers,
            "rect_open": self.rect_open,
            "rect_overdue": self.rect_overdue,
            "veto": bool(latest and latest.totals.disqualified),
            "share_reaching_target": num(vol.share_reaching_target) if vol else None,
        }


def _tasks(cockpit: Cockpit, campaign: Campaign) -> None:
    today = cockpit.today
    # Leaves only: a heading ("一、思想教育") groups tasks and is not itself done or late.
    leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
    open_q = ~Q(status=TaskStatus.DONE)
    late_q = open_q & Q(due_date__lt=today)
    stats = leaves.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        late=Count("pk", filter=late_q),
        soon=Count(
            "pk",
            filter=open_q & Q(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)),
        ),
    )
    cockpit.tasks_total, cockpit.tasks_done = stats["total"], stats["done"]
    cockpit.tasks_overdue, cockpit.tasks_due_soon = stats["late"], stats["soon"]
    rows = (
        leaves.filter(lead_units__isnull=False)
        .values("lead_units__id", "lead_units__name", "lead_units__short_name", "lead_units__path")
        .annotate(
            total=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.DONE)), late=Count("pk", filter=late_q)
        )
        .order_by("lead_units__path")
    )
    cockpit.departments = [
        DepartmentRow(
            organization_id=r["lead_units__id"],
            name=r["lead_units__short_name"] or r["lead_units__name"],
            total=r["total"],
            done=r["done"],
            late=r["late"],
        )
        for r in rows
    ]


def _dossiers(cockpit: Cockpit) -> None:
    """Counts, days to complete evidence and dossiers per month by category, from one pass over the year's rows
    (one query; a unit's year is hundreds of rows, so the rows cost less than three round trips)."""
    events = Event.objects.filter(organization__path__startswith=cockpit.unit.path, start_date__year=cockpit.year)
    labels = dict(category_choices())
    monthly: dict[str, list[int]] = {}
    days: list[int] = []
    for start, end, done_at, complete, late, category in events.order_by().values_list(
        "start_date", "end_date", "completed_at", "is_complete", "is_late_entry", "category"
    ):
        cockpit.dossiers += 1
        cockpit.dossiers_complete += complete
        cockpit.dossiers_late += late
        if complete and done_at is not None:
            # Days from the activity (its last day) to the moment its evidence became complete; never below 0.
            days.append(max((timezone.localtime(done_at).date() - (end or start)).days, 0))
        monthly.setdefault(str(labels.get(category, category)), [0] * 12)[start.month - 1] += 1
    if days:
        cockpit.evidence_days = (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    cockpit.dossiers_monthly = dict(sorted(monthly.items()))


def _rounds(cockpit: Cockpit, campaign: Campaign) -> None:
    """Every self-inspection round's totals with evaluation.scoring, five queries for all the rounds together."""
    rounds = list(SelfAssessment.objects.filter(campaign=campaign).select_related("system").order_by("date", "pk"))
    if not rounds:
        return
    ids = [r.pk for r in rounds]
    criteria: dict[int, list[tuple[int, int, int, Decimal | None]]] = defaultdict(list)
    for pk, system_id, item_id, indicator_id, points in Criterion.objects.filter(
        system_id__in={r.system_id for r in rounds}
    ).values_list("pk", "system_id", "indicator__item_id", "indicator_id", "points"):
        criteria[system_id].append((pk, item_id, indicator_id, points))
    values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for assessment_id, criterion_id, value in Score.objects.filter(assessment_id__in=ids).values_list(
        "assessment_id", "criterion_id", "value"
    ):
        values[assessment_id][criterion_id] = value
    claims: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for assessment_id, points, maximum in BonusClaim.objects.filter(assessment_id__in=ids).values_list(
        "assessment_id", "points", "bonus_item__max_points"
    ):
        claims[assessment_id].append((points, maximum))
    negatives: dict[int, list[scoring.NegativeOutcome]] = defaultdict(list)
    for assessment_id, code, text, consequence, deduct in NegativeDeclaration.objects.filter(
        assessment_id__in=ids, occurred=True
    ).values_list("assessment_id", "item__code", "item__text", "item__consequence", "item__deduct_points"):
        negatives[assessment_id].append(scoring.NegativeOutcome(code, text, consequence, deduct))
    for r in rounds:
        lines = [
            scoring.CriterionLine(item_id, indicator_id, points, values[r.pk].get(pk))
            for pk, item_id, indicator_id, points in criteria[r.system_id]
        ]
        totals = scoring.compute_totals(
            lines, bonus_claims=claims[r.pk], bonus_cap=r.system.bonus_cap, negatives=negatives[r.pk]
        )
        cockpit.rounds.append(RoundRow(assessment=r, totals=totals))


def _coverage(cockpit: Cockpit, campaign: Campaign) -> None:
    """Criteria of the system last scored (else the first one the campaign adopted) with evidence, per indicator."""
    latest = cockpit.latest_round
    system_id = latest.assessment.system_id if latest else None
    if system_id is None:
        system_id = (
            CampaignSystem.objects.filter(campaign=campaign).order_by("pk").values_list("system_id", flat=True).first()
        )
    if system_id is None:
        return
    criteria = list(
        Criterion.objects.filter(system_id=system_id)
        .select_related("indicator", "indicator__item")
        .order_by("indicator__item__order", "indicator__order", "order", "pk")
    )
    coverage = coverage_for(campaign, criteria)
    cells: dict[int, IndicatorCell] = {}
    positions: dict[int, int] = defaultdict(int)
    for c in criteria:
        ind = c.indicator
        if ind.pk not in cells:
            positions[ind.item_id] += 1
            cells[ind.pk] = IndicatorCell(
                item_label=f"{ind.item.code} {ind.item.name}".strip(),
                indicator_label=f"{ind.code} {ind.name}".strip(),
                position=positions[ind.item_id],
                criteria=0,
                covered=0,
            )
        cell = cells[ind.pk]
        cell.criteria += 1
        if coverage[c.pk].ratio >= 1:
            cell.covered += 1
    cockpit.coverage_cells = list(cells.values())
    cockpit.criteria_total = len(criteria)
    cockpit.criteria_covered = sum(cell.covered for cell in cells.values())


def _rectification(cockpit: Cockpit, campaign: Campaign) -> None:
    open_q = Q(status__in=[RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS])
    stats = RectificationItem.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=open_q & Q(deadline__lt=cockpit.today)),
        closed=Count("pk", filter=Q(status__in=[RectificationStatus.DONE, RectificationStatus.CLOSED])),
    )
    cockpit.rect_total, cockpit.rect_open = stats["total"], stats["open"]
    cockpit.rect_overdue, cockpit.rect_closed = stats["overdue"], stats["closed"]


def unit_cockpit(unit: Organization, *, today: datetime.date | None = None) -> Cockpit:
    """All the measures of a unit's current campaign (the one covering this year, as the volunteer statistics pick)."""
    today = today or timezone.localdate()
    cockpit = Cockpit(unit=unit, today=today)
    campaign = campaign_for(unit, today.year)
    cockpit.campaign = campaign
    _dossiers(cockpit)
    cockpit.volunteers = volunteer_statistics(organization=unit, year=today.year)
    if campaign is None:
        return cockpit
    _tasks(cockpit, campaign)
    _rounds(cockpit, campaign)
    _coverage(cockpit, campaign)
    _rectification(cockpit, campaign)
    cockpit.phases = list(Phase.objects.filter(campaign=campaign).order_by("order", "start", "pk"))
    return cockpit
