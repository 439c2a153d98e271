"""催办 and the reminder settings: the writes of the reminders issue in campaigns.

催办: the unit's 创建办 (or 管理员) presses 催办 on an overdue task or rectification item; the people who answer
for it are told at once on every channel they use (notify(urgent=True)); an `Urge` row records it on the
object, and its unique key (object, day) allows one press per object per day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Organization, User
from organizations.query_params import strip_control
from organizations.scoping import can_administer

from .models import Campaign, ReminderSettings, Task, TaskStatus, Urge
from .reminders import task_lead_recipients

URGE_TEXT_MAX = 200
SETTINGS_FIELDS = (
    "due_soon_days",
    "overdue_repeat_days",
    "escalate_office_days",
    "escalate_leaders_days",
    "dossier_incomplete_days",
    "returned_days",
    "hours_unconfirmed_days",
    "task_start_enabled",
    "due_soon_enabled",
    "overdue_enabled",
    "rectification_enabled",
    "ledger_enabled",
    "volunteers_enabled",
    "digest_enabled",
)


class UrgeError(ValueError):
    """A 催办 that cannot be made; the message is for the user (Chinese)."""


def clean_urge_text(text: str) -> str:
    line = " ".join(strip_control(text or "").split())
    if len(line) > URGE_TEXT_MAX:
        raise UrgeError(f"催办说明最多 {URGE_TEXT_MAX} 字（现在 {len(line)} 字）。")
    return line


def urges_for(obj: models.Model) -> models.QuerySet[Urge]:
    return Urge.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk).select_related(
        "urged_by"
    )


@transaction.atomic
def urge_create(
    *,
    campaign: Campaign,
    target: models.Model,
    user: Any,
    text: str,
    rule: str,
    title: str,
    body: str,
    url: str,
    recipients: Iterable[User],
    robot_organizations: Iterable[Organization] = (),
    now: datetime.datetime | None = None,
) -> Urge:
    """Record one 催办 and tell `recipients` at once; a second one on the same object the same day is refused."""
    from notifications.services import notify

    if not can_administer(user, campaign.unit):
        raise PermissionDenied("只有本单位的创建办或管理员可以催办。")
    recipients = tuple(recipients)
    if not recipients:
        raise UrgeError("没有可以通知的责任人（牵头部门没有联络员，也没有指定责任人），无法催办。")
    now = now or timezone.now()
    today = timezone.localdate(now)
    text = clean_urge_text(text)
    try:
        with transaction.atomic():
            urge = Urge.objects.create(
                campaign=campaign,
                content_type=ContentType.objects.get_for_model(target),
                object_id=target.pk,
                on_date=today,
                text=text,
                urged_by=user,
                recipient_count=len(recipients),
            )
    except IntegrityError as exc:
        raise UrgeError("今天已经催办过了，每项每天只能催办一次，请明天再催。") from exc
    who = getattr(user, "display_name", str(user))
    notify(
        rule=rule,
        obj=target,
        recipients=recipients,
        title=title,
        body=f"{body}{'催办说明：' + text + '。' if text else ''}（{who} 催办）",
        url=url,
        period=f"urge:{today}",
        organization=campaign.unit,
        kind="urgent",
        robot_organizations=tuple(robot_organizations),
        urgent=True,
        now=now,
    )
    audit_record(
        actor=user,
        action="urge",
        obj=target,
        organization=campaign.unit,
        details={"text": text, "recipients": len(recipients), "date": str(today)},
    )
    return urge


def task_urge(*, task: Task, user: Any, text: str = "", now: datetime.datetime | None = None) -> Urge:
    """催办 an overdue task: its lead departments' 联络员 and its 责任人 are told at once."""
    today = timezone.localdate(now or timezone.now())
    if task.status == TaskStatus.DONE or task.due_date is None or task.due_date >= today:
        raise UrgeError("只能催办已逾期且未完成的任务。")
    label = f"{task.number} {task.title}".strip()
    late = (today - task.due_date).days
    from django.urls import reverse

    return urge_create(
        campaign=task.campaign,
        target=task,
        user=user,
        text=text,
        rule="urge.task",
        title=f"催办：{label}",
        body=f"任务“{label}”已逾期 {late} 天（完成时限 {task.due_date:%Y年%-m月%-d日}），"
        f"当前进度 {task.progress}%，请立即办理并填报进展。",
        url=reverse("campaigns:task_detail", args=[task.pk]),
        recipients=task_lead_recipients(task),
        robot_organizations=tuple(task.lead_units.all()),
        now=now,
    )


@transaction.atomic
def reminder_settings_update(*, campaign: Campaign, user: Any, **fields: Any) -> ReminderSettings:
    """Create or change the campaign's reminder rules (创建办/管理员 of the unit)."""
    if not can_administer(user, campaign.unit):
        raise PermissionDenied("只有本单位的创建办或管理员可以修改提醒规则。")
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"reminder_settings_update() got unexpected fields {sorted(unknown)}")
    row, _ = ReminderSettings.objects.select_for_update().get_or_create(campaign=campaign)
    for key, value in fields.items():
        setattr(row, key, value)
    row.updated_by = user
    row.full_clean()
    row.save()
    audit_record(actor=user, action="update", obj=row, organization=campaign.unit, details={"fields": sorted(fields)})
    return row
