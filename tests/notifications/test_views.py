"""The bell, the notice list, preferences, 发送记录 and the robot pages, through the test client."""

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import Channel, Kind, Notice, NotificationPreference, OutboxStatus, RobotConfig, RobotVendor
from organizations.models import Role
from tests.factories import MembershipFactory, NoticeFactory, OutboxFactory, RobotConfigFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_bell_shows_the_unread_count_in_one_query(client, django_assert_num_queries, settings):
    user = UserFactory()
    NoticeFactory.create_batch(3, user=user)
    NoticeFactory(user=user, read_at="2026-12-01T10:00:00+08:00")
    NoticeFactory()  # someone else's
    client.force_login(user)
    client.get(reverse("notifications:list"))  # warm the session
    # the session (none when cached_db finds it in the cache, as with REDIS_URL), the user, the count
    session_queries = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    with django_assert_num_queries(session_queries + 2):
        response = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"})
    assert 'data-testid="notice-count">3<' in response.content.decode()
    # Every page carries the bell's placeholder, loaded by htmx.
    page = client.get(reverse("dashboards:home")).content.decode()
    assert f'hx-get="{reverse("notifications:bell")}"' in page


def test_the_list_filters_and_marks_read(client):
    user = UserFactory()
    a = NoticeFactory(user=user, kind=Kind.REMINDER, title="到期提醒一")
    NoticeFactory(user=user, kind=Kind.URGENT, title="催办一")
    NoticeFactory(user=user, kind=Kind.URGENT, title="已读催办", read_at="2026-12-01T10:00:00+08:00")
    client.force_login(user)
    body = client.get(reverse("notifications:list"), {"kind": "urgent", "unread": "1"}).content.decode()
    assert "催办一" in body and "到期提醒一" not in body and "已读催办" not in body
    # Junk filters are ignored, not a 500.
    assert client.get(reverse("notifications:list"), {"kind": "<x>", "page": "-1"}).status_code == 200
    client.post(reverse("notifications:mark_read", args=[a.pk]))
    a.refresh_from_db()
    assert a.read_at is not None
    client.post(reverse("notifications:mark_all_read"))
    assert not Notice.objects.filter(user=user, read_at__isnull=True).exists()


def test_opening_a_notice_marks_it_read_and_goes_only_to_a_relative_url(client):
    user = UserFactory()
    inside = NoticeFactory(user=user, url="/campaigns/?x=1")
    outside = NoticeFactory(user=user, url="https://evil.example.com/")
    sneaky = NoticeFactory(user=user, url="//evil.example.com/")
    client.force_login(user)
    response = client.post(reverse("notifications:open", args=[inside.pk]))
    assert response.status_code == 302 and response["Location"] == "/campaigns/?x=1"
    inside.refresh_from_db()
    assert inside.read_at is not None
    for notice in (outside, sneaky):
        response = client.post(reverse("notifications:open", args=[notice.pk]))
        assert response["Location"] == reverse("notifications:list")
    # Another user's notice does not exist for this user.
    assert client.post(reverse("notifications:open", args=[NoticeFactory().pk])).status_code == 404


