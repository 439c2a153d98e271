"""Phones at 360–390 px: the task tree is cards, the organisation page fits, and 逾期任务 opens the overdue tasks.

Screenshots go to tests/browser/artifacts/ (phone-*.png).
"""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from campaigns.models import TaskStatus
from organizations.models import Role
from tests.conftest import build_world
from tests.factories import CampaignFactory, MembershipFactory, TaskFactory, UserFactory

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "组织开展“文明交通我先行”“光盘行动”等系列主题志愿服务活动并在单位门户网站及时发布活动信息"


def _sign_in(browser: Browser, live_server, username: str, width: int) -> tuple:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page


def _fits(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")


def _on_screen(page: Page, locator) -> None:
    """The element is shown and lies wholly inside the viewport's width (nothing off to the right)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (box, width)


def _tree(world):
    today = timezone.localdate()
    campaign = CampaignFactory(unit=world.unit_a, start_year=today.year, end_year=today.year)
    heading = TaskFactory(campaign=campaign, number="一、", title="健全创建工作机制")
    late = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="1.",
        title=LONG_TITLE,
        lead_units=[world.dept_a],
        cooperating_units=[world.affiliate_a, world.unit_a],
        due_date=today - datetime.timedelta(days=4),
    )
    soon = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="2.",
        title="每季度召开一次创建工作推进会",
        lead_units=[world.dept_a],
        due_date=today + datetime.timedelta(days=20),
        status=TaskStatus.DOING,
        progress=40,
    )
    done = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="3.",
        title="更新宣传栏",
        cooperating_units=[world.dept_a],
        due_date=today - datetime.timedelta(days=30),
        status=TaskStatus.DONE,
        progress=100,
    )
    return campaign, late, soon, done


@pytest.mark.parametrize("width", [360, 390])
def test_task_tree_is_cards_on_a_phone(browser: Browser, live_server, width: int):
    world = build_world()
    campaign, late, soon, _ = _tree(world)
    context, page = _sign_in(browser, live_server, "a_office", width)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/tasks/")
    table = page.get_by_test_id("task-table")
    expect(table.locator("thead")).to_be_hidden()
    card = table.locator("tr", has_text=LONG_TITLE)
    # Each task is a card: title, units, deadline and status all on screen, none in a column off to the right.
    _on_screen(page, card)
    _on_screen(page, card.get_by_role("link", name=LONG_TITLE))
    _on_screen(page, card.get_by_text("甲办公室"))
    _on_screen(page, card.get_by_text(f"{late.due_date.year}年{late.due_date.month}月{late.due_date.day}日"))
    _on_screen(page, card.locator(".badge", has_text="逾期"))
    _on_screen(page, table.locator("tr", has_text=soon.title).locator(".badge", has_text="进行中"))
    # The cards stack: the second task's card is below the first, not beside it.
    first, second = card.bounding_box(), table.locator("tr", has_text=soon.title).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1
    scroll, inner = _fits(page)
    assert scroll <= inner, f"the task list is {scroll}px wide on a {inner}px phone"
    page.screenshot(path=str(ARTIFACTS / f"phone-task-cards-{width}.png"), full_page=True)
    context.close()

    # At the desk it is still the table, one row per task with its column headings.
    context, page = _sign_in(browser, live_server, "a_office", 1440)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/tasks/")
    expect(page.get_by_test_id("task-table").locator("thead")).to_be_visible()
    row = page.get_by_test_id("task-table").locator("tr", has_text=soon.title).bounding_box()
    assert row["height"] < 60
    context.close()


def test_organisation_page_fits_a_360px_phone(browser: Browser, live_server):
    world = build_world()
    # A long account name and title: the people of a unit are cards, not a table wider than the phone.
    MembershipFactory(
        user=UserFactory(username="a_deputy_with_a_long_account_name", phone="13800138000"),
        organization=world.unit_a,
        role=Role.LEADER,
        title="党组副书记、副局长（分管文明创建工作）",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = _sign_in(browser, live_server, "a_admin", 360)
    for org in (world.unit_a, world.dept_a, world.affiliate_a):
        page.goto(f"{live_server.url}/orgs/{org.pk}/")
        expect(page.get_by_role("heading", name=org.name)).to_be_visible()
        scroll, inner = _fits(page)
        assert scroll <= inner, f"/orgs/{org.pk}/ is {scroll}px wide on a {inner}px phone"
    page.goto(f"{live_server.url}/orgs/{world.unit_a.pk}/")
    people = page.get_by_test_id("org-people")
    _on_screen(page, people.get_by_text("党组副书记、副局长（分管文明创建工作）"))
    _on_screen(
        page, people.locator("tr", has_text="a_deputy_with_a_long_account_name").get_by_role("button", name="撤销")
    )
    page.screenshot(path=str(ARTIFACTS / "phone-org-360.png"), full_page=True)
    context.close()


def test_overdue_card_opens_my_overdue_tasks(browser: Browser, live_server):
    world = build_world()
    _, late, soon, done = _tree(world)
    context, page = _sign_in(browser, live_server, "a_liaison", 390)
    card = page.get_by_test_id("todo-overdue")
    expect(card).to_contain_text("1")
    card.click()
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    assert "status=late" in page.url
    tasks = page.get_by_test_id("my-tasks")
    expect(tasks.get_by_test_id(f"my-task-{late.pk}")).to_be_visible()
    expect(tasks.get_by_test_id(f"my-task-{soon.pk}")).to_have_count(0)
    expect(tasks.get_by_test_id(f"my-task-{done.pk}")).to_have_count(0)
    # The filter shows what is applied, so the liaison can clear it.
    expect(page.get_by_label("状态")).to_have_value("late")
    scroll, inner = _fits(page)
    assert scroll <= inner
    page.screenshot(path=str(ARTIFACTS / "phone-my-overdue-390.png"), full_page=True)
    context.close()
