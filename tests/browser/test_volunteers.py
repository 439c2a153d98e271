"""A 联络员 on a phone records an activity with five volunteers' hours (and its dossier); 创建办 confirms them;
the statistics page shows the new totals."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from ledger.models import Event, EventCategory
from tests.conftest import build_world
from tests.factories import CampaignFactory, StaffCountFactory, VolunteerFactory
from volunteers.models import RecordStatus, ServiceRecord

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOURS = {"赵一": "2", "钱二": "2.5", "孙三": "3", "李四": "4", "周五": "8"}  # 19.5 hours


def _sign_in(browser: Browser, live_server, username: str, viewport: dict, requests: list[str]) -> Page:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible(timeout=20_000)
    return page


def test_liaison_records_office_confirms_statistics_show_the_totals(browser: Browser, live_server):
    world = build_world()
    year = timezone.localdate().year
    CampaignFactory(unit=world.unit_a, start_year=year, end_year=year + 2)
    StaffCountFactory(organization=world.unit_a, year=year, count=10)
    for name in HOURS:
        VolunteerFactory(organization=world.dept_a, name=name)
    VolunteerFactory(organization=world.dept_b, name="乙方志愿者")
    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []

    # The liaison, on a phone, right after the activity.
    page = _sign_in(browser, live_server, "a_liaison", {"width": 390, "height": 844}, requests)
    page.goto(f"{live_server.url}/volunteers/activities/new/")
    expect(page.get_by_text("乙方志愿者")).to_have_count(0)
    page.get_by_label("活动名称").fill("“学雷锋”社区环境整治")
    page.get_by_label("日期").fill(f"{year}-03-05")
    page.get_by_label("类别").select_option(label="学雷锋")
    page.get_by_label("地点").fill("幸福里社区")
    expect(page.get_by_label("同时建立台账档案")).to_be_checked()
    for name, hours in HOURS.items():
        page.get_by_label(f"{name} 的时长（小时）").fill(hours)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A viewport shot: a full-page one resizes the page under the next click.
    page.get_by_role("button", name="保存并提交确认").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "volunteers-record-390.png"))
    page.get_by_role("button", name="保存并提交确认").click()
    expect(page.get_by_role("heading", name="“学雷锋”社区环境整治")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("已登记活动““学雷锋”社区环境整治”及 5 人的服务时长，并已建立台账档案")).to_be_visible()
    expect(page.get_by_text("待确认")).to_have_count(5)
    page.context.close()
    assert ServiceRecord.objects.filter(status=RecordStatus.PENDING).count() == 5
    assert Event.objects.get().category == EventCategory.VOLUNTEER

    # 创建办 at the desk confirms all five.
    page = _sign_in(browser, live_server, "a_office", {"width": 1280, "height": 900}, requests)
    page.goto(f"{live_server.url}/volunteers/stats/?org={world.unit_a.pk}&year={year}")
    expect(page.locator('[data-key="confirmed_hours"]')).to_have_text("0")
    page.goto(f"{live_server.url}/volunteers/confirm/")
    expect(page.locator('input[name="records"]')).to_have_count(5)
    page.get_by_label("全选").check()
    page.get_by_role("button", name="确认所选").click()
    expect(page.get_by_text("已确认 5 条服务时长记录。")).to_be_visible(timeout=20_000)
    assert ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED).count() == 5

    # The statistics page shows the new totals, in the table and the chart.
    page.goto(f"{live_server.url}/volunteers/stats/?org={world.unit_a.pk}&year={year}")
    cells = {key: page.locator(f'[data-key="{key}"]') for key in ("staff", "registered", "rate", "confirmed_hours")}
    expect(cells["staff"]).to_have_text("10")
    expect(cells["registered"]).to_have_text("5")
    expect(cells["rate"]).to_have_text("50.0%")
    expect(cells["confirmed_hours"]).to_have_text("19.5")
    expect(page.locator('[data-key="hours_per_volunteer"]')).to_have_text("3.9")
    expect(page.locator('[data-key="activities"]')).to_have_text("1")
    expect(page.get_by_test_id("monthly-table").locator("tbody td").nth(2)).to_have_text("19.5")
    expect(page.locator("#monthly-chart canvas")).to_have_count(1)
    expect(page.get_by_test_id("behind-table").locator("tbody tr")).to_have_count(5)
    page.screenshot(path=str(ARTIFACTS / "volunteers-statistics-1280.png"), full_page=True)
    page.context.close()

    foreign = [u for u in requests if not u.startswith(live_server.url) and not u.startswith("data:")]
    assert not foreign, f"requests left the live server: {foreign}"
    assert any(u.endswith("echarts.min.js") for u in requests), "the vendored ECharts was not loaded"
