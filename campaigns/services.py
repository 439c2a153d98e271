"""Every write to campaigns, phases, the leadership group, tasks and progress reports."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from organizations.field_ranges import date_problem, number_problem
from organizations.models import Organization
from organizations.query_params import MAX_YEAR, MIN_YEAR
from organizations.scoping import can_change, has_role

from .models import (
    Campaign,
    CampaignStatus,
    LeadershipMember,
    Phase,
    ProgressReport,
    Recurrence,
    Task,
    TaskStatus,
)


class CampaignError(ValueError):
    """A change that cannot be made; the message is for the user (Chinese)."""


def check_years(start_year: object, end_year: object) -> None:
    """Both years plausible (2000–2100); a CampaignError in Chinese otherwise."""
    for label, year in (("起始年度", start_year), ("结束年度", end_year)):
        if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
            raise CampaignError(f"{label}须在 {MIN_YEAR}–{MAX_YEAR} 年之间。")


@transaction.atomic
def campaign_create(
    *,
    unit: Organization,
    title: str,
    level: str,
    start_year: int,
    end_year: int,
    created_by: Any = None,
    status: str = CampaignStatus.ACTIVE,
    guiding_idea: str = "",
    goals: str = "",
    plan_text: str = "",
) -> Campaign:
    check_years(start_year, end_year)
    campaign = Campaign(
        unit=unit,
        title=title,
        level=level,
        start_year=start_year,
        end_year=end_year,
        created_by=created_by,
        status=status,
        guiding_idea=guiding_idea,
        goals=goals,
        plan_text=plan_text,
    )
    if end_year < start_year:
        raise CampaignError("结束年度不能早于起始年度。")
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, formsets: Iterable[Any] = (), **fields: Any) -> Campaign:
    """Change a campaign's fields and, in the same transaction, its validated phase / leadership formsets."""
    allowed = {"title", "level", "start_year", "end_year", "status", "guiding_idea", "goals", "plan_text"}
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"campaign_update() got an unexpected field {key!r}")
        setattr(campaign, key, value)
    if "start_year" in fields or "end_year" in fields:
        check_years(campaign.start_year, campaign.end_year)
    if campaign.end_year < campaign.start_year:
        raise CampaignError("结束年度不能早于起始年度。")
    campaign.full_clean()
    campaign.save()
    for formset in formsets:
        formset.instance = campaign
        formset.save()
    return campaign


@transaction.atomic
def phase_create(
    *,
    campaign: Campaign,
    name: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    description: str = "",
    order: int | None = None,
) -> Phase:
    if start and end and end < start:
        raise CampaignError("阶段结束日期不能早于开始日期。")
    problem = date_problem(start, "阶段开始日期") or date_problem(end, "阶段结束日期")
    if problem:
        raise CampaignError(problem)
    if order is None:
        order = (campaign.phases.aggregate(m=Max("order"))["m"] or 0) + 1
    return Phase.objects.create(
        campaign=campaign, name=name[:100], start=start, end=end, description=description, order=order
    )


@transaction.atomic
def phase_update(
    *,
    phase: Phase,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    description: str | None = None,
) -> Phase:
    """New dates (and description, when given) for a phase, e.g. from a re-imported plan."""
    if start and end and end < start:
        raise CampaignError("阶段结束日期不能早于开始日期。")
    problem = date_problem(start, "阶段开始日期") or date_problem(end, "阶段结束日期")
    if problem:
        raise CampaignError(problem)
    phase.start, phase.end = start, end
    fields = ["start", "end"]
    if description is not None:
        phase.description = description
        fields.append("description")
    phase.save(update_fields=fields)
    return phase


@transaction.atomic
def leadership_member_create(
    *,
    campaign: Campaign,
    name: str,
    role: str,
    duty: str = "",
    user: Any = None,
    organization: Organization | None = None,
    order: int | None = None,
) -> LeadershipMember:
    if order is None:
        order = (campaign.leadership.aggregate(m=Max("order"))["m"] or 0) + 1
    return LeadershipMember.objects.create(
        campaign=campaign,
        name=name[:100],
        role=role,
        duty=duty[:500],
        user=user,
        organization=organization,
        order=order,
    )


def _next_task_order(campaign: Campaign) -> int:
    return (campaign.tasks.aggregate(m=Max("order"))["m"] or 0) + 1


