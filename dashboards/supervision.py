"""督办: the city office issues a 督办单 to a unit, the unit's 创建办 answers with a 情况说明, the office closes it.
An unanswered 督办 past its deadline escalates to the 组长/副组长 of the unit's leadership group.

Writes are the `supervision_*` services (transaction, audit, notices on commit through notifications.notify);
reads are scoped here: the office's people see what their office issued, the unit's 领导/创建办/管理员 what their
unit received. Everyone else gets 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Task, TaskStatus
from campaigns.reminders import Due, RuleContext, leaders_by_campaign
from notifications.services import notify
from organizations.audit import audit_record
from organizations.models import Membership, Organization, OrganizationKind, Role, User
from organizations.query_params import strip_control
from organizations.scoping import get_scope
from volunteers.services import campaign_for

from .measures import MEASURE_BY_KEY
from .models import Supervision, SupervisionStatus
from .selectors import COCKPIT_ROLES, OFFICE_EDIT_ROLES, units_of_office

RULE_ISSUED = "supervision.issued"
RULE_ANSWERED = "supervision.answered"
RULE_OVERDUE = "supervision.overdue"
MAX_LINKS = 20


class SupervisionError(ValueError):
    """A refused 督办 step, with a Chinese message."""


# ------------------------------------------------------------------------------------------------
# Reads
# ------------------------------------------------------------------------------------------------
def supervisions_visible_to(user: object) -> QuerySet[Supervision]:
    """督办单 of the offices the user belongs to, and of the units where they are 领导/创建办/管理员."""
    q = Q(pk__in=[])
    for m in get_scope(user).memberships:
        org = m.organization
        if org.kind == OrganizationKind.OFFICE:
            q |= Q(office__path__startswith=org.path)
        if m.role in COCKPIT_ROLES:
            q |= Q(unit__path__startswith=org.path)
    return Supervision.objects.filter(q).select_related("office", "unit", "issued_by", "answered_by", "closed_by")


def supervision_for(user: object, pk: int) -> Supervision:
    found = supervisions_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有这张督办单，或您无权查看。")
    return found


def can_issue(user: object, office: Organization) -> bool:
    return any(
        office.path.startswith(m.organization.path) and m.role in OFFICE_EDIT_ROLES for m in get_scope(user).memberships
    )


def can_close(user: object, supervision: Supervision) -> bool:
    return can_issue(user, supervision.office)


def can_answer(user: object, supervision: Supervision) -> bool:
    """The unit's 创建办 and 管理员 answer (not its 领导, not the city)."""
    return any(
        supervision.unit.path.startswith(m.organization.path)
        and m.role in OFFICE_EDIT_ROLES
        and m.organization.kind != OrganizationKind.OFFICE
        for m in get_scope(user).memberships
    )


def late_tasks_of(unit: Organization, *, today: datetime.date | None = None) -> QuerySet[Task]:
    """The late leaf tasks of the unit's current campaign (what a 督办单 may list)."""
    today = today or timezone.localdate()
    campaign = campaign_for(unit, today.year)
    if campaign is None:
        return Task.objects.none()
    return (
        Task.objects.filter(campaign=campaign, children__isnull=True, due_date__lt=today)
        .exclude(status=TaskStatus.DONE)
        .order_by("due_date", "order")
    )


def unit_office_people(unit: Organization) -> list[User]:
    """The unit's 创建办 (its own memberships, active accounts)."""
    return [
        m.user
        for m in Membership.objects.filter(organization=unit, role=Role.OFFICE, user__is_active=True).select_related(
            "user"
        )
    ]


def office_people(office: Organization) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=office, role__in=list(OFFICE_EDIT_ROLES), user__is_active=True
        ).select_related("user")
    ]


# ------------------------------------------------------------------------------------------------
# Writes
# ------------------------------------------------------------------------------------------------
def _url(supervision: Supervision) -> str:
    return reverse("dashboards:supervision_detail", kwargs={"pk": supervision.pk})


