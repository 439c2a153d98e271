"""Sending the outbox: claim due rows, send them in working time within each robot's limit, record the outcome.

Exactly once:
- a row is claimed with a conditional UPDATE (status pending/held → sending, with a fresh claim token);
  a second process running at the same moment matches nothing and sends nothing;
- a long robot message is sent in parts and `parts_sent` is saved after each, so a retry resumes after
  the last part that went out instead of repeating it;
- a row found still "sending" after NOTIFY_SENDING_TIMEOUT (its worker was killed mid-send) is not sent
  again automatically — whether it reached the vendor is unknown — but marked 失败 with that reason, so an
  admin decides on the 发送记录 page.
Failures are retried with exponential backoff and jitter up to NOTIFY_MAX_ATTEMPTS, then marked 失败.
Rows held for working time are folded: one message per recipient and channel in the morning's batch.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from . import hooks, ratelimit
from .channels import (
    DINGTALK_MAX_BYTES,
    WECOM_MAX_BYTES,
    DeliveryError,
    MailItem,
    send_dingtalk,
    send_email,
    send_wecom,
    split_numbered,
)
from .models import Channel, Outbox, OutboxStatus, RobotConfig
from .workdays import is_working_time, next_working_time

logger = logging.getLogger(__name__)

DUE_STATUSES = (OutboxStatus.PENDING, OutboxStatus.HELD)


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def enqueue_delivery() -> None:
    """Start a delivery run now (on commit of a 催办), in the worker when there is one."""
    from .tasks import deliver_due as deliver_task

    try:
        deliver_task.delay()
    except Exception:  # the broker being down must not undo the 催办 itself; beat picks it up within a minute
        logger.exception("could not enqueue an immediate delivery run")


def site_link(url: str) -> str:
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{url}"


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with ±20 % jitter: base, 2×base, 4×base … capped at NOTIFY_RETRY_MAX_SECONDS."""
    base = float(_setting("NOTIFY_RETRY_BASE_SECONDS", 60))
    cap = float(_setting("NOTIFY_RETRY_MAX_SECONDS", 3600))
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))  # jitter, not security


def _recover_stuck(now: datetime) -> int:
    timeout = timedelta(seconds=float(_setting("NOTIFY_SENDING_TIMEOUT", 600)))
    return Outbox.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - timeout).update(
        status=OutboxStatus.FAILED,
        last_error="发送过程中断（发送进程被终止），无法确认是否已送达；为避免重复发送未自动重试，请核实后重新发送。",
    )


