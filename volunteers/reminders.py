"""Reminder rules about volunteer hours: records waiting for the 创建办's confirmation for too long.

One message per activity (not one per record), to the 创建办 of the activity's unit; the threshold is the
unit's active campaign's `hours_unconfirmed_days` (default 3). Also the weekly digest's volunteer line:
confirmed hours this year against the target (registered volunteers × hours per volunteer).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ReminderSettings
from campaigns.reminders import Due, RuleContext, load_context, people_by_org
from organizations.models import Organization, OrganizationKind, Role, User

from .models import RecordStatus, ServiceActivity, ServiceRecord, Volunteer, VolunteerTargets

VOLUNTEER_RULES = ("volunteers.unconfirmed",)
DEFAULT_HOURS_PER_VOLUNTEER = Decimal("25")


def _units_of(orgs: list[Organization]) -> dict[int, Organization]:
    """The nearest unit at or above each organisation, in one query: {org_id: unit}."""
    ancestor_ids = {a for o in orgs for a in o.ancestor_ids} | {o.pk for o in orgs}
    units = {u.pk: u for u in Organization.objects.filter(pk__in=ancestor_ids, kind=OrganizationKind.UNIT)}
    found = {}
    for o in orgs:
        for candidate in [o.pk, *reversed(o.ancestor_ids)]:
            if candidate in units:
                found[o.pk] = units[candidate]
                break
    return found


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def volunteer_reminders(ctx: RuleContext, activities: QuerySet[ServiceActivity] | None = None) -> Iterator[Due]:
    """Activities with hours pending for more than `hours_unconfirmed_days` days, to the unit's 创建办."""
    today = ctx.today
    thresholds = [ctx.settings_for(c).hours_unconfirmed_days for c in ctx.campaigns] or [
        ReminderSettings().hours_unconfirmed_days
    ]
    # "More than N days": registered before the start of day today - N.
    cutoff = _local_midnight(today - datetime.timedelta(days=min(thresholds)))
    pending = ServiceRecord.objects.filter(status=RecordStatus.PENDING, created_at__lt=cutoff)
    if activities is not None:
        pending = pending.filter(activity__in=activities)
    stats = {
        r["activity_id"]: r
        for r in pending.values("activity_id").annotate(n=Count("pk"), oldest=Min("created_at"), hours=Sum("hours"))
    }
    if not stats:
        return
    acts = list(ServiceActivity.objects.filter(pk__in=list(stats)).select_related("organization").order_by("pk"))
    units = _units_of([a.organization for a in acts])
    people = people_by_org({u.pk for u in units.values()}, [Role.OFFICE])
    for activity in acts:
        unit = units.get(activity.organization_id)
        if unit is None:
            continue
        campaign = ctx.campaign_for_unit(unit.pk)
        rs = ctx.settings_for(campaign.pk) if campaign else ReminderSettings()
        if not rs.volunteers_enabled:
            continue
        row = stats[activity.pk]
        oldest = timezone.localtime(row["oldest"]).date()
        if oldest + datetime.timedelta(days=rs.hours_unconfirmed_days) >= today:
            continue
        office = tuple(people.get((unit.pk, Role.OFFICE), []))
        if not office:
            continue
        yield Due(
            rule="volunteers.unconfirmed",
            obj=activity,
            recipients=office,
            period=f"pending-since-{oldest}",
            title=f"志愿服务时长待确认：{activity.title}",
            body=f"活动“{activity.title}”（{activity.date:%Y年%-m月%-d日}，{activity.organization.display_name}）"
            f"有 {row['n']} 条服务时长记录（共 {row['hours']} 小时）等待确认已超过 {rs.hours_unconfirmed_days} 天，"
            "请及时确认或退回。",
            url=reverse("volunteers:confirm"),
            organization=unit,
        )


def still_due(rule: str, obj: Any, period: str, recipient: User | None = None, *, today: datetime.date) -> bool:
    if not isinstance(obj, ServiceActivity):
        return False
    ctx = load_context(today)
    for due in volunteer_reminders(ctx, ServiceActivity.objects.filter(pk=obj.pk)):
        if due.rule == rule and due.period == period:
            return recipient is None or recipient in due.recipients
    return False


def digest_lines(ctx: RuleContext) -> dict[int, list[str]]:
    """Weekly digest: this year's confirmed hours and registered volunteers against the campaign's target.

    A fixed number of queries for all campaigns: sums by organisation, folded into units by path.
    """
    year = ctx.today.year
    units = {c.pk: c.unit for c in ctx.campaigns.values()}
    if not units:
        return {}
    unit_q = Q()
    for unit in units.values():
        unit_q |= Q(organization__path__startswith=unit.path)
    registered = list(
        Volunteer.objects.filter(unit_q, is_registered=True, is_active=True)
        .values("organization__path")
        .annotate(n=Count("pk"))
    )
    record_q = Q()
    for unit in units.values():
        record_q |= Q(volunteer__organization__path__startswith=unit.path)
    hours = list(
        ServiceRecord.objects.filter(record_q, status=RecordStatus.CONFIRMED, activity__date__year=year)
        .values("volunteer__organization__path")
        .annotate(h=Sum("hours"))
    )
    targets = dict(
        VolunteerTargets.objects.filter(campaign_id__in=list(units)).values_list("campaign_id", "hours_per_volunteer")
    )
    reg_by_unit: dict[int, int] = defaultdict(int)
    hours_by_unit: dict[int, Decimal] = defaultdict(Decimal)
    for campaign_id, unit in units.items():
        for r in registered:
            if r["organization__path"].startswith(unit.path):
                reg_by_unit[campaign_id] += r["n"]
        for r in hours:
            if r["volunteer__organization__path"].startswith(unit.path):
                hours_by_unit[campaign_id] += r["h"] or Decimal(0)
    lines = {}
    for campaign_id in units:
        per = targets.get(campaign_id, DEFAULT_HOURS_PER_VOLUNTEER)
        target = per * reg_by_unit[campaign_id]
        done = hours_by_unit[campaign_id]
        share = f"，完成 {done * 100 / target:.0f}%" if target else ""
        lines[campaign_id] = [
            f"志愿服务：{year} 年已确认 {done} 小时，目标 {target} 小时"
            f"（注册志愿者 {reg_by_unit[campaign_id]} 人 × 每人 {per} 小时）{share}"
        ]
    return lines
