"""Reminder rules about tasks, and the small vocabulary every app's reminders.py shares.

A rule reads what is true *now* (at the run's date) and yields `Due` items: who should be told what about
which object, with a `period` that makes the message unique. The runner (dashboards/reminders.py) hands them
to `notifications.services.notify_many`, whose outbox is unique on (rule, object, recipient, channel, period):
so a rerun, a second beat or a missed day never sends a message twice, and a changed deadline (a new period)
gives new messages while the old ones are no longer yielded.

Every rule does a fixed number of queries whatever the number of tasks: one for the objects (with
select_related / prefetch_related), one for the people to tell, one for the settings.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from organizations.models import Membership, Organization, Role, User

from .models import (
    Campaign,
    CampaignStatus,
    LeadershipMember,
    LeadershipRole,
    ReminderSettings,
    Task,
    TaskStatus,
    current_status_q,
)

# How long after its start a task's start notice may still be caught up (a server down for a few days).
START_CATCH_UP_DAYS = 7


@dataclass(frozen=True)
class Due:
    """One message that is due now: `notify(rule=..., obj=..., recipients=..., period=..., ...)`."""

    rule: str
    obj: Any
    recipients: tuple[User, ...]
    period: str
    title: str
    body: str
    url: str
    organization: Organization | None = None
    kind: str = "reminder"
    robot_organizations: tuple[Organization, ...] = ()


@dataclass
class RuleContext:
    """What every rule of one run shares: the date, the active campaigns and their reminder settings."""

    today: datetime.date
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    working_days_between: Callable[[datetime.date, datetime.date], int] | None = None
    _wd_cache: dict[tuple[datetime.date, datetime.date], int] = field(default_factory=dict)

    def settings_for(self, campaign_id: int) -> ReminderSettings:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            return ReminderSettings()
        return getattr(campaign, "_reminder_settings", None) or ReminderSettings(campaign=campaign)

    def campaign_for_unit(self, unit_id: int) -> Campaign | None:
        """The unit's current active campaign (the latest), for rules about objects without a campaign."""
        found = [c for c in self.campaigns.values() if c.unit_id == unit_id]
        return max(found, key=lambda c: (c.start_year, c.pk)) if found else None

    def working_days_late(self, deadline: datetime.date) -> int:
        """Working days after `deadline` up to today (the first working day after it → 1)."""
        key = (deadline, self.today)
        if key not in self._wd_cache:
            if self.working_days_between is None:
                from notifications.services import working_days_between

                self.working_days_between = working_days_between
            self._wd_cache[key] = self.working_days_between(deadline, self.today)
        return self._wd_cache[key]


def load_context(today: datetime.date, *, campaign_ids: Iterable[int] | None = None) -> RuleContext:
    """The campaigns under way on `today` (active and covering its year) with their settings (one query).

    A campaign whose years are over reads 已结束 even if nobody closed it, so it sends no more reminders.
    """
    qs = Campaign.objects.filter(current_status_q(CampaignStatus.ACTIVE, year=today.year)).select_related(
        "unit", "reminder_settings"
    )
    if campaign_ids is not None:
        qs = qs.filter(pk__in=list(campaign_ids))
    campaigns = {}
    for c in qs:
        try:
            c._reminder_settings = c.reminder_settings
        except ReminderSettings.DoesNotExist:
            c._reminder_settings = None
        campaigns[c.pk] = c
    return RuleContext(today=today, campaigns=campaigns)


