"""A 联络员 on a phone and a 领导 on a desktop sign in through the real form and see their 工作台."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import build_world

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_and_open_workbench(browser: Browser, live_server, username: str, viewport: dict, shot: str) -> list[str]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    memberships = page.get_by_test_id("my-memberships")
    text = memberships.inner_text()
    context.close()
    return [text, *requests]


def test_liaison_on_a_phone_and_leader_on_a_desktop(browser: Browser, live_server):
    build_world()
    text, *requests = _sign_in_and_open_workbench(
        browser, live_server, "a_liaison", {"width": 390, "height": 844}, "workbench-liaison-390.png"
    )
    assert "甲办公室" in text and "联络员" in text
    text2, *requests2 = _sign_in_and_open_workbench(
        browser, live_server, "a_leader", {"width": 1440, "height": 900}, "workbench-leader-1440.png"
    )
    assert "甲单位" in text2 and "领导" in text2
    foreign = [u for u in requests + requests2 if not u.startswith(live_server.url) and not u.startswith("data:")]
    assert not foreign, f"requests left the live server: {foreign}"
    assert any(u.endswith("bootstrap.min.css") for u in requests), "the vendored stylesheet was not loaded"


def test_phone_navigation_collapses_and_opens(browser: Browser, live_server):
    build_world()
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_office")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    nav_link = page.get_by_role("link", name="台账")
    expect(nav_link).to_be_hidden()
    page.get_by_role("button", name="展开导航").click()
    expect(nav_link).to_be_visible()
    # Nothing overflows the phone's width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    context.close()