def test_preferences_choose_email_per_kind(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="digest-email" id="p-digest-email" checked' in page  # the default
    client.post(reverse("notifications:preferences"), {"reminder-email": "on"})
    assert services.user_channels([user], Kind.REMINDER)[user.pk] == {Channel.IN_APP, Channel.EMAIL}
    assert services.user_channels([user], Kind.DIGEST)[user.pk] == {Channel.IN_APP}
    assert NotificationPreference.objects.filter(user=user).count() == 4


def test_outbox_page_shows_only_the_admins_organisations(client, world):
    mine = OutboxFactory(organization=world.unit_a, status=OutboxStatus.FAILED, last_error="甲单位的失败原因")
    OutboxFactory(organization=world.unit_b, status=OutboxStatus.FAILED, last_error="乙单位的失败原因")
    client.force_login(world.user("a_admin"))
    body = client.get(reverse("notifications:outbox")).content.decode()
    assert "甲单位的失败原因" in body and "乙单位的失败原因" not in body
    assert mine.title in body
    body = client.get(reverse("notifications:outbox"), {"status": "sent"}).content.decode()
    assert "甲单位的失败原因" not in body


def test_robot_form_refuses_hosts_the_settings_do_not_allow_in_chinese(client, world):
    client.force_login(world.user("a_admin"))
    response = client.post(
        reverse("notifications:robot_create"),
        {
            "organization": world.unit_a.pk,
            "name": "工作群",
            "vendor": RobotVendor.WECOM,
            "webhook_url": "https://evil.example.com/hook",
        },
    )
    assert response.status_code == 400
    assert "不允许的 Webhook 主机：evil.example.com" in response.content.decode()
    response = client.post(
        reverse("notifications:robot_create"),
        {
            "organization": world.unit_b.pk,  # not this admin's organisation
            "name": "工作群",
            "vendor": RobotVendor.WECOM,
            "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        },
    )
    assert response.status_code == 400
    assert not RobotConfig.objects.exists()
    response = client.post(
        reverse("notifications:robot_create"),
        {
            "organization": world.unit_a.pk,
            "name": "工作群",
            "vendor": RobotVendor.WECOM,
            "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    robot = RobotConfig.objects.get()
    assert robot.enabled and robot.organization == world.unit_a
    # The key is a credential: the list shows it masked.
    assert "abcdef123456" not in client.get(reverse("notifications:robots")).content.decode()


def test_test_send_button_reaches_the_robot_and_reports_the_answer(client, world, robot_server):
    robot_server.secret = "SECtest"
    robot = RobotConfigFactory(
        organization=world.unit_a,
        vendor=RobotVendor.DINGTALK,
        webhook_url=f"{robot_server.base}/dingtalk/robot/send?access_token=x",
        secret="SECtest",
    )
    client.force_login(world.user("a_admin"))
    response = client.post(reverse("notifications:robot_test", args=[robot.pk]), follow=True)
    assert "测试消息已发送到" in response.content.decode()
    [payload] = robot_server.payloads()
    assert payload["markdown"]["title"] == "测试消息"
    RobotConfig.objects.filter(pk=robot.pk).update(secret="SECwrong")
    response = client.post(reverse("notifications:robot_test", args=[robot.pk]), follow=True)
    assert "测试发送失败：钉钉返回错误码 310000" in response.content.decode()


def test_notify_links_the_notice_to_its_object_for_a_liaison(client, world):
    liaison = world.user("a_liaison")
    services.notify(
        rule="org.test",
        obj=world.dept_a,
        recipients=[liaison],
        title="请核对本部门信息",
        body="",
        url=reverse("organizations:detail", args=[world.dept_a.pk]),
        period="x",
    )
    notice = Notice.objects.get(user=liaison)
    client.force_login(liaison)
    response = client.post(reverse("notifications:open", args=[notice.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("organizations:detail", args=[world.dept_a.pk])
    assert MembershipFactory._meta.model.objects.filter(user=liaison, role=Role.LIAISON).exists()


def test_a_signed_out_tab_polling_the_bell_gets_nothing_to_swap(client):
    response = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.content == b""


def test_editing_a_robot_keeps_the_secret_when_left_blank(client, world):
    robot = RobotConfigFactory(
        organization=world.unit_a,
        vendor=RobotVendor.DINGTALK,
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=aaa",
        secret="SECkeep",
    )
    client.force_login(world.user("a_admin"))
    response = client.post(
        reverse("notifications:robot_edit", args=[robot.pk]),
        {
            "organization": world.unit_b.pk,  # disabled on edit: ignored
            "name": "新名称",
            "vendor": RobotVendor.DINGTALK,
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=bbb",
            "secret": "",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.secret, robot.enabled, robot.organization) == ("新名称", "SECkeep", True, world.unit_a)
    assert robot.webhook_url.endswith("access_token=bbb")
    # Unit B's admin cannot reach it.
    client.force_login(world.user("b_admin"))
    assert client.get(reverse("notifications:robot_edit", args=[robot.pk])).status_code == 404
