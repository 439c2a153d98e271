"""The 创建办 presses 催办 on an overdue task; the 联络员's bell shows it and the notice leads to the task."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from campaigns.models import Urge
from tests.conftest import build_world
from tests.factories import CampaignFactory, TaskFactory

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page


def test_office_urges_and_the_liaison_bell_shows_it(browser: Browser, live_server):
    world = build_world()
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建", status="active")
    task = TaskFactory(
        campaign=campaign,
        title="开展文明交通志愿服务",
        lead_units=[world.dept_a],
        due_date=timezone.localdate() - datetime.timedelta(days=5),
    )
    ARTIFACTS.mkdir(exist_ok=True)

    context, page = _sign_in(browser, live_server, "a_office")
    page.goto(f"{live_server.url}/campaigns/tasks/{task.pk}/")
    page.get_by_label("催办说明").fill("请今天下班前填报进展")
    page.get_by_test_id("urge-button").click()
    expect(page.get_by_text("已催办，1 人已收到通知。")).to_be_visible()
    expect(page.get_by_test_id("urge-history")).to_contain_text("请今天下班前填报进展")
    expect(page.get_by_test_id("urge-button")).to_have_count(0)  # once a day
    page.screenshot(path=str(ARTIFACTS / "urge-office.png"))
    context.close()
    assert Urge.objects.filter(object_id=task.pk).count() == 1

    context, page = _sign_in(browser, live_server, "a_liaison")
    expect(page.get_by_test_id("notice-count")).to_have_text("1")
    page.get_by_test_id("notice-bell").click()
    notice = page.get_by_text("催办：")
    expect(notice.first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "urge-liaison-bell.png"))
    notice.first.click()
    expect(page).to_have_url(f"{live_server.url}/campaigns/tasks/{task.pk}/")
    context.close()
