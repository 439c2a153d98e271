"""Every write of the notifications app, and the one entry point other apps call: `notify(...)`.

`notify` writes the outbox rows first (unique per rule, object, recipient, channel, period: an existing
row means "already done"), creates the in-app notices at once, and leaves email and robots to
`deliver_due`, which sends in working time, within each robot's rate limit, with retries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Organization, User

from .delivery import deliver_due, enqueue_delivery
from .models import (
    CalendarDay,
    Channel,
    Kind,
    Notice,
    NotificationPreference,
    Outbox,
    OutboxStatus,
    RobotConfig,
)
from .workdays import (
    add_working_days,
    is_working_day,
    is_working_time,
    next_working_day,
    next_working_time,
    working_days_between,
)

__all__ = [
    "Message",
    "NotifyResult",
    "add_working_days",
    "calendar_day_set",
    "deliver_due",
    "is_working_day",
    "is_working_time",
    "next_working_day",
    "next_working_time",
    "notice_mark_all_read",
    "notice_mark_read",
    "notify",
    "notify_many",
    "outbox_resend",
    "preference_set",
    "robot_create",
    "robot_update",
    "user_channels",
    "working_days_between",
]

logger = logging.getLogger(__name__)

# Channels a user may choose per kind (in-app is always on; robots are per organisation, not per user).
USER_CHANNELS: tuple[str, ...] = (Channel.EMAIL,)
# Defaults when the user has not chosen: email for the weekly digest only.
DEFAULT_CHANNELS: dict[str, frozenset[str]] = {Kind.DIGEST: frozenset({Channel.EMAIL})}


@dataclass
class NotifyResult:
    """What `notify` did: rows written now, rows that already existed (skipped), rows waiting for working time."""

    created: int = 0
    skipped: int = 0
    held: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    def add(self, other: NotifyResult) -> NotifyResult:
        self.created += other.created
        self.skipped += other.skipped
        self.held += other.held
        for channel, count in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + count
        self.notices.extend(other.notices)
        return self


def user_channels(users: Iterable[User], kind: str) -> dict[int, set[str]]:
    """The channels each user receives `kind` on (in-app always), in one query for all of them."""
    users = list(users)
    result = {u.pk: {Channel.IN_APP, *DEFAULT_CHANNELS.get(kind, frozenset())} for u in users}
    for user_id, channel, enabled in NotificationPreference.objects.filter(
        user_id__in=list(result), kind=kind
    ).values_list("user_id", "channel", "enabled"):
        if channel == Channel.IN_APP:
            continue
        if enabled:
            result[user_id].add(channel)
        else:
            result[user_id].discard(channel)
    return result


def _object_key(obj: models.Model | None) -> tuple[ContentType | None, str, str]:
    if obj is None:
        return None, "", ""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return ct, str(obj.pk), f"{ct.pk}:{obj.pk}"


@dataclass
class Message:
    """One call's worth of `notify` arguments, for `notify_many`."""

    rule: str
    obj: models.Model | None
    recipients: Iterable[User]
    title: str
    body: str
    period: str
    url: str = ""
    organization: Organization | None = None
    kind: str = Kind.REMINDER
    robot_organizations: Iterable[Organization] = ()
    urgent: bool = False


def notify(
    *,
    rule: str,
    obj: models.Model | None,
    recipients: Iterable[User],
    title: str,
    body: str,
    url: str = "",
    period: str,
    organization: Organization | None = None,
    kind: str = Kind.REMINDER,
    robot_organizations: Iterable[Organization] = (),
    urgent: bool = False,
    now: datetime | None = None,
) -> NotifyResult:
    """Tell `recipients` (and the group robots of `robot_organizations`) about `obj`, once per `period`.

    One outbox row per recipient and channel (in-app always; email per the user's preference for `kind`)
    and per enabled robot. A row that exists already is skipped: calling again with the same rule, object
    and period sends nothing. In-app notices are created at once; other channels are sent by `deliver_due`
    in working time (outside it they are held until the next working morning). `urgent` (催办) asks for
    delivery at once, still within working time. Rows are written in the caller's transaction; the
    immediate delivery of urgent rows starts on commit.
    """
    message = Message(
        rule=rule,
        obj=obj,
        recipients=recipients,
        title=title,
        body=body,
        url=url,
        period=period,
        organization=organization,
        kind=kind,
        robot_organizations=robot_organizations,
        urgent=urgent,
    )
    return notify_many([message], now=now)