def people_by_org(org_ids: Iterable[int], roles: Iterable[str]) -> dict[tuple[int, str], list[User]]:
    """Active users holding `roles` directly on each organisation, in one query: {(org_id, role): [users]}."""
    found: dict[tuple[int, str], list[User]] = defaultdict(list)
    ids = set(org_ids)
    if not ids:
        return found
    for m in (
        Membership.objects.filter(organization_id__in=ids, role__in=list(roles), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ):
        found[(m.organization_id, m.role)].append(m.user)
    return found


def leaders_by_campaign(campaign_ids: Iterable[int]) -> dict[int, list[User]]:
    """组长 and 副组长 of each campaign's leadership group who have an account, in one query."""
    found: dict[int, list[User]] = defaultdict(list)
    ids = set(campaign_ids)
    if not ids:
        return found
    for m in LeadershipMember.objects.filter(
        campaign_id__in=ids,
        role__in=[LeadershipRole.LEADER, LeadershipRole.DEPUTY],
        user__isnull=False,
        user__is_active=True,
    ).select_related("user"):
        if m.user not in found[m.campaign_id]:
            found[m.campaign_id].append(m.user)
    return found


def unique_users(*groups: Iterable[User]) -> tuple[User, ...]:
    seen: dict[int, User] = {}
    for group in groups:
        for user in group:
            seen.setdefault(user.pk, user)
    return tuple(seen.values())


def due_soon_step(deadline: datetime.date, today: datetime.date, days: list[int]) -> int | None:
    """The due-soon step that applies today: the smallest N with deadline - N <= today <= deadline.

    A run that missed the 7-days day sends the 3-days notice only (caught up once, not twice).
    """
    if today > deadline:
        return None
    passed = [n for n in days if deadline - datetime.timedelta(days=n) <= today]
    return min(passed) if passed else None


def overdue_step(working_days_late: int, repeat: int) -> int | None:
    """The overdue ladder: step 1 on the first working day after the deadline, then one more every `repeat`."""
    if working_days_late < 1:
        return None
    return 1 + (working_days_late - 1) // max(repeat, 1)


def days_left_text(deadline: datetime.date, today: datetime.date) -> str:
    left = (deadline - today).days
    return "今天到期" if left == 0 else f"还有 {left} 天到期"


# ------------------------------------------------------------------------------
# Task rules
# ------------------------------------------------------------------------------
TASK_RULES = (
    "task.start",
    "task.start.cooperating",
    "task.due_soon",
    "task.overdue",
    "task.overdue.office",
    "task.overdue.leaders",
)


def _open_leaf_tasks(ctx: RuleContext) -> QuerySet[Task]:
    """Open tasks (not done) without sub-tasks, of the active campaigns."""
    return (
        Task.objects.filter(campaign_id__in=list(ctx.campaigns), children__isnull=True)
        .exclude(status=TaskStatus.DONE)
        .select_related("phase")
        .order_by("campaign_id", "order", "pk")
    )


@dataclass
class TaskPeople:
    """Lead and cooperating organisations and 责任人 of a batch of tasks, read set-wise (five queries)."""

    lead: dict[int, list[Organization]]
    cooperating: dict[int, list[Organization]]
    responsible: dict[int, list[User]]


def task_people(tasks: QuerySet[Task]) -> TaskPeople:
    ids = tasks.order_by().values("pk")
    lead_rows = list(Task.lead_units.through.objects.filter(task_id__in=ids).values_list("task_id", "organization_id"))
    coop_rows = list(
        Task.cooperating_units.through.objects.filter(task_id__in=ids).values_list("task_id", "organization_id")
    )
    resp_rows = list(Task.responsible_people.through.objects.filter(task_id__in=ids).values_list("task_id", "user_id"))
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in={o for _, o in lead_rows + coop_rows})}
    users = {u.pk: u for u in User.objects.filter(pk__in={u for _, u in resp_rows}, is_active=True)}
    found = TaskPeople(defaultdict(list), defaultdict(list), defaultdict(list))
    for rows, target, source in ((lead_rows, found.lead, orgs), (coop_rows, found.cooperating, orgs)):
        for task_id, org_id in rows:
            target[task_id].append(source[org_id])
    for task_id, user_id in resp_rows:
        if user_id in users:
            found.responsible[task_id].append(users[user_id])
    for mapping in (found.lead, found.cooperating):
        for orgs_of_task in mapping.values():
            orgs_of_task.sort(key=lambda o: o.path)
    return found


def url_maker(name: str) -> Callable[[int], str]:
    """reverse() once, then fill in the pk (thousands of links per run)."""
    marker = 987654321
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def task_start_date(task: Task) -> datetime.date | None:
    return task.start_date or (task.phase.start if task.phase_id and task.phase else None)