@transaction.atomic
def supervision_issue(
    *,
    office: Organization,
    unit: Organization,
    request_text: str,
    deadline: datetime.date,
    actor: User,
    measure: str = "",
    tasks: Iterable[Task] = (),
    today: datetime.date | None = None,
) -> Supervision:
    """Issue a 督办单 and tell the unit's 创建办 (in-app, and email/robots by their preferences)."""
    today = today or timezone.localdate()
    if not can_issue(actor, office):
        raise SupervisionError("只有文明办的管理员和创建办可以下发督办单。")
    if unit.kind != OrganizationKind.UNIT or not unit.path.startswith(office.path):
        raise SupervisionError("只能督办本文明办下属的单位。")
    text = strip_control(request_text or "").strip()
    if not text:
        raise SupervisionError("请填写督办要求。")
    if deadline < today:
        raise SupervisionError("答复期限不能早于今天。")
    if measure and measure not in MEASURE_BY_KEY:
        raise SupervisionError("没有这个指标。")
    tasks = list(tasks)
    allowed = set(late_tasks_of(unit, today=today).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in tasks):
        raise SupervisionError("所选任务不是该单位当前的逾期任务。")
    if not measure and not tasks:
        raise SupervisionError("请选择督办的指标或逾期任务（至少一项）。")
    supervision = Supervision.objects.create(
        office=office, unit=unit, measure=measure, request_text=text, deadline=deadline, issued_by=actor
    )
    supervision.tasks.set(tasks)
    audit_record(actor=actor, action="create", obj=supervision, organization=unit, details={"deadline": str(deadline)})
    recipients = unit_office_people(unit)
    subject = MEASURE_BY_KEY[measure].label if measure else f"{len(tasks)} 项逾期任务"
    notify(
        rule=RULE_ISSUED,
        obj=supervision,
        recipients=recipients,
        title=f"{office.display_name}督办：{subject}",
        body=f"{text}\n请于 {deadline:%Y年%m月%d日} 前答复情况说明。",
        url=_url(supervision),
        period=f"issued:{supervision.pk}",
        organization=unit,
        kind="overdue",
    )
    return supervision