def notify_many(messages: Iterable[Message], *, now: datetime | None = None) -> NotifyResult:
    """`notify` for many messages at once, in a fixed number of queries whatever their number.

    The reminder runner uses this so that a city of thousands of tasks costs the same few queries.
    """
    now = now or timezone.now()
    messages = list(messages)
    result = NotifyResult()
    if not messages:
        return result
    due_at = next_working_time(now)
    outside = due_at != now

    # Preferences: one query per kind present (a handful), robots: one query.
    by_kind: dict[str, dict[int, User]] = {}
    for m in messages:
        for user in m.recipients:
            if user is not None and user.is_active:
                by_kind.setdefault(m.kind, {})[user.pk] = user
    channels = {kind: user_channels(users.values(), kind) for kind, users in by_kind.items()}
    robot_org_ids = {org.pk for m in messages for org in m.robot_organizations}
    robots_by_org: dict[int, list[RobotConfig]] = {}
    if robot_org_ids:
        for robot in RobotConfig.objects.filter(organization_id__in=robot_org_ids, enabled=True).order_by("pk"):
            robots_by_org.setdefault(robot.organization_id, []).append(robot)

    planned: dict[tuple[str, str, str, str, str], Outbox] = {}
    for m in messages:
        ct, object_id, object_key = _object_key(m.obj)
        common = {
            "rule": m.rule,
            "kind": m.kind,
            "content_type": ct,
            "object_id": object_id,
            "object_key": object_key,
            "period": m.period,
            "title": m.title[:200],
            "body": m.body,
            "url": m.url[:500],
            "urgent": m.urgent,
        }
        users = {u.pk: u for u in m.recipients if u is not None and u.is_active}
        for user in users.values():
            for channel in sorted(channels[m.kind][user.pk]):
                key = (m.rule, object_key, f"user:{user.pk}", channel, m.period)
                planned.setdefault(
                    key,
                    Outbox(
                        recipient=user,
                        recipient_key=key[2],
                        channel=channel,
                        organization=m.organization,
                        **common,
                    ),
                )
        for org in m.robot_organizations:
            for robot in robots_by_org.get(org.pk, []):
                key = (m.rule, object_key, f"robot:{robot.pk}", robot.channel, m.period)
                planned.setdefault(
                    key,
                    Outbox(
                        robot=robot,
                        recipient_key=key[2],
                        channel=robot.channel,
                        organization=robot.organization,
                        **common,
                    ),
                )
    if not planned:
        return result

    rules = {k[0] for k in planned}
    object_keys = {k[1] for k in planned}
    periods = {k[4] for k in planned}

    def _present() -> dict[tuple[str, str, str, str, str], int]:
        rows = (
            Outbox.objects.filter(rule__in=rules, object_key__in=object_keys, period__in=periods)
            .order_by()
            .values_list("rule", "object_key", "recipient_key", "channel", "period", "pk")
        )
        return {tuple(r[:5]): r[5] for r in rows if tuple(r[:5]) in planned}

    existing = _present()
    fresh = {key: row for key, row in planned.items() if key not in existing}
    result.skipped = len(planned) - len(fresh)
    for row in fresh.values():
        if row.channel == Channel.IN_APP:
            row.status = OutboxStatus.SENT
            row.sent_at = now
        else:
            row.next_attempt_at = due_at
            row.held_for_working_time = outside
            row.status = OutboxStatus.HELD if outside else OutboxStatus.PENDING
    urgent_rows = False
    with transaction.atomic():
        # A concurrent notify() may have written some of the same rows since the read above: the unique
        # constraint decides, ignore_conflicts makes the loser skip, and a notice is one-to-one with its row.
        Outbox.objects.bulk_create(list(fresh.values()), ignore_conflicts=True, batch_size=1000)
        now_present = _present()
        inserted = {key: now_present[key] for key in fresh if key in now_present}
        notices = [
            Notice(
                user=row.recipient,
                kind=row.kind,
                title=row.title,
                body=row.body,
                url=row.url,
                outbox_id=inserted[key],
            )
            for key, row in fresh.items()
            if row.channel == Channel.IN_APP and key in inserted
        ]
        Notice.objects.bulk_create(notices, ignore_conflicts=True, batch_size=1000)
    result.created = len(inserted)
    result.notices = notices
    for key in inserted:
        channel = key[3]
        result.by_channel[channel] = result.by_channel.get(channel, 0) + 1
        if channel != Channel.IN_APP:
            if outside:
                result.held += 1
            elif fresh[key].urgent:
                urgent_rows = True
    if urgent_rows:
        transaction.on_commit(enqueue_delivery)
    return result


