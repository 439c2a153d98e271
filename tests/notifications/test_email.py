"""Email through a real SMTP server on 127.0.0.1: retries with backoff, 失败 with the reason, recovery."""

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import Channel, Kind, Outbox, OutboxStatus
from organizations.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

from .conftest import WORKING_NOW, SmtpServer

pytestmark = pytest.mark.django_db


def _digest(user, org, period, now=WORKING_NOW, title="本周创建工作汇总"):
    return services.notify(
        rule="notifytest.digest",
        obj=None,
        recipients=[user],
        title=title,
        body="逾期任务 3 项，待完善台账 2 份。",
        url="/campaigns/",
        period=period,
        organization=org,
        kind=Kind.DIGEST,
        now=now,
    )


def test_email_goes_out_as_chinese_html_and_text(smtp_server, settings):
    settings.SITE_URL = "https://wm.example.cn"
    org = OrganizationFactory()
    user = UserFactory(email="liaison@example.cn")
    _digest(user, org, "2026-W49")
    stats = services.deliver_due(now=WORKING_NOW)
    assert stats["sent"] == 1
    [(rcpt, message)] = smtp_server.messages
    assert rcpt == ["liaison@example.cn"]
    assert message["Subject"] == "【文明创建】本周创建工作汇总"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "逾期任务 3 项" in text and "https://wm.example.cn/campaigns/" in text
    assert '<a href="https://wm.example.cn/campaigns/">查看详情</a>' in html
    row = Outbox.objects.get(channel=Channel.EMAIL)
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    # A second run finds nothing to send.
    assert services.deliver_due(now=WORKING_NOW + timedelta(minutes=1)).get("sent", 0) == 0
    assert len(smtp_server.messages) == 1


def test_smtp_down_is_retried_with_backoff_then_failed_on_the_outbox_page_and_back_up_later(
    smtp_port, settings, client
):
    """GIVEN no SMTP server WHEN delivery runs THEN each retry waits longer, and after the last attempt the row
    is 失败 with the connection error on the admin's 发送记录 page; GIVEN the server back THEN later mail goes out."""
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    unit = OrganizationFactory()
    admin = MembershipFactory(organization=unit, role=Role.ADMIN).user
    user = UserFactory()
    _digest(user, unit, "2026-W49")

    now = WORKING_NOW
    delays = []
    for attempt in (1, 2):
        stats = services.deliver_due(now=now)
        assert stats["retry"] == 1, stats
        row = Outbox.objects.get(channel=Channel.EMAIL)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempt)
        assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
        delays.append((row.next_attempt_at - now).total_seconds())
        # Not due before its time.
        assert services.deliver_due(now=now + timedelta(seconds=1)).get("claimed", 0) == 0
        now = row.next_attempt_at
    assert 48 <= delays[0] <= 72 and 96 <= delays[1] <= 144  # 60 s, then 120 s, ±20 % jitter

    stats = services.deliver_due(now=now)
    assert stats["failed"] == 1
    row = Outbox.objects.get(channel=Channel.EMAIL)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert row.last_error.startswith("已重试 3 次仍失败：邮件发送失败：")

    client.force_login(admin)
    page = client.get(reverse("notifications:outbox"), {"status": "failed"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "失败" in content and "已重试 3 次仍失败" in content and "本周创建工作汇总" in content

    server = SmtpServer(port=smtp_port)
    server.start()
    try:
        _digest(user, unit, "2026-W50", now=now, title="下一周的汇总")
        stats = services.deliver_due(now=now)
        assert stats["sent"] == 1
        assert [m["Subject"] for _rcpt, m in server.messages] == ["【文明创建】下一周的汇总"]
        # The failed one is not retried by itself; the admin resends it.
        response = client.post(reverse("notifications:outbox_resend", args=[row.pk]))
        assert response.status_code == 302
        # The resend is due at once in working time (or the next working morning: the page uses the real clock).
        services.deliver_due(now=Outbox.objects.get(pk=row.pk).next_attempt_at)
        assert len(server.messages) == 2
        assert Outbox.objects.filter(status=OutboxStatus.SENT, channel=Channel.EMAIL).count() == 2
    finally:
        server.stop()


def test_a_user_without_an_email_address_fails_at_once_with_the_reason(smtp_server):
    user = UserFactory(email="")
    _digest(user, OrganizationFactory(), "2026-W49")
    stats = services.deliver_due(now=WORKING_NOW)
    assert stats["failed"] == 1
    row = Outbox.objects.get(channel=Channel.EMAIL)
    assert (row.attempts, row.last_error) == (1, "接收人未填写电子邮箱")
    assert smtp_server.messages == []


def test_messages_held_overnight_are_folded_into_one_morning_email(smtp_server):
    """GIVEN three reminders written at 20:00 WHEN the 08:30 run comes THEN one email lists all three."""
    user = UserFactory()
    org = OrganizationFactory()
    evening = WORKING_NOW.replace(hour=20)
    for n in range(3):
        _digest(user, org, f"2026-W{n}", now=evening, title=f"汇总{n}")
    assert services.deliver_due(now=evening + timedelta(hours=2)) == {"recovered": 0, "waiting": 3}
    morning = (WORKING_NOW + timedelta(days=1)).replace(hour=8, minute=30)
    stats = services.deliver_due(now=morning)
    assert stats["sent"] == 3
    [(_rcpt, message)] = smtp_server.messages
    assert message["Subject"].strip() == "【文明创建】非工作时间的 3 条通知"  # the parser keeps a fold space
    text = message.get_body(("plain",)).get_content()
    assert all(f"汇总{n}" in text for n in range(3))