def _check_task_values(*, due_date: Any, recurrence: Any, target_value: Any) -> None:
    """The values a task row must hold before it is written (every path: form, import, plan, Excel)."""
    problem = date_problem(due_date, "完成时限") if isinstance(due_date, datetime.date) else ""
    if recurrence not in Recurrence.values:
        problem = problem or f"频次“{str(recurrence)[:20]}”无效。"
    if target_value is not None:
        problem = problem or number_problem(Task, "target_value", target_value, label="目标值")
    if problem:
        raise CampaignError(problem)


@transaction.atomic
def task_create(
    *,
    campaign: Campaign,
    title: str,
    number: str = "",
    parent: Task | None = None,
    content: str = "",
    lead_units: Iterable[Organization] = (),
    cooperating_units: Iterable[Organization] = (),
    phase: Phase | None = None,
    due_date: datetime.date | None = None,
    start_date: datetime.date | None = None,
    order: int | None = None,
    status: str = TaskStatus.TODO,
    progress: int = 0,
    recurrence: str = Recurrence.ONCE,
    target_text: str = "",
    target_value: Decimal | None = None,
    target_unit: str = "",
    responsible_people: Iterable[Any] = (),
) -> Task:
    if parent is not None and parent.campaign_id != campaign.pk:
        raise CampaignError("上级条目不属于该创建活动。")
    if phase is not None and phase.campaign_id != campaign.pk:
        raise CampaignError("阶段不属于该创建活动。")
    if not 0 <= int(progress) <= 100:
        raise CampaignError("进度必须在 0 到 100 之间。")
    _check_task_values(due_date=due_date, recurrence=recurrence, target_value=target_value)
    if order is None:
        order = _next_task_order(campaign)
    task = Task.objects.create(
        campaign=campaign,
        parent=parent,
        number=number[:50],
        title=title[:500],
        content=content,
        phase=phase,
        due_date=due_date,
        start_date=start_date,
        order=order,
        status=status,
        progress=progress,
        recurrence=recurrence,
        target_text=target_text[:200],
        target_value=target_value,
        target_unit=target_unit[:20],
    )
    lead = list(lead_units)
    coop = [u for u in cooperating_units if u not in lead]
    if lead:
        task.lead_units.set(lead)
    if coop:
        task.cooperating_units.set(coop)
    people = list(responsible_people)
    if people:
        task.responsible_people.set(people)
    return task


@transaction.atomic
def task_update(
    *,
    task: Task,
    lead_units: Iterable[Organization] | None = None,
    cooperating_units: Iterable[Organization] | None = None,
    responsible_people: Iterable[Any] | None = None,
    **fields: Any,
) -> Task:
    allowed = {
        "title",
        "number",
        "parent",
        "content",
        "phase",
        "due_date",
        "start_date",
        "order",
        "status",
        "progress",
        "recurrence",
        "target_text",
        "target_value",
        "target_unit",
    }
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"task_update() got an unexpected field {key!r}")
        setattr(task, key, value)
    _check_task_values(due_date=task.due_date, recurrence=task.recurrence, target_value=task.target_value)
    if task.parent_id is not None:
        # No cycles: walk up from the new parent.
        node = task.parent
        while node is not None:
            if node.pk == task.pk:
                raise CampaignError("不能把任务放到它自己或它的下级之下。")
            node = node.parent
    task.full_clean(exclude=["campaign"])
    task.save()
    if lead_units is not None:
        lead = list(lead_units)
        task.lead_units.set(lead)
    else:
        lead = list(task.lead_units.all())
    if cooperating_units is not None:
        task.cooperating_units.set([u for u in cooperating_units if u not in lead])
    if responsible_people is not None:
        task.responsible_people.set(list(responsible_people))
    return task


def task_units_can_report(user: Any, task: Task) -> list[Organization]:
    """Organisations of the task (lead or cooperating) on whose behalf `user` may report progress.

    An office/admin of the campaign's unit may report for any of the task's units (or the unit itself);
    a liaison only for task units inside their own department's subtree.
    """
    units = list(task.lead_units.all()) + list(task.cooperating_units.all())
    allowed = [u for u in units if can_change(user, u)]
    if not allowed and has_role(user, task.campaign.unit, {"admin", "office"}) and can_change(user, task.campaign.unit):
        allowed = [task.campaign.unit]
    return allowed