# ------------------------------------------------------------------------------
# Notices
# ------------------------------------------------------------------------------
def notice_mark_read(*, notice: Notice, now: datetime | None = None) -> Notice:
    if notice.read_at is None:
        notice.read_at = now or timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notice_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())


# ------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------
@transaction.atomic
def preference_set(*, user: User, choices: dict[str, dict[str, bool]]) -> None:
    """Store the user's choice per kind and channel (`{kind: {channel: enabled}}`); in-app cannot be turned off."""
    for kind, per_channel in choices.items():
        if kind not in Kind.values:
            raise ValueError(f"未知的通知类别：{kind}")
        for channel, enabled in per_channel.items():
            if channel not in USER_CHANNELS:
                raise ValueError(f"不能选择的渠道：{channel}")
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, channel=channel, defaults={"enabled": bool(enabled)}
            )


# ------------------------------------------------------------------------------
# Robots
# ------------------------------------------------------------------------------
@transaction.atomic
def robot_create(
    *,
    organization: Organization,
    name: str,
    vendor: str,
    webhook_url: str,
    secret: str = "",
    enabled: bool = False,
    actor: User | None = None,
) -> RobotConfig:
    from .channels import validate_webhook_url

    validate_webhook_url(webhook_url, vendor)
    robot = RobotConfig(
        organization=organization, name=name, vendor=vendor, webhook_url=webhook_url, secret=secret, enabled=enabled
    )
    robot.full_clean()
    try:
        with transaction.atomic():
            robot.save()
    except IntegrityError as exc:
        raise ValueError("本组织已有同名的群机器人。") from exc
    audit_record(actor=actor, action="create", obj=robot, organization=organization)
    return robot


@transaction.atomic
def robot_update(*, robot: RobotConfig, actor: User | None = None, **changes: object) -> RobotConfig:
    from .channels import validate_webhook_url

    allowed = {"name", "vendor", "webhook_url", "secret", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"不能修改的字段：{', '.join(sorted(unknown))}")
    if "webhook_url" in changes or "vendor" in changes:
        url = str(changes.get("webhook_url", robot.webhook_url))
        validate_webhook_url(url, str(changes.get("vendor", robot.vendor)))
    for name, value in changes.items():
        setattr(robot, name, value)
    robot.full_clean(validate_unique=False)
    robot.save(update_fields=sorted(changes))
    audit_record(actor=actor, action="update", obj=robot, organization=robot.organization)
    return robot


@transaction.atomic
def robot_delete(*, robot: RobotConfig, actor: User | None = None) -> None:
    audit_record(actor=actor, action="delete", obj=robot, organization=robot.organization)
    robot.delete()


# ------------------------------------------------------------------------------
# Outbox
# ------------------------------------------------------------------------------
@transaction.atomic
def outbox_resend(*, row: Outbox, actor: User | None = None, now: datetime | None = None) -> Outbox:
    """Send a failed row again (an admin's decision after fixing SMTP or the webhook)."""
    if row.status != OutboxStatus.FAILED:
        raise ValueError("只有发送失败的记录可以重新发送。")
    now = now or timezone.now()
    due = next_working_time(now)
    updated = Outbox.objects.filter(pk=row.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING if due == now else OutboxStatus.HELD,
        attempts=0,
        next_attempt_at=due,
        last_error="",
    )
    if not updated:
        raise ValueError("该记录已被其他人处理。")
    audit_record(actor=actor, action="resend", obj=row, organization=row.organization)
    row.refresh_from_db()
    transaction.on_commit(enqueue_delivery)
    return row


# ------------------------------------------------------------------------------
# Working calendar
# ------------------------------------------------------------------------------
@transaction.atomic
def calendar_day_set(
    *, day: object, is_workday: bool, name: str = "", source: str = "manual", replacing: int | None = None
) -> CalendarDay:
    """Record that `day` is a working day (调休) or a day off (法定节假日).

    `replacing`: the row being edited, removed first when its date changes (the admin's change form).
    """
    if replacing is not None:
        CalendarDay.objects.filter(pk=replacing).exclude(date=day).delete()
    obj, _created = CalendarDay.objects.update_or_create(
        date=day, defaults={"is_workday": is_workday, "name": name, "source": source}
    )
    return obj
