"""Reminder rules about dossiers: still incomplete N days after the activity, returned and not resubmitted.

Both go to whoever made the dossier and the 联络员 of the organising department (the unit's 创建办 when the
dossier has nobody else). Each is sent once per state: the period carries the activity date or the date of the
return, so an edited activity date or a second return gives a new message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from campaigns.reminders import Due, RuleContext, load_context, people_by_org, unique_users
from organizations.models import Role, User

from .models import Event, EventStatus, LogAction

LEDGER_RULES = ("ledger.incomplete", "ledger.returned")


def _events(ctx: RuleContext) -> QuerySet[Event]:
    return (
        Event.objects.filter(campaign_id__in=list(ctx.campaigns))
        .select_related("organization", "created_by")
        .annotate(activity_on=Coalesce("end_date", "start_date"))
        .order_by("campaign_id", "pk")
    )


def ledger_reminders(ctx: RuleContext, events: QuerySet[Event] | None = None) -> Iterator[Due]:
    """Incomplete dossiers after `dossier_incomplete_days`, returned ones after `returned_days`."""
    today = ctx.today
    if not ctx.campaigns:
        return
    min_incomplete = min(ctx.settings_for(c).dossier_incomplete_days for c in ctx.campaigns)
    qs = events if events is not None else _events(ctx)
    qs = qs.filter(
        Q(is_complete=False, activity_on__lte=today - datetime.timedelta(days=min_incomplete))
        | Q(status=EventStatus.RETURNED)
    )
    rows = list(qs)
    # The time of the last return, for the returned ones only (one query).
    returned_ids = [e.pk for e in rows if e.status == EventStatus.RETURNED]
    returned_at = dict(
        Event.objects.filter(pk__in=returned_ids)
        .annotate(at=Max("log_entries__at", filter=Q(log_entries__action=LogAction.RETURN)))
        .values_list("pk", "at")
    )
    org_ids = {e.organization_id for e in rows} | {
        ctx.campaigns[e.campaign_id].unit_id for e in rows if e.campaign_id in ctx.campaigns
    }
    people = people_by_org(org_ids, [Role.LIAISON, Role.OFFICE])
    for event in rows:
        campaign = ctx.campaigns.get(event.campaign_id)
        if campaign is None:
            continue
        rs = ctx.settings_for(campaign.pk)
        if not rs.ledger_enabled:
            continue
        owner = [event.created_by] if event.created_by and event.created_by.is_active else []
        recipients = unique_users(owner, people.get((event.organization_id, Role.LIAISON), []))
        recipients = recipients or tuple(people.get((campaign.unit_id, Role.OFFICE), []))
        common = {
            "obj": event,
            "recipients": recipients,
            "url": reverse("ledger:detail", args=[event.pk]),
            "organization": campaign.unit,
        }
        activity_on = event.activity_on
        if not event.is_complete and activity_on + datetime.timedelta(days=rs.dossier_incomplete_days) <= today:
            yield Due(
                rule="ledger.incomplete",
                period=f"incomplete-{activity_on}",
                title=f"台账材料不齐全：{event.title}",
                body=f"活动“{event.title}”（{activity_on:%Y年%-m月%-d日}）已过去 "
                f"{(today - activity_on).days} 天，档案材料仍不齐全，请尽快补充。",
                **common,
            )
        at = returned_at.get(event.pk)
        if event.status == EventStatus.RETURNED and at is not None:
            returned_on = timezone.localtime(at).date()
            if returned_on + datetime.timedelta(days=rs.returned_days) <= today:
                reason = f"退回原因：{event.return_reason}。" if event.return_reason else ""
                yield Due(
                    rule="ledger.returned",
                    period=f"returned-{returned_on}",
                    title=f"退回的档案未重新提交：{event.title}",
                    body=f"档案“{event.title}”于 {returned_on:%Y年%-m月%-d日} 被退回，{rs.returned_days} 天内"
                    f"未重新提交。{reason}请修改后重新提交。",
                    **common,
                )


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None, *, today: datetime.date) -> bool:
    if not isinstance(obj, Event):
        return False
    ctx = load_context(today, campaign_ids=[obj.campaign_id])
    for due in ledger_reminders(ctx, _events(ctx).filter(pk=obj.pk)):
        if due.rule == rule and due.period == period:
            return recipient is None or recipient in due.recipients
    return False


def digest_lines(ctx: RuleContext) -> dict[int, list[str]]:
    """Weekly digest: dossiers whose materials are still incomplete, per campaign (one query)."""
    rows = dict(
        Event.objects.filter(campaign_id__in=list(ctx.campaigns), is_complete=False)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    returned = dict(
        Event.objects.filter(campaign_id__in=list(ctx.campaigns), status=EventStatus.RETURNED)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )
    return {
        c: [f"台账：材料不齐全的档案 {rows.get(c, 0)} 份，退回待重新提交 {returned.get(c, 0)} 份"]
        for c in ctx.campaigns
    }