@transaction.atomic
def progress_report_create(
    *,
    task: Task,
    author: Any,
    text: str,
    percent: int,
    organization: Organization | None = None,
    reported_on: datetime.date | None = None,
) -> ProgressReport:
    """Record a progress report and carry its percent onto the task (100 % → 已完成, >0 → 进行中)."""
    allowed = task_units_can_report(author, task)
    if not allowed:
        raise PermissionDenied("您所在的部门不承担此任务，不能填报进展。")
    if organization is None:
        organization = allowed[0]
    elif organization not in allowed:
        raise PermissionDenied("不能代其他单位填报进展。")
    try:
        percent = int(percent)
    except (TypeError, ValueError) as exc:
        raise CampaignError("进度必须是 0 到 100 之间的整数。") from exc
    if not 0 <= percent <= 100:
        raise CampaignError("进度必须是 0 到 100 之间的整数。")
    if not (text or "").strip():
        raise CampaignError("请填写进展情况。")
    kwargs: dict[str, Any] = {}
    if reported_on is not None:
        kwargs["reported_on"] = reported_on
    report = ProgressReport(
        task=task, organization=organization, author=author, text=text.strip(), percent=percent, **kwargs
    )
    try:
        report.full_clean()
    except ValidationError as exc:
        raise CampaignError("；".join(exc.messages)) from exc
    report.save()
    task.progress = percent
    task.status = TaskStatus.DONE if percent >= 100 else (TaskStatus.DOING if percent > 0 else task.status)
    task.save(update_fields=["progress", "status", "updated_at"])
    return report


def _shift_date(d: datetime.date | None, years: int) -> datetime.date | None:
    if d is None:
        return None
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@transaction.atomic
def campaign_copy_to_next_cycle(*, campaign: Campaign, years: int = 1, user: Any = None) -> Campaign:
    """Copy a campaign to a new cycle: phases (dates shifted), leadership group, task tree; statuses reset."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise CampaignError("新一轮的间隔年数须为正整数。")
    check_years(campaign.start_year + years, campaign.end_year + years)
    title = campaign.title
    for y in sorted({campaign.start_year, campaign.end_year}, reverse=True):
        title = title.replace(str(y), str(y + years))
    if title == campaign.title:
        title = f"{campaign.title}（{campaign.start_year + years}）"
    new = campaign_create(
        unit=campaign.unit,
        title=title[:200],
        level=campaign.level,
        start_year=campaign.start_year + years,
        end_year=campaign.end_year + years,
        created_by=user,
        status=CampaignStatus.DRAFT,
        guiding_idea=campaign.guiding_idea,
        goals=campaign.goals,
        plan_text=campaign.plan_text,
    )
    phase_map = {}
    for p in campaign.phases.all():
        phase_map[p.pk] = Phase.objects.create(
            campaign=new,
            name=p.name,
            start=_shift_date(p.start, years),
            end=_shift_date(p.end, years),
            description=p.description,
            order=p.order,
        )
    for m in campaign.leadership.all():
        LeadershipMember.objects.create(
            campaign=new, name=m.name, user=m.user, organization=m.organization, role=m.role, duty=m.duty, order=m.order
        )
    task_map: dict[int, Task] = {}
    tasks = list(campaign.tasks.order_by("order", "pk").prefetch_related("lead_units", "cooperating_units"))
    pending = list(tasks)
    while pending:  # parents before children
        rest = []
        for t in pending:
            if t.parent_id and t.parent_id not in task_map:
                rest.append(t)
                continue
            copy = Task.objects.create(
                campaign=new,
                parent=task_map.get(t.parent_id),
                number=t.number,
                title=t.title,
                content=t.content,
                phase=phase_map.get(t.phase_id),
                due_date=_shift_date(t.due_date, years),
                recurrence=t.recurrence,
                target_text=t.target_text,
                target_value=t.target_value,
                target_unit=t.target_unit,
                status=TaskStatus.TODO,
                progress=0,
                order=t.order,
            )
            copy.lead_units.set(t.lead_units.all())
            copy.cooperating_units.set(t.cooperating_units.all())
            task_map[t.pk] = copy
        if len(rest) == len(pending):
            break
        pending = rest
    return new