def _task_label(task: Task) -> str:
    return f"{task.number} {task.title}".strip()


def _dept_names(orgs: Iterable[Organization]) -> str:
    return "、".join(o.display_name for o in orgs) or "责任部门"


def task_reminders(ctx: RuleContext, tasks: QuerySet[Task] | None = None) -> Iterator[Due]:
    """Task start (lead and 配合), due soon, overdue ladder and its escalation to 创建办 and 组长/副组长.

    `tasks` narrows the run (still_due re-checks one task); by default every open task of an active campaign.
    """
    today = ctx.today
    catch_up = today - datetime.timedelta(days=START_CATCH_UP_DAYS)
    max_soon = max((max(ctx.settings_for(c).due_soon_list or [0]) for c in ctx.campaigns), default=0)
    qs = tasks if tasks is not None else _open_leaf_tasks(ctx)
    qs = qs.filter(
        Q(start_date__range=(catch_up, today))
        | Q(start_date__isnull=True, phase__start__range=(catch_up, today))
        | Q(due_date__range=(today, today + datetime.timedelta(days=max_soon)))
        | Q(due_date__lt=today)
    )
    related = task_people(qs)
    tasks = list(qs)
    org_ids = {o.pk for orgs in (*related.lead.values(), *related.cooperating.values()) for o in orgs}
    org_ids |= {ctx.campaigns[t.campaign_id].unit_id for t in tasks if t.campaign_id in ctx.campaigns}
    people = people_by_org(org_ids, [Role.LIAISON, Role.OFFICE])
    leaders = leaders_by_campaign({t.campaign_id for t in tasks})
    task_url = url_maker("campaigns:task_detail")
    per_campaign: dict[int, tuple[ReminderSettings, list[int]]] = {}

    for task in tasks:
        campaign = ctx.campaigns.get(task.campaign_id)
        if campaign is None:
            continue
        if campaign.pk not in per_campaign:
            rs = ctx.settings_for(campaign.pk)
            per_campaign[campaign.pk] = (rs, rs.due_soon_list)
        rs, due_soon_days = per_campaign[campaign.pk]
        unit = campaign.unit
        office = people.get((unit.pk, Role.OFFICE), [])
        leads = related.lead.get(task.pk, [])
        lead_people = unique_users(
            *(people.get((o.pk, Role.LIAISON), []) for o in leads), related.responsible.get(task.pk, [])
        )
        # Nobody to tell in the lead departments (no 联络员 yet): the unit's 创建办 hears of it instead.
        lead_people = lead_people or tuple(office)
        lead_ids = {u.pk for u in lead_people}
        coop_people = tuple(
            u
            for u in unique_users(*(people.get((o.pk, Role.LIAISON), []) for o in related.cooperating.get(task.pk, [])))
            if u.pk not in lead_ids
        )
        label = _task_label(task)
        url = task_url(task.pk)
        due_text = f"{task.due_date:%Y年%-m月%-d日}" if task.due_date else "未设定"
        common = {"obj": task, "url": url, "organization": unit}

        start = task_start_date(task)
        if rs.task_start_enabled and start and catch_up <= start <= today:
            yield Due(
                rule="task.start",
                recipients=lead_people,
                period=f"start:{start}",
                title=f"任务开始：{label}",
                body=f"《{campaign.title}》的任务“{label}”已于 {start:%Y年%-m月%-d日} 开始，完成时限 {due_text}。"
                f"牵头：{_dept_names(leads)}。请按时推进并填报进展。",
                **common,
            )
            if coop_people:
                yield Due(
                    rule="task.start.cooperating",
                    recipients=coop_people,
                    period=f"start:{start}",
                    title=f"配合任务开始：{label}",
                    body=f"《{campaign.title}》的任务“{label}”已开始，贵部门为配合单位（牵头：{_dept_names(leads)}），"
                    f"完成时限 {due_text}。",
                    **common,
                )
        if task.due_date is None:
            continue
        step = due_soon_step(task.due_date, today, due_soon_days)
        if rs.due_soon_enabled and step is not None:
            yield Due(
                rule="task.due_soon",
                recipients=lead_people,
                period=f"due-{task.due_date}:{step}",
                title=f"任务即将到期：{label}",
                body=f"任务“{label}”{days_left_text(task.due_date, today)}（完成时限 {due_text}），"
                f"当前进度 {task.progress}%。",
                **common,
            )
        if not rs.overdue_enabled or task.due_date >= today:
            continue
        late = ctx.working_days_late(task.due_date)
        step = overdue_step(late, rs.overdue_repeat_days)
        if step is None:
            continue
        yield Due(
            rule="task.overdue",
            recipients=lead_people,
            period=f"overdue-{task.due_date}:{step}",
            title=f"任务逾期：{label}",
            body=f"任务“{label}”已逾期 {late} 个工作日（完成时限 {due_text}），当前进度 {task.progress}%。"
            "请尽快完成并填报进展。",
            kind="overdue",
            **common,
        )
        escalation = f"{_dept_names(leads)}牵头的任务“{label}”已逾期 {late} 个工作日（完成时限 {due_text}），"
        escalation += f"当前进度 {task.progress}%。"
        if late >= rs.escalate_office_days and office:
            yield Due(
                rule="task.overdue.office",
                recipients=tuple(office),
                period=f"escalate-{task.due_date}:office",
                title=f"逾期督办：{label}",
                body=escalation + "请督促牵头部门落实。",
                kind="overdue",
                **common,
            )
        if late >= rs.escalate_leaders_days and leaders.get(campaign.pk):
            yield Due(
                rule="task.overdue.leaders",
                recipients=tuple(leaders[campaign.pk]),
                period=f"escalate-{task.due_date}:leaders",
                title=f"逾期督办（报领导小组）：{label}",
                body=escalation + "已报创建工作领导小组。",
                kind="overdue",
                robot_organizations=(unit,),
                **common,
            )


