"""The 联络员 sees the bell's unread count, opens the notice and lands on the task it is about."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from notifications import services
from notifications.models import Kind, Notice
from tests.conftest import build_world
from tests.factories import CampaignFactory, TaskFactory

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_liaison_sees_the_bell_count_and_opens_the_notice_on_its_task(browser: Browser, live_server):
    world = build_world()
    liaison = world.user("a_liaison")
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建", status="active")
    task = TaskFactory(
        campaign=campaign,
        title="开展文明交通志愿服务",
        lead_units=[world.dept_a],
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    task_url = reverse("campaigns:task_detail", args=[task.pk])
    for rule, title in (("task.due_soon", "任务“开展文明交通志愿服务”3天后到期"), ("system.welcome", "欢迎使用")):
        services.notify(
            rule=rule,
            obj=task,
            recipients=[liaison],
            title=title,
            body="请及时报送进展。",
            url=task_url if rule == "task.due_soon" else "/",
            period="2026-12-01",
            kind=Kind.REMINDER,
        )
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_liaison")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    expect(page.get_by_test_id("notice-count")).to_have_text("2")
    page.screenshot(path=str(ARTIFACTS / "bell-count.png"))
    page.get_by_test_id("notice-bell").click()
    expect(page.get_by_role("heading", name="我的消息")).to_be_visible()
    page.get_by_role("button", name="任务“开展文明交通志愿服务”3天后到期").click()

    page.wait_for_url(f"{live_server.url}{task_url}")
    expect(page.get_by_text("开展文明交通志愿服务").first).to_be_visible()
    expect(page.get_by_test_id("notice-count")).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "bell-task.png"))
    context.close()
    assert Notice.objects.get(user=liaison, url=task_url).read_at is not None