def _clean_links(raw: str) -> str:
    lines = [line.strip() for line in strip_control(raw or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise SupervisionError(f"相关链接最多 {MAX_LINKS} 个。")
    for line in lines:
        # Only site-relative links or http(s): never javascript: or other schemes.
        if not (line.startswith("/") and not line.startswith("//")) and not line.startswith(("http://", "https://")):
            raise SupervisionError(f"链接须以 http://、https:// 或 / 开头：{line[:60]}")
        if len(line) > 500:
            raise SupervisionError("单个链接不能超过 500 个字符。")
    return "\n".join(lines)


@transaction.atomic
def supervision_answer(*, supervision: Supervision, text: str, links: str, actor: User) -> Supervision:
    """The unit's 情况说明 (and links to its dossiers or tasks); tells the office's 管理员/创建办."""
    supervision = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if not can_answer(actor, supervision):
        raise SupervisionError("只有被督办单位的创建办或管理员可以答复。")
    if supervision.status == SupervisionStatus.CLOSED:
        raise SupervisionError("督办单已办结，不能再答复。")
    body = strip_control(text or "").strip()
    if not body:
        raise SupervisionError("请填写情况说明。")
    supervision.answer_text = body
    supervision.answer_links = _clean_links(links)
    supervision.answered_by = actor
    supervision.answered_at = timezone.now()
    supervision.status = SupervisionStatus.ANSWERED
    supervision.save(update_fields=["answer_text", "answer_links", "answered_by", "answered_at", "status"])
    audit_record(actor=actor, action="update", obj=supervision, organization=supervision.unit, details={"answer": True})
    notify(
        rule=RULE_ANSWERED,
        obj=supervision,
        recipients=office_people(supervision.office),
        title=f"{supervision.unit.display_name}已答复督办",
        body=body[:200],
        url=_url(supervision),
        period=f"answered:{supervision.answered_at:%Y%m%d%H%M%S}",
        organization=supervision.office,
    )
    return supervision


@transaction.atomic
def supervision_close(*, supervision: Supervision, note: str, actor: User) -> Supervision:
    """The office closes (办结) a 督办单, answered or not (with its reason in the note)."""
    supervision = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if not can_close(actor, supervision):
        raise SupervisionError("只有文明办的管理员和创建办可以办结督办单。")
    if supervision.status == SupervisionStatus.CLOSED:
        raise SupervisionError("督办单已办结。")
    supervision.status = SupervisionStatus.CLOSED
    supervision.close_note = strip_control(note or "").strip()
    supervision.closed_by = actor
    supervision.closed_at = timezone.now()
    supervision.save(update_fields=["status", "close_note", "closed_by", "closed_at"])
    audit_record(actor=actor, action="update", obj=supervision, organization=supervision.unit, details={"closed": True})
    return supervision


# ------------------------------------------------------------------------------------------------
# The escalation rule (for the reminder runner: APP_RULES["supervision."])
# ------------------------------------------------------------------------------------------------
def supervision_reminders(ctx: RuleContext) -> Iterator[Due]:
    """An unanswered 督办单 past its deadline: once per deadline to the unit's 组长/副组长 and again to its 创建办.

    Three queries whatever the number of 督办单 (the open ones, the units' campaigns' leaders, the 创建办).
    """
    overdue = list(
        Supervision.objects.filter(status=SupervisionStatus.OPEN, deadline__lt=ctx.today).select_related(
            "unit", "office"
        )
    )
    if not overdue:
        return
    unit_ids = {s.unit_id for s in overdue}
    campaigns = {c.unit_id: c for c in ctx.campaigns.values() if c.unit_id in unit_ids}
    for s in overdue:
        if s.unit_id not in campaigns:
            found = ctx.campaign_for_unit(s.unit_id)
            if found is not None:
                campaigns[s.unit_id] = found
    leaders = leaders_by_campaign([c.pk for c in campaigns.values()])
    offices: dict[int, list[User]] = {}
    for m in Membership.objects.filter(
        organization_id__in=unit_ids, role=Role.OFFICE, user__is_active=True
    ).select_related("user"):
        offices.setdefault(m.organization_id, []).append(m.user)
    for s in overdue:
        campaign = campaigns.get(s.unit_id)
        group = tuple(leaders.get(campaign.pk, [])) if campaign else ()
        recipients = tuple({u.pk: u for u in (*group, *offices.get(s.unit_id, []))}.values())
        if not recipients:
            continue
        days = (ctx.today - s.deadline).days
        yield Due(
            rule=RULE_OVERDUE,
            obj=s,
            recipients=recipients,
            period=f"overdue:{s.deadline.isoformat()}",
            title=f"督办逾期未答复：{s.unit.display_name}",
            body=(
                f"{s.office.display_name}的督办单已超过答复期限 {days} 天，请组织答复。督办要求：{s.request_text[:120]}"
            ),
            url=_url(s),
            organization=s.unit,
            kind="overdue",
            robot_organizations=(s.unit,),
        )


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None) -> bool:
    """A held escalation is sent only while the 督办单 is still unanswered."""
    if rule == RULE_OVERDUE:
        return isinstance(obj, Supervision) and obj.status == SupervisionStatus.OPEN
    return True


def escalate_overdue(*, today: datetime.date | None = None) -> int:
    """Run the escalation rule alone (what the runner does with it); returns the new in-app notices."""
    from campaigns.reminders import load_context
    from notifications.services import Message, notify_many

    ctx = load_context(today or timezone.localdate())
    result = notify_many(
        Message(
            rule=d.rule,
            obj=d.obj,
            recipients=d.recipients,
            title=d.title,
            body=d.body,
            period=d.period,
            url=d.url,
            organization=d.organization,
            kind=d.kind,
            robot_organizations=d.robot_organizations,
        )
        for d in supervision_reminders(ctx)
    )
    return len(result.notices)


def open_supervisions_by_unit(office: Organization) -> dict[int, int]:
    """Open 督办单 per unit of the office (1 query), for the city table."""
    rows = (
        Supervision.objects.filter(unit__in=units_of_office(office))
        .exclude(status=SupervisionStatus.CLOSED)
        .values_list("unit_id", flat=True)
    )
    counts: dict[int, int] = {}
    for unit_id in rows:
        counts[unit_id] = counts.get(unit_id, 0) + 1
    return counts