def task_lead_recipients(task: Task) -> tuple[User, ...]:
    """Who answers for a task: the lead departments' 联络员 and its 责任人 (for 催办)."""
    leads = list(task.lead_units.all())
    people = people_by_org([o.pk for o in leads], [Role.LIAISON])
    return unique_users(
        *(people.get((o.pk, Role.LIAISON), []) for o in leads),
        task.responsible_people.filter(is_active=True),
    )


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None, *, today: datetime.date) -> bool:
    """Would the rule still yield this message today? (held outbox rows are re-checked before sending)."""
    if not isinstance(obj, Task):
        return False
    ctx = load_context(today, campaign_ids=[obj.campaign_id])
    for due in task_reminders(ctx, _open_leaf_tasks(ctx).filter(pk=obj.pk)):
        if due.rule == rule and due.period == period:
            return recipient is None or recipient in due.recipients
    return False


def digest_lines(ctx: RuleContext) -> dict[int, list[str]]:
    """Weekly digest section per campaign: overdue tasks by lead department (one query)."""
    rows = (
        Task.objects.filter(campaign_id__in=list(ctx.campaigns), children__isnull=True, due_date__lt=ctx.today)
        .exclude(status=TaskStatus.DONE)
        .values("campaign_id", "lead_units__name", "lead_units__short_name")
        .annotate(n=Count("pk", distinct=True))
        .order_by("campaign_id", "-n", "lead_units__name")
    )
    by_campaign: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        name = r["lead_units__short_name"] or r["lead_units__name"] or "未指定牵头部门"
        by_campaign[r["campaign_id"]].append((name, r["n"]))
    lines: dict[int, list[str]] = {}
    for campaign_id in ctx.campaigns:
        depts = by_campaign.get(campaign_id, [])
        if depts:
            detail = "、".join(f"{name} {n} 项" for name, n in depts)
            lines[campaign_id] = [f"逾期任务（按牵头部门）：{detail}"]
        else:
            lines[campaign_id] = ["逾期任务：无"]
    return lines
