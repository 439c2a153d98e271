"""Reminder rules about rectification items (整改清单): due soon and overdue, to their 责任人.

The 责任人 of an item is free text; it is matched by name against the people of the campaign's unit. The
responsible units' 联络员 are told too, and the unit's 创建办 when nobody else can be found.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from campaigns.reminders import (
    Due,
    RuleContext,
    days_left_text,
    due_soon_step,
    load_context,
    overdue_step,
    people_by_org,
    unique_users,
)
from organizations.models import Membership, Organization, Role, User

from .models import RectificationItem, RectificationStatus

OPEN = (RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS)
RECTIFICATION_RULES = ("rectification.due_soon", "rectification.overdue")


def _open_items(ctx: RuleContext) -> QuerySet[RectificationItem]:
    return (
        RectificationItem.objects.filter(campaign_id__in=list(ctx.campaigns), status__in=OPEN, deadline__isnull=False)
        .prefetch_related(Prefetch("responsible_units", queryset=Organization.objects.order_by("path")))
        .order_by("campaign_id", "deadline", "pk")
    )


def _named_people(names: set[str]) -> dict[str, list[Membership]]:
    """Memberships of users whose name (or username) is one of `names`, in one query."""
    found: dict[str, list[Membership]] = defaultdict(list)
    if not names:
        return found
    for m in Membership.objects.filter(
        Q(user__real_name__in=names) | Q(user__username__in=names), user__is_active=True
    ).select_related("user", "organization"):
        for key in {m.user.real_name, m.user.username} & names:
            found[key].append(m)
    return found


def _names(item: RectificationItem) -> set[str]:
    text = item.responsible_person.replace("，", "、").replace(",", "、").replace(" ", "、")
    return {part.strip() for part in text.split("、") if part.strip()}


def responsible_people(
    item: RectificationItem,
    unit: Organization,
    named: dict[str, list[Membership]],
    people: dict[tuple[int, str], list[User]],
) -> tuple[User, ...]:
    by_name = [m.user for n in _names(item) for m in named.get(n, []) if m.organization.path.startswith(unit.path)]
    liaisons = [u for o in item.responsible_units.all() for u in people.get((o.pk, Role.LIAISON), [])]
    found = unique_users(by_name, liaisons)
    return found or tuple(people.get((unit.pk, Role.OFFICE), []))


def rectification_reminders(ctx: RuleContext, items: QuerySet[RectificationItem] | None = None) -> Iterator[Due]:
    """Open items whose deadline is near (the campaign's due-soon days) or past (the overdue ladder)."""
    today = ctx.today
    max_soon = max((max(ctx.settings_for(c).due_soon_list or [0]) for c in ctx.campaigns), default=0)
    qs = items if items is not None else _open_items(ctx)
    qs = qs.filter(deadline__lte=today + datetime.timedelta(days=max_soon))
    rows = list(qs)
    named = _named_people({n for item in rows for n in _names(item)})
    org_ids = {o.pk for item in rows for o in item.responsible_units.all()}
    org_ids |= {ctx.campaigns[i.campaign_id].unit_id for i in rows if i.campaign_id in ctx.campaigns}
    people = people_by_org(org_ids, [Role.LIAISON, Role.OFFICE])
    for item in rows:
        campaign = ctx.campaigns.get(item.campaign_id)
        if campaign is None:
            continue
        rs = ctx.settings_for(campaign.pk)
        if not rs.rectification_enabled:
            continue
        recipients = responsible_people(item, campaign.unit, named, people)
        label = item.problem[:40]
        deadline = f"{item.deadline:%Y年%-m月%-d日}"
        common = {
            "obj": item,
            "recipients": recipients,
            "url": reverse("evaluation:rectification_edit", args=[item.pk]),
            "organization": campaign.unit,
        }
        step = due_soon_step(item.deadline, today, rs.due_soon_list)
        if step is not None:
            yield Due(
                rule="rectification.due_soon",
                period=f"due-{item.deadline}:{step}",
                title=f"整改事项即将到期：{label}",
                body=f"整改事项“{label}”{days_left_text(item.deadline, today)}（整改时限 {deadline}），"
                f"状态：{item.get_status_display()}。",
                **common,
            )
            continue
        if item.deadline >= today:
            continue
        late = ctx.working_days_late(item.deadline)
        step = overdue_step(late, rs.overdue_repeat_days)
        if step is None:
            continue
        yield Due(
            rule="rectification.overdue",
            period=f"overdue-{item.deadline}:{step}",
            title=f"整改事项逾期：{label}",
            body=f"整改事项“{label}”已逾期 {late} 个工作日（整改时限 {deadline}），请尽快整改并上传佐证。",
            kind="overdue",
            **common,
        )


def rectification_recipients(item: RectificationItem) -> tuple[User, ...]:
    """Who answers for an item (for 催办): its 责任人 by name, the responsible units' 联络员, else the 创建办."""
    unit = item.campaign.unit
    units = list(item.responsible_units.all())
    people = people_by_org({unit.pk, *(o.pk for o in units)}, [Role.LIAISON, Role.OFFICE])
    return responsible_people(item, unit, _named_people(_names(item)), people)


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None, *, today: datetime.date) -> bool:
    if not isinstance(obj, RectificationItem):
        return False
    ctx = load_context(today, campaign_ids=[obj.campaign_id])
    for due in rectification_reminders(ctx, _open_items(ctx).filter(pk=obj.pk)):
        if due.rule == rule and due.period == period:
            return recipient is None or recipient in due.recipients
    return False


def digest_lines(ctx: RuleContext) -> dict[int, list[str]]:
    """Weekly digest: open rectification items overdue and due within 7 days, per campaign (one query)."""
    week = ctx.today + datetime.timedelta(days=7)
    rows = (
        RectificationItem.objects.filter(campaign_id__in=list(ctx.campaigns), status__in=OPEN)
        .values("campaign_id")
        .annotate(
            overdue=Count("pk", filter=Q(deadline__lt=ctx.today)),
            soon=Count("pk", filter=Q(deadline__gte=ctx.today, deadline__lte=week)),
            open=Count("pk"),
        )
    )
    found = {r["campaign_id"]: r for r in rows}
    lines = {}
    for campaign_id in ctx.campaigns:
        r = found.get(campaign_id, {"overdue": 0, "soon": 0, "open": 0})
        lines[campaign_id] = [
            f"整改事项：未完成 {r['open']} 项，其中已逾期 {r['overdue']} 项、7 天内到期 {r['soon']} 项"
        ]
    return lines
