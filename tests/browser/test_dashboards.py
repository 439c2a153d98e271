"""The 驾驶舱 and 动态管理 in Chromium: charts drawn under the CSP, tables one click away, a bar opens the late tasks,
printing gives one A4 landscape page; screenshots at 1440×900 and 390×844."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from dashboards.services import snapshot_units
from tests.conftest import build_world
from tests.dashboards.test_cockpit import build_unit

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server, username: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page, errors


def test_unit_cockpit_in_the_browser(browser: Browser, live_server):
    world = build_world()
    built = build_unit(world, world.unit_a, world.dept_a, scale=2)
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, errors = _sign_in(browser, live_server, "a_leader", {"width": 1440, "height": 900})
    page.get_by_role("link", name="驾驶舱").first.click()
    expect(page.get_by_role("heading", name=re.compile("驾驶舱 · 甲单位"))).to_be_visible()
    expect(page.locator("body[data-charts-ready='6']")).to_have_count(1)
    assert page.locator(".wm-cockpit-chart canvas").count() == 6
    page.screenshot(path=str(ARTIFACTS / "cockpit-1440.png"), full_page=True)
    # A table is one click away.
    table = page.get_by_test_id("table-departments")
    expect(table).to_be_hidden()
    page.locator("details").first.locator("summary").click()
    expect(table).to_be_visible()
    # Printing: one A4 landscape page, without the navbar.
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    pdf = page.pdf(format="A4", landscape=True, print_background=True, prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    (ARTIFACTS / "cockpit-print.pdf").write_bytes(pdf)
    assert pages == 1, f"the printed 驾驶舱 has {pages} pages"
    page.emulate_media(media="screen")
    # Clicking the department bar opens that department's late tasks (the task list with its filters).
    box = page.locator("#chart-departments canvas").bounding_box()
    chart = page.evaluate(
        "() => { const c = echarts.getInstanceByDom(document.getElementById('chart-departments'));"
        " return c.convertToPixel({seriesIndex: 2}, [0, 1]); }"
    )
    page.mouse.click(box["x"] + chart[0], box["y"] + chart[1])
    expect(page).to_have_url(re.compile(rf"/campaigns/{built['campaign'].pk}/tasks/\?lead=\d+&status=late"))
    assert not errors, errors
    context.close()

    phone, page, errors = _sign_in(browser, live_server, "a_office", {"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cockpit/")
    expect(page.locator("body[data-charts-ready='6']")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "cockpit-390.png"), full_page=True)
    assert not errors, errors
    phone.close()


def test_city_page_in_the_browser(browser: Browser, live_server):
    world = build_world()
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    build_unit(world, world.unit_b, world.dept_b, scale=2)
    snapshot_units(day=timezone.localdate())
    for viewport, shot in (
        ({"width": 1440, "height": 900}, "city-1440.png"),
        ({"width": 390, "height": 844}, "city-390.png"),
    ):
        context, page, errors = _sign_in(browser, live_server, "city_office", viewport)
        page.goto(f"{live_server.url}/city/")
        expect(page.get_by_test_id("city-table").locator("tbody tr")).to_have_count(2)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        assert not errors, errors
        context.close()
    context, page, _ = _sign_in(browser, live_server, "city_leader", {"width": 1440, "height": 900})
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="动态管理").click()
    page.locator("a[data-sort='tasks_overdue']").click()
    expect(page).to_have_url(re.compile(r"sort=tasks_overdue"))
    page.get_by_role("link", name="驾驶舱").nth(1).click()
    expect(page.get_by_role("heading", name=re.compile("驾驶舱 · "))).to_be_visible()
    context.close()


def test_supervision_round_trip(browser: Browser, live_server):
    """GIVEN unit A with a late task WHEN the city office issues a 督办单 from 动态管理, unit A's 创建办 answers it and
    the office closes it THEN each side sees the state change, and the unit's 创建办 got a notice."""
    world = build_world()
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    snapshot_units(day=timezone.localdate())
    office, page, errors = _sign_in(browser, live_server, "city_office", {"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/city/")
    page.locator(f"tr[data-unit='{world.unit_a.pk}']").get_by_role("link", name="督办").click()
    page.get_by_label("督办指标（可选）").select_option("tasks_overdue")
    page.locator("input[name='tasks']").first.check()
    page.get_by_label("督办要求").fill("逾期任务较多，请说明原因并限期完成")
    page.get_by_role("button", name="下发并通知创建办").click()
    expect(page.get_by_test_id("supervision-status")).to_have_text("待答复")
    url = page.url

    unit, upage, uerrors = _sign_in(browser, live_server, "a_office", {"width": 390, "height": 844})
    upage.goto(f"{live_server.url}/notifications/")
    upage.get_by_text(re.compile("督办：逾期任务")).first.click()
    expect(upage).to_have_url(url)
    upage.get_by_label("情况说明").fill("已召开专题会议，逾期任务本周内完成")
    upage.get_by_label(re.compile("相关链接")).fill("/campaigns/")
    upage.get_by_role("button", name="提交情况说明").click()
    expect(upage.get_by_test_id("supervision-status")).to_have_text("已答复")

    page.reload()
    expect(page.get_by_test_id("supervision-answer")).to_contain_text("已召开专题会议")
    page.once("dialog", lambda d: d.accept())
    page.get_by_label("办结意见").fill("同意办结")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("supervision-status")).to_have_text("已办结")
    upage.reload()
    expect(upage.get_by_test_id("supervision-status")).to_have_text("已办结")
    assert not errors and not uerrors, errors + uerrors
    office.close()
    unit.close()
