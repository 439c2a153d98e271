"""企业微信 and 钉钉 group robots against a real HTTP server on 127.0.0.1."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from notifications import channels, delivery, services, workdays
from notifications.models import Channel, Outbox, OutboxStatus, RobotConfig, RobotVendor
from tests.factories import OrganizationFactory, RobotConfigFactory, UserFactory

from .conftest import WORKING_NOW

pytestmark = pytest.mark.django_db


def _robot(server, vendor=RobotVendor.WECOM, **kw):
    org = OrganizationFactory()
    path = "/wecom/send?key=k-1" if vendor == RobotVendor.WECOM else "/dingtalk/robot/send?access_token=t-1"
    return RobotConfigFactory(organization=org, vendor=vendor, webhook_url=f"{server.base}{path}", enabled=True, **kw)


def _notify(robot, n=0, body="请于本周五前上传活动照片。", now=WORKING_NOW, title=None):
    return services.notify(
        rule="notifytest.overdue",
        obj=robot.organization,
        recipients=[],
        title=title or f"任务{n}已逾期",
        body=body,
        url=f"/campaigns/tasks/{n}/",
        period=f"p{n}",
        robot_organizations=[robot.organization],
        now=now,
    )


def test_wecom_receives_markdown_json(robot_server, settings):
    settings.SITE_URL = "https://wm.example.cn"
    robot = _robot(robot_server)
    _notify(robot, 7)
    assert services.deliver_due(now=WORKING_NOW)["sent"] == 1
    [payload] = robot_server.payloads()
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert content.startswith("### 任务7已逾期\n")
    assert "请于本周五前上传活动照片。" in content
    assert "[查看详情](https://wm.example.cn/campaigns/tasks/7/)" in content
    assert robot_server.requests[0][2] == {"key": ["k-1"]}


def test_dingtalk_receives_a_signed_markdown_message(robot_server):
    """The server recomputes HmacSHA256(secret, f"{timestamp}\\n{secret}") and refuses a bad sign."""
    robot_server.secret = "SECa1b2c3d4e5f6"
    robot = _robot(robot_server, RobotVendor.DINGTALK, secret="SECa1b2c3d4e5f6")
    _notify(robot, 1)
    assert services.deliver_due(now=WORKING_NOW)["sent"] == 1
    assert robot_server.rejected == []
    [(_at, path, query, payload)] = robot_server.requests
    assert path == "/dingtalk/robot/send"
    assert set(query) == {"access_token", "timestamp", "sign"}
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "任务1已逾期"
    assert payload["markdown"]["text"].startswith("### 任务1已逾期")

    # A robot configured with the wrong secret: the vendor's errcode is a failure, kept with its reason.
    wrong = _robot(robot_server, RobotVendor.DINGTALK, secret="SECwrong")
    _notify(wrong, 2)
    stats = services.deliver_due(now=WORKING_NOW)
    assert stats["retry"] == 1
    row = Outbox.objects.get(robot=wrong)
    assert row.status == OutboxStatus.PENDING and "钉钉返回错误码 310000" in row.last_error
    assert len(robot_server.rejected) == 1


def test_long_messages_are_split_by_bytes_and_resume_after_the_last_part(robot_server):
    robot = _robot(robot_server)
    body = "\n".join(f"第{n}项：甲单位文明创建任务进展情况汇报材料" for n in range(400))  # ~25 000 bytes
    assert len(body.encode()) > 3 * channels.WECOM_MAX_BYTES
    _notify(robot, 3, body=body)
    services.deliver_due(now=WORKING_NOW)
    contents = [p["markdown"]["content"] for p in robot_server.payloads()]
    assert len(contents) >= 4
    assert all(len(c.encode("utf-8")) <= channels.WECOM_MAX_BYTES for c in contents)
    assert contents[0].startswith(f"（1/{len(contents)}）\n### 任务3已逾期")
    joined = "".join(c.split("\n", 1)[1] for c in contents)
    assert all(f"第{n}项：" in joined for n in range(400))
    assert Outbox.objects.get(robot=robot).parts_sent == len(contents)


def test_split_utf8_never_cuts_a_character():
    text = "文明" * 3000 + "😀" * 50
    for limit in (4096, 4097, 4098, 4099, 20000, 7):
        parts = channels.split_utf8(text, limit)
        assert "".join(parts) == text
        assert all(len(p.encode()) <= limit for p in parts)


def test_a_failed_part_is_retried_without_resending_the_parts_before_it(robot_server):
    robot = _robot(robot_server)
    body = "\n".join(f"第{n}项进展" for n in range(900))
    _notify(robot, 4, body=body)
    row = Outbox.objects.get(robot=robot)
    total = len(channels.split_numbered(delivery._markdown([row])[1], channels.WECOM_MAX_BYTES))
    Outbox.objects.filter(pk=row.pk).update(parts_sent=1)  # as if the first part went out, then the run died
    services.deliver_due(now=WORKING_NOW)
    contents = [p["markdown"]["content"] for p in robot_server.payloads()]
    assert [c.split("\n", 1)[0] for c in contents] == [f"（{i}/{total}）" for i in range(2, total + 1)]


def test_dingtalk_throttle_holds_the_robot_for_ten_minutes(robot_server):
    robot_server.secret = "SEC1"
    robot = _robot(robot_server, RobotVendor.DINGTALK, secret="SEC1")
    robot_server.answer = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    _notify(robot, 1)
    _notify(robot, 2)
    stats = services.deliver_due(now=WORKING_NOW)
    assert stats["held"] == 2 and stats.get("failed", 0) == 0
    robot.refresh_from_db()
    assert robot.paused_until == WORKING_NOW + timedelta(minutes=10)
    rows = Outbox.objects.filter(robot=robot)
    assert {r.status for r in rows} == {OutboxStatus.HELD} and {r.attempts for r in rows} == {0}
    robot_server.answer = None
    assert services.deliver_due(now=WORKING_NOW + timedelta(minutes=9)).get("sent", 0) == 0
    assert services.deliver_due(now=WORKING_NOW + timedelta(minutes=10))["sent"] == 2
    assert len(robot_server.requests) == 2


def test_twenty_five_messages_keep_within_twenty_a_minute_on_an_advancing_clock(robot_server, fresh_bucket):
    robot = _robot(robot_server)
    fresh_bucket(robot.pk)
    for n in range(25):
        _notify(robot, n)
    first = services.deliver_due(now=WORKING_NOW)
    assert (first["sent"], first["held"]) == (20, 5)
    held = Outbox.objects.filter(robot=robot, status=OutboxStatus.HELD)
    assert {r.next_attempt_at for r in held} == {WORKING_NOW + timedelta(seconds=60)}
    assert services.deliver_due(now=WORKING_NOW + timedelta(seconds=59)).get("sent", 0) == 0
    assert services.deliver_due(now=WORKING_NOW + timedelta(seconds=60))["sent"] == 5
    titles = [p["markdown"]["content"].split("\n", 1)[0] for p in robot_server.payloads()]
    assert sorted(titles) == sorted(f"### 任务{n}已逾期" for n in range(25))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_five_messages_in_a_minute_arrive_over_more_than_a_minute_none_lost_none_twice(
    robot_server, fresh_bucket, settings
):
    """GIVEN 25 messages for one robot written within a minute WHEN delivery runs on the real clock (every 2 s,
    standing in for beat) THEN all 25 arrive exactly once, over more than 60 s, never more than 20 in 60 s."""
    robot = _robot(robot_server)
    fresh_bucket(robot.pk)
    # The real clock may be outside 08:30–18:00 in Shanghai; the test's calendar day counts as working all day.
    settings.NOTIFY_WORK_START, settings.NOTIFY_WORK_END = "00:00", "23:59"
    services.calendar_day_set(day=workdays.local_today(), is_workday=True, name="测试")
    for n in range(25):
        _notify(robot, n, now=None)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        services.deliver_due()
        if not Outbox.objects.filter(robot=robot).exclude(status=OutboxStatus.SENT).exists():
            break
        time.sleep(2)
    arrivals = sorted(r[0] for r in robot_server.requests)
    titles = [p["markdown"]["content"].split("\n", 1)[0] for p in robot_server.payloads()]
    assert sorted(titles) == sorted(f"### 任务{n}已逾期" for n in range(25))  # none lost, none twice
    assert arrivals[-1] - arrivals[0] > 60
    assert max(sum(1 for t in arrivals if a <= t < a + 60) for a in arrivals) <= 20


@pytest.mark.django_db(transaction=True)
def test_two_delivery_runs_at_the_same_moment_never_send_a_row_twice(robot_server, fresh_bucket, settings):
    settings.NOTIFY_ROBOT_RATE_LIMIT = 1000
    robot_server.delay = 0.02  # slow answers keep both runs busy at once
    robot = _robot(robot_server)
    fresh_bucket(robot.pk)
    for n in range(40):
        _notify(robot, n)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(services.deliver_due(now=WORKING_NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    titles = [p["markdown"]["content"].split("\n", 1)[0] for p in robot_server.payloads()]
    assert len(titles) == 40 and len(set(titles)) == 40
    assert sum(r.get("sent", 0) for r in results) == 40
    assert Outbox.objects.filter(robot=robot, status=OutboxStatus.SENT).count() == 40


def test_a_row_left_sending_by_a_killed_worker_is_failed_not_resent(robot_server, settings):
    robot = _robot(robot_server)
    _notify(robot, 1)
    Outbox.objects.filter(robot=robot).update(status=OutboxStatus.SENDING, claimed_at=WORKING_NOW - timedelta(hours=1))
    stats = services.deliver_due(now=WORKING_NOW)
    assert stats["recovered"] == 1
    row = Outbox.objects.get(robot=robot)
    assert row.status == OutboxStatus.FAILED and "发送过程中断" in row.last_error
    assert robot_server.requests == []


def test_a_robot_switched_off_after_the_row_was_written_sends_nothing(robot_server):
    robot = _robot(robot_server)
    _notify(robot, 1)
    RobotConfig.objects.filter(pk=robot.pk).update(enabled=False)
    assert services.deliver_due(now=WORKING_NOW)["cancelled"] == 1
    assert robot_server.requests == []


def test_outside_working_time_robots_wait_and_fold_into_the_morning(robot_server):
    robot = _robot(robot_server)
    saturday = WORKING_NOW.replace(day=5)
    for n in range(3):
        _notify(robot, n, now=saturday)
    assert services.deliver_due(now=saturday)["waiting"] == 3
    monday = WORKING_NOW.replace(day=7, hour=8, minute=30)
    assert services.deliver_due(now=monday)["sent"] == 3
    [payload] = robot_server.payloads()
    content = payload["markdown"]["content"]
    assert content.startswith("### 非工作时间的 3 条通知")
    assert all(f"任务{n}已逾期" in content for n in range(3))


def test_urgent_is_delivered_at_once_in_working_time_and_held_outside(robot_server, django_capture_on_commit_callbacks):
    robot = _robot(robot_server)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.notify(
            rule="notifytest.urge",
            obj=robot.organization,
            recipients=[UserFactory()],
            title="催办：请尽快报送",
            body="",
            period="2026-12-01",
            robot_organizations=[robot.organization],
            urgent=True,
            now=services.next_working_time(WORKING_NOW),
        )
    assert result.by_channel[Channel.WECOM] == 1
    # The on-commit run uses the real clock: in working time it has sent the row, outside it the row waits.
    row = Outbox.objects.get(robot=robot)
    if services.is_working_time(row.created_at):
        assert row.status == OutboxStatus.SENT and len(robot_server.requests) == 1
    else:
        assert row.status == OutboxStatus.PENDING and robot_server.requests == []

    evening = services.notify(
        rule="notifytest.urge",
        obj=robot.organization,
        recipients=[],
        title="催办（晚上）",
        body="",
        period="2026-12-01-evening",
        robot_organizations=[robot.organization],
        urgent=True,
        now=WORKING_NOW.replace(hour=21),
    )
    assert evening.held == 1


def test_webhook_policy_https_vendor_hosts_and_no_private_addresses(settings):
    settings.NOTIFY_ROBOT_ALLOWED_HOSTS = []
    settings.NOTIFY_ROBOT_ALLOW_HTTP = False
    settings.NOTIFY_ROBOT_ALLOW_PRIVATE = False
    channels.validate_webhook_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "wecom")
    channels.validate_webhook_url("https://oapi.dingtalk.com/robot/send?access_token=x", "dingtalk")
    for url, vendor in (
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "wecom"),
        ("https://evil.example.com/send", "wecom"),
        ("https://oapi.dingtalk.com/robot/send", "wecom"),  # the other vendor's host
        ("https://user:pw@qyapi.weixin.qq.com/x", "wecom"),
        ("https://127.0.0.1/send", "wecom"),
    ):
        with pytest.raises(channels.WebhookNotAllowed):
            channels.validate_webhook_url(url, vendor)
    # An intranet gateway listed in the settings is allowed, but its private address only when allowed too.
    settings.NOTIFY_ROBOT_ALLOWED_HOSTS = ["localhost"]
    channels.validate_webhook_url("https://localhost/robot", "wecom")
    with pytest.raises(channels.DeliveryError, match="内网或本机地址"):
        channels.post_json("https://localhost/robot", {}, vendor="wecom")


def test_a_reminder_no_longer_true_when_due_is_not_sent(robot_server, smtp_server):
    """GIVEN rows held overnight WHEN the domain app's check says the task is done, or the object is gone,
    THEN nothing is sent and the rows are 已过时; the others in the same batch still go out."""
    from notifications import hooks

    robot = _robot(robot_server)
    evening = WORKING_NOW.replace(hour=20)
    done, open_, doomed = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    user = UserFactory()
    for obj in (done, open_, doomed):
        services.notify(
            rule="check.overdue",
            obj=obj,
            recipients=[user],
            title=f"{obj.name}逾期",
            body="",
            period="p",
            kind="digest",
            robot_organizations=[robot.organization],
            now=evening,
        )
    asked = []

    def check(rule, obj, period, recipient):
        asked.append((rule, obj.pk, period, recipient.pk if recipient else None))
        return obj.pk != done.pk

    hooks.register_still_due("check.", check)
    try:
        Outbox.objects.filter(object_id=str(doomed.pk)).update(object_id="999999999", object_key="x:999999999")
        stats = services.deliver_due(now=WORKING_NOW.replace(day=2, hour=8, minute=30))
    finally:
        hooks.unregister_still_due("check.")
    assert stats["stale"] == 4 and stats["sent"] == 2  # email + robot for each of done/doomed; open_ is sent
    assert ("check.overdue", done.pk, "p", user.pk) in asked and ("check.overdue", done.pk, "p", None) in asked
    [payload] = robot_server.payloads()
    assert f"{open_.name}逾期" in payload["markdown"]["content"]
    assert done.name not in payload["markdown"]["content"]
    assert len(smtp_server.messages) == 1
    stale = Outbox.objects.filter(status=OutboxStatus.STALE)
    assert stale.count() == 4 and all("未发送" in r.last_error for r in stale)


def test_without_redis_the_bucket_lives_in_the_process(settings):
    """The embedded setup (no REDIS_URL) still keeps a robot under 20 a minute."""
    from notifications import ratelimit

    settings.REDIS_URL = ""
    ratelimit.reset(424242)
    assert [ratelimit.take(424242, WORKING_NOW) for _ in range(20)] == [0.0] * 20
    assert ratelimit.take(424242, WORKING_NOW + timedelta(seconds=15)) == pytest.approx(45.0)
    assert ratelimit.take(424242, WORKING_NOW + timedelta(seconds=60)) == 0.0
    ratelimit.reset(424242)