def _claim(now: datetime, limit: int) -> list[Outbox]:
    ids = list(
        Outbox.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
        .exclude(channel=Channel.IN_APP)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    token = uuid.uuid4().hex
    # The conditional UPDATE is the claim: rows another process claimed meanwhile no longer match.
    Outbox.objects.filter(pk__in=ids, status__in=DUE_STATUSES, next_attempt_at__lte=now).update(
        status=OutboxStatus.SENDING, claim_token=token, claimed_at=timezone.now()
    )
    return list(
        Outbox.objects.filter(claim_token=token, status=OutboxStatus.SENDING)
        .select_related("recipient", "robot", "content_type")
        .prefetch_related("obj")
        .order_by("next_attempt_at", "pk")
    )


def _drop_stale(rows: list[Outbox], stats: dict[str, int]) -> list[Outbox]:
    """Rows whose reminder is no longer true (the domain app's check says so, or the object is gone): not sent."""
    fresh, stale = [], []
    for row in rows:
        obj = row.obj if row.object_key else None
        gone = bool(row.object_key) and obj is None
        try:
            due = not gone and hooks.still_due(row.rule, obj, row.period, row.recipient)
        except Exception:  # a broken check must not strand the batch in "sending"; the message stays true to its writer
            logger.exception("still_due check failed for outbox row %s", row.pk)
            due = not gone
        if not due:
            stale.append(row)
        else:
            fresh.append(row)
    if stale:
        Outbox.objects.filter(pk__in=[r.pk for r in stale], claim_token=stale[0].claim_token).update(
            status=OutboxStatus.STALE,
            last_error="发送前核对：提醒已不再成立（已完成、期限调整、改派或对象已删除），未发送。",
            claim_token="",
        )
        stats["stale"] += len(stale)
    return fresh


def _groups(rows: list[Outbox]) -> list[list[Outbox]]:
    """Folded groups (held for working time: one per recipient and channel), then each other row alone."""
    folded: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
    groups: list[list[Outbox]] = []
    for row in rows:
        if row.held_for_working_time:
            folded[(row.channel, row.recipient_key)].append(row)
        else:
            groups.append([row])
    return [*folded.values(), *groups]


def _save(rows: list[Outbox], **values: object) -> None:
    ids = [r.pk for r in rows]
    token = rows[0].claim_token
    Outbox.objects.filter(pk__in=ids, claim_token=token).update(**values)
    for row in rows:
        for name, value in values.items():
            setattr(row, name, value)


def _release(rows: list[Outbox], when: datetime) -> None:
    _save(rows, status=OutboxStatus.HELD, next_attempt_at=when, claim_token="")


def _fail_or_retry(rows: list[Outbox], error: DeliveryError, now: datetime, stats: dict[str, int]) -> None:
    attempts = max(r.attempts for r in rows) + 1
    max_attempts = int(_setting("NOTIFY_MAX_ATTEMPTS", 5))
    if error.permanent or attempts >= max_attempts:
        reason = error.message if error.permanent else f"已重试 {attempts} 次仍失败：{error.message}"
        _save(rows, status=OutboxStatus.FAILED, attempts=attempts, last_error=reason[:2000], claim_token="")
        stats["failed"] += len(rows)
        return
    when = next_working_time(now + retry_delay(attempts))
    _save(
        rows,
        status=OutboxStatus.PENDING,
        attempts=attempts,
        next_attempt_at=when,
        last_error=error.message[:2000],
        claim_token="",
    )
    stats["retry"] += len(rows)


def _compose(rows: list[Outbox]) -> tuple[str, str, list[MailItem]]:
    items = [MailItem(title=r.title, body=r.body, link=site_link(r.url)) for r in rows]
    if len(rows) == 1:
        return rows[0].title, rows[0].body, items
    title = f"非工作时间的 {len(rows)} 条通知"
    return title, "", items


def _markdown(rows: list[Outbox]) -> tuple[str, str]:
    """The robot message: a heading, then each item's title (a link when it has one) and text."""
    title, _body, items = _compose(rows)
    lines = [f"### {title}", ""]
    for item in items:
        if len(items) > 1:
            lines.append(f"**[{item.title}]({item.link})**" if item.link else f"**{item.title}**")
        if item.body:
            lines.append(item.body)
        if item.link and len(items) == 1:
            lines.append(f"[查看详情]({item.link})")
        lines.append("")
    return title, "\n".join(lines).strip() + "\n"


def _send_robot(rows: list[Outbox], robot: RobotConfig, now: datetime, stats: dict[str, int]) -> None:
    if not robot.enabled:
        _save(rows, status=OutboxStatus.CANCELLED, last_error="机器人已停用发送", claim_token="")
        stats["cancelled"] += len(rows)
        return
    if robot.paused_until and robot.paused_until > now:
        _release(rows, robot.paused_until)
        stats["held"] += len(rows)
        return
    title, text = _markdown(rows)
    limit = WECOM_MAX_BYTES if robot.vendor == "wecom" else DINGTALK_MAX_BYTES
    parts = split_numbered(text, limit)
    done = max(r.parts_sent for r in rows)
    for index in range(done, len(parts)):
        wait = ratelimit.take(robot.pk, now)
        if wait > 0:
            _release(rows, now + timedelta(seconds=wait))
            stats["held"] += len(rows)
            return
        try:
            if robot.vendor == "wecom":
                send_wecom(webhook_url=robot.webhook_url, content=parts[index])
            else:
                send_dingtalk(webhook_url=robot.webhook_url, secret=robot.secret, title=title, text=parts[index])
        except DeliveryError as error:
            if error.throttled:
                pause = timedelta(seconds=float(_setting("NOTIFY_ROBOT_THROTTLE_PAUSE", 600)))
                RobotConfig.objects.filter(pk=robot.pk).update(paused_until=now + pause)
                _save(rows, last_error=error.message)
                _release(rows, now + pause)
                stats["held"] += len(rows)
                return
            _fail_or_retry(rows, error, now, stats)
            return
        _save(rows, parts_sent=index + 1)
    _save(rows, status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", claim_token="")
    stats["sent"] += len(rows)


def _send_mail(rows: list[Outbox], stats: dict[str, int], now: datetime) -> None:
    recipient = rows[0].recipient
    subject, _body, items = _compose(rows)
    try:
        send_email(to=recipient.email if recipient else "", subject=f"【文明创建】{subject}", items=items)
    except DeliveryError as error:
        _fail_or_retry(rows, error, now, stats)
        return
    _save(rows, status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", claim_token="")
    stats["sent"] += len(rows)


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """Send every due email and robot row that working time and the robots' limits allow.

    Returns counts: claimed, sent, retry (failed now, will retry), failed (gave up), held (waiting for
    a robot's token or a vendor's pause), cancelled (robot switched off), recovered (stuck rows marked 失败),
    stale (no longer true when due: not sent, see hooks.still_due).
    Outside working time nothing is sent; `waiting` then counts the rows that wait for the next working morning.
    """
    stats: dict[str, int] = defaultdict(int)
    fixed_clock = now is not None
    now = now or timezone.now()
    stats["recovered"] = _recover_stuck(now)
    if not is_working_time(now):
        # Nothing goes out now; report how many rows wait for the next working morning.
        stats["waiting"] = Outbox.objects.filter(status__in=DUE_STATUSES).exclude(channel=Channel.IN_APP).count()
        return dict(stats)
    batch = int(_setting("NOTIFY_BATCH_SIZE", 500))
    rows = _claim(now, batch)
    stats["claimed"] = len(rows)
    rows = _drop_stale(rows, stats)
    for group in _groups(rows):
        clock = now if fixed_clock else timezone.now()
        first = group[0]
        try:
            if first.channel == Channel.EMAIL:
                _send_mail(group, stats, clock)
            else:
                _send_robot(group, first.robot, clock, stats)
        except Exception as exc:  # an unexpected bug must not leave rows "sending" for the stuck-row sweep
            logger.exception("delivery of outbox rows %s failed", [r.pk for r in group])
            _fail_or_retry(group, DeliveryError(f"系统错误：{exc.__class__.__name__}"), clock, stats)
    return dict(stats)
