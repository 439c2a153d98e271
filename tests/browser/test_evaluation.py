"""创建办 scores three criteria of a round, turns one into a rectification item, sees the totals move."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from evaluation.models import RectificationItem, Score
from evaluation.services import assessment_create, system_import
from evaluation.workbook import parse_workbook
from tests.conftest import build_world
from tests.evaluation.workbooks import make_workbook
from tests.factories import CampaignFactory

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    [
        "1",
        "组织领导",
        10,
        "1.1",
        "领导机制",
        10,
        "1.1.1",
        "领导班子每年研究创建工作2次",
        4,
        "",
        "材料审核",
        "提供2次班子会议纪要",
    ],
    ["1", "组织领导", 10, "1.1", "领导机制", 10, "1.1.2", "开展核心价值观宣传教育", 3, "等级", "问卷调查", ""],
    ["1", "组织领导", 10, "1.1", "领导机制", 10, "1.1.3", "制定年度实施方案", 3, "是否", "材料审核", ""],
]


def test_office_scores_three_criteria_and_rectifies_one(browser: Browser, live_server):
    world = build_world()
    parsed = parse_workbook(make_workbook(ROWS, info={"名称": "浏览器测试体系", "加分上限": 3}))
    system = system_import(parsed=parsed)
    campaign = CampaignFactory(unit=world.unit_a, title="2026年度甲单位文明单位创建")
    assessment = assessment_create(campaign=campaign, system=system, name="第一轮自查")
    requests: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_office")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/evaluation/")
    page.get_by_role("link", name="甲单位 · 2026年度甲单位文明单位创建").click()
    page.get_by_role("link", name="第一轮自查").click()
    total = page.get_by_test_id("total-score")
    expect(total).to_have_text("0")

    # 1. points: 2.5 of 4 (a 0.5 step)
    row = page.get_by_test_id("row-1.1.1")
    row.get_by_label("1.1.1 得分").fill("2.5")
    row.get_by_label("1.1.1 说明").fill("只有1次班子会议纪要")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("value-1.1.1")).to_have_text("2.5")
    expect(total).to_have_text("2.5")

    # 2. grade B of 3 points = 66 % → 1.98
    row = page.get_by_test_id("row-1.1.2")
    row.get_by_label("1.1.2 等级").select_option("B")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("value-1.1.2")).to_have_text("1.98")
    expect(total).to_have_text("4.48")

    # 3. yes/no: yes → full 3 points
    row = page.get_by_test_id("row-1.1.3")
    row.get_by_label("1.1.3 是否达标").select_option("1")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("value-1.1.3")).to_have_text("3")
    expect(total).to_have_text("7.48")
    expect(page.get_by_test_id("total-percent")).to_have_text("74.8%")
    expect(page.locator("#ind-total-" + str(system.items.get().indicators.get().pk))).to_have_text("7.48 / 10（74.8%）")

    # A wrong step is refused next to the field, and what was typed stays.
    row = page.get_by_test_id("row-1.1.1")
    row.get_by_label("1.1.1 得分").fill("2.3")
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("row-1.1.1").get_by_role("alert")).to_contain_text("0.5 分为单位")
    expect(page.get_by_test_id("row-1.1.1").get_by_label("1.1.1 得分")).to_have_value("2.3")
    expect(total).to_have_text("7.48")

    # Lost points on 1.1.1 become a rectification item in one click.
    page.get_by_test_id("row-1.1.1").get_by_role("button", name="转整改").click()
    expect(page.get_by_test_id("row-1.1.1").get_by_role("link", name="已列入整改")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "evaluation-round.png"), full_page=True)
    page.get_by_test_id("row-1.1.1").get_by_role("link", name="已列入整改").click()
    expect(page.get_by_role("heading", name="整改清单")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("只有1次班子会议纪要")
    expect(page.get_by_role("table")).to_contain_text("1.5")
    page.screenshot(path=str(ARTIFACTS / "evaluation-rectifications.png"), full_page=True)
    context.close()

    # On a 360 px phone the page does not overflow sideways (the table scrolls inside its box).
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_leader")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/evaluation/rounds/{assessment.pk}/")
    expect(page.get_by_test_id("total-score")).to_have_text("7.48")
    expect(page.get_by_role("button", name="保存")).to_have_count(0)  # 领导 reads only
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "evaluation-round-phone.png"), full_page=True)
    context.close()

    assert Score.objects.filter(assessment=assessment).count() == 3
    item = RectificationItem.objects.get()
    assert str(item.points_lost) == "1.50" and item.criterion.code == "1.1.1"
    assert all(url.startswith(live_server.url) for url in requests), {
        u for u in requests if not u.startswith(live_server.url)
    }
