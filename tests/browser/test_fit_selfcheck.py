"""创建办 before inspection (issue 14, item 4): every lost point of a round into the 整改清单 in 3 clicks, never twice;
the round list shows totals; comparing from the newest round reads later minus earlier."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from evaluation.models import Criterion, RectificationItem
from evaluation.services import assessment_create, score_save, system_import
from evaluation.workbook import parse_workbook
from tests.conftest import build_world
from tests.evaluation.workbooks import make_workbook
from tests.factories import CampaignFactory, TaskFactory

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.1", "领导班子研究创建工作", 10],
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.2", "制定年度实施方案", 4],
    ["1", "组织领导", 20, "1.1", "领导机制", 20, "1.1.3", "建立创建工作台账", 6],
]


def test_office_turns_every_lost_point_into_rectification_in_three_clicks(browser: Browser, live_server):
    world = build_world()
    system = system_import(parsed=parse_workbook(make_workbook(ROWS, info={"名称": "浏览器自查体系"})))
    campaign = CampaignFactory(unit=world.unit_a, title="2026年度甲单位创建")
    crit = {c.code: c for c in Criterion.objects.filter(system=system)}
    crit["1.1.1"].tasks.add(TaskFactory(campaign=campaign, lead_units=[world.dept_a]))
    march = assessment_create(campaign=campaign, system=system, name="三月自查", date=datetime.date(2026, 3, 1))
    june = assessment_create(campaign=campaign, system=system, name="六月自查", date=datetime.date(2026, 6, 1))
    score_save(assessment=march, criterion=crit["1.1.1"], points="6")
    score_save(assessment=june, criterion=crit["1.1.1"], points="3", comment="上半年只研究一次")
    score_save(assessment=june, criterion=crit["1.1.2"], points="4")
    score_save(assessment=june, criterion=crit["1.1.3"], points="4.5")
    ARTIFACTS.mkdir(exist_ok=True)

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_office")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/evaluation/campaigns/{campaign.pk}/")
    # The round list shows each round's total and percent.
    expect(page.get_by_test_id(f"round-total-{june.pk}")).to_have_text("11.5 / 20")
    expect(page.get_by_test_id(f"round-percent-{june.pk}")).to_have_text("57.5%")
    expect(page.get_by_test_id(f"round-percent-{march.pk}")).to_have_text("30%")

    clicks = 0
    page.get_by_role("link", name="六月自查").click()
    clicks += 1
    page.get_by_role("button", name="全部失分项转整改").click()
    clicks += 1
    expect(page.get_by_role("heading", name="失分项转整改")).to_be_visible()
    expect(page.get_by_test_id("rectify-row-1.1.1")).to_contain_text("7")  # 失 7 分
    expect(page.get_by_test_id("rectify-row-1.1.3")).to_be_visible()
    expect(page.get_by_test_id("rectify-row-1.1.2")).to_have_count(0)
    expect(page.get_by_label("1.1.1 责任单位")).to_have_values([str(world.dept_a.pk)])
    default = timezone.localdate() + datetime.timedelta(days=30)
    expect(page.get_by_label("整改时限")).to_have_value(default.isoformat())
    page.screenshot(path=str(ARTIFACTS / "selfcheck-rectify-confirm.png"), full_page=True)
    page.get_by_role("button", name="确认", exact=True).click()
    clicks += 1
    assert clicks <= 3
    expect(page.get_by_role("heading", name="整改清单")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("六月自查")
    expect(table).to_contain_text("甲办公室")
    expect(table).to_contain_text("上半年只研究一次")
    page.screenshot(path=str(ARTIFACTS / "selfcheck-rectifications.png"), full_page=True)
    assert RectificationItem.objects.filter(assessment=june).count() == 2

    # Doing it again creates nothing new.
    page.goto(f"{live_server.url}/evaluation/rounds/{june.pk}/")
    expect(page.get_by_test_id("row-1.1.1").get_by_role("link", name="已列入整改")).to_be_visible()
    page.get_by_role("button", name="全部失分项转整改").click()
    expect(page.get_by_test_id("nothing-to-rectify")).to_contain_text("不会重复生成")
    assert RectificationItem.objects.count() == 2

    # Opened from the newest round, the fall from 6 to 3 reads -3.
    page.goto(f"{live_server.url}/evaluation/rounds/{june.pk}/")
    page.get_by_role("link", name="与其他轮次对比").click()
    expect(page.get_by_test_id("change-1.1.1")).to_have_text("-3")
    page.screenshot(path=str(ARTIFACTS / "selfcheck-compare.png"), full_page=True)
    context.close()


OWN_PLAN = (
    "2026年度甲单位文明单位创建方案\n一、主要任务\n"
    "（一）召开动员大会。全体干部职工参加，3月底前完成。（责任单位：甲办公室）\n"
    "（二）开展文明交通志愿服务。每月组织一次上路执勤。（责任单位：甲同创单位）\n"
    "二、实施步骤\n（一）动员部署阶段（2026.03-2026.04）\n（二）全面创建阶段（2026.05-2026.09）\n"
)


def test_office_imports_a_plan_with_searchable_pickers_and_the_same_plan_updates(browser: Browser, live_server):
    from campaigns.models import Campaign

    build_world()
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_office")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/campaigns/import/")
    page.get_by_label("粘贴方案全文").fill(OWN_PLAN)
    page.get_by_role("button", name="识别并预览").click()
    expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
    expect(page.get_by_test_id("source-0")).to_contain_text("全体干部职工参加")
    expect(page.get_by_test_id("phase-0")).to_have_value("0")  # 3月底 falls in 动员部署阶段
    expect(page.get_by_test_id("phase-1")).to_have_value("1")  # undated: the main phase
    lead = page.get_by_test_id("lead-0")
    expect(page.locator('[data-chosen-for="n0-lead"]')).to_have_text("已选：甲办公室")
    page.get_by_label("牵头单位 一、（一） 筛选").fill("同创")
    expect(lead.locator("option", has_text="乙")).to_have_count(0)  # only unit A's tree is offered
    expect(lead.locator("option:not([hidden])", has_text="甲同创单位")).to_have_count(1)
    expect(lead.locator("option[hidden]", has_text="甲单位")).to_have_count(1)  # filtered out
    lead.locator("option", has_text="甲同创单位").click()  # a click adds it, no Ctrl needed
    expect(page.locator('[data-chosen-for="n0-lead"]')).to_contain_text("甲同创单位")
    expect(page.locator('[data-chosen-for="n0-lead"]')).to_contain_text("甲办公室")
    page.screenshot(path=str(ARTIFACTS / "plan-preview-pickers.png"), full_page=True)
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_text("方案已导入")).to_be_visible()
    campaign = Campaign.objects.get()
    first = campaign.tasks.get(number="一、（一）")
    assert {u.name for u in first.lead_units.all()} == {"甲办公室", "甲同创单位"}
    assert first.phase.name == "动员部署阶段"

    # The same text again: a warning and an offer to update, and updating keeps the one campaign.
    page.goto(f"{live_server.url}/campaigns/import/")
    page.get_by_label("粘贴方案全文").fill(OWN_PLAN)
    page.get_by_role("button", name="识别并预览").click()
    expect(page.get_by_test_id("same-plan")).to_contain_text(campaign.title)
    expect(page.get_by_label("更新已有创建活动")).to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "plan-preview-same.png"), full_page=True)
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_text("已更新创建活动")).to_be_visible()
    assert Campaign.objects.count() == 1 and campaign.tasks.count() == 2
    assert campaign.tasks.get(pk=first.pk).lead_units.count() == 2
    context.close()
