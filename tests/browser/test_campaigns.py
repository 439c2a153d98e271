"""创建办 imports the 生态环境局 plan on the page, corrects one unit, confirms and sees the tree;
then a 联络员 reports 50% on one of their department's tasks from 我的任务."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from campaigns.models import Campaign, ProgressReport, Task
from tests.conftest import build_world

ARTIFACTS = Path(__file__).parent / "artifacts"
ECOLOGY = Path(settings.BASE_DIR).parent / "shared" / "domain" / "plans" / "生态环境局-市级文明单位创建实施方案.txt"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server, username: str, viewport: dict, requests: list[str]):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page


def test_office_imports_plan_and_liaison_reports(browser: Browser, live_server):
    assert ECOLOGY.exists(), f"shared plan missing: {ECOLOGY}"
    world = build_world()
    requests: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)

    # 创建办: upload the plan, check the preview, correct one unit, confirm.
    context, page = _sign_in(browser, live_server, "a_office", {"width": 1440, "height": 900}, requests)
    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_role("link", name="导入方案").click()
    page.get_by_label("或上传 .txt / .docx 文件").set_input_files(str(ECOLOGY))
    page.get_by_role("button", name="识别并预览").click()
    expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
    expect(page.get_by_text("识别出 13 条任务、6 个阶段")).to_be_visible()
    phases = page.get_by_test_id("preview-phases")
    expect(phases.locator("input[name='p0-name']")).to_have_value("前期准备阶段")
    expect(phases.locator("input[name='p0-start']")).to_have_value("2020-04-01")
    expect(page.get_by_test_id("preview-leadership").get_by_label("姓名 1")).to_have_value("局党组书记、局长钱锋")
    # The plan names no unit for task 5 (志愿者服务): the office picks its department as the lead.
    row = page.get_by_test_id("preview-row-4")
    expect(row.locator("input[name='n4-title']")).to_have_value("开展志愿者服务活动")
    page.get_by_test_id("lead-4").select_option(f"org:{world.dept_a.pk}")
    page.get_by_test_id("coop-4").select_option(f"org:{world.affiliate_a.pk}")
    page.screenshot(path=str(ARTIFACTS / "campaigns-import-preview.png"), full_page=True)
    page.get_by_test_id("confirm-import").click()

    expect(page.get_by_text("方案已导入。")).to_be_visible()
    table = page.get_by_test_id("task-table")
    expect(table.locator("tbody tr")).to_have_count(13)
    volunteer_row = table.locator("tr", has_text="开展志愿者服务活动")
    expect(volunteer_row).to_contain_text("甲办公室")
    expect(volunteer_row).to_contain_text("甲同创单位")
    page.screenshot(path=str(ARTIFACTS / "campaigns-task-tree.png"), full_page=True)
    context.close()

    campaign = Campaign.objects.get()
    assert (campaign.start_year, campaign.end_year, campaign.phases.count()) == (2020, 2022, 6)
    task = Task.objects.get(campaign=campaign, title="开展志愿者服务活动")
    assert list(task.lead_units.all()) == [world.dept_a]

    # 联络员 of 甲办公室, on a phone: 我的任务 shows the task; report 50 % inline.
    context, page = _sign_in(browser, live_server, "a_liaison", {"width": 390, "height": 844}, requests)
    page.goto(f"{live_server.url}/campaigns/mine/")
    item = page.get_by_test_id(f"my-task-{task.pk}")
    expect(item).to_be_visible()
    expect(page.get_by_test_id("my-tasks").locator(".list-group-item")).to_have_count(1)
    form = page.get_by_test_id(f"report-form-{task.pk}")
    form.get_by_label("完成进度（%）").fill("50")
    form.get_by_label("进展情况").fill("已组建志愿服务队并开展两次活动")
    form.get_by_role("button", name="填报").click()
    expect(item.get_by_role("status")).to_have_text("已填报，当前进度 50%")
    page.screenshot(path=str(ARTIFACTS / "campaigns-liaison-report-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()

    task.refresh_from_db()
    assert task.progress == 50
    report = ProgressReport.objects.get(task=task)
    assert (report.percent, report.organization, report.author.username) == (50, world.dept_a, "a_liaison")
    foreign = [u for u in requests if not u.startswith(live_server.url) and not u.startswith("data:")]
    assert not foreign, f"requests left the live server: {foreign}"


def test_liaison_sees_inline_error_and_keeps_text(browser: Browser, live_server):
    """GIVEN a liaison on 我的任务 WHEN they report 150% THEN the Chinese error shows in place, the text is kept."""
    from tests.factories import CampaignFactory, TaskFactory

    world = build_world()
    task = TaskFactory(campaign=CampaignFactory(unit=world.unit_a), lead_units=[world.dept_a])
    requests: list[str] = []
    context, page = _sign_in(browser, live_server, "a_liaison", {"width": 360, "height": 740}, requests)
    page.goto(f"{live_server.url}/campaigns/mine/")
    form = page.get_by_test_id(f"report-form-{task.pk}")
    form.get_by_label("完成进度（%）").fill("150")
    form.get_by_label("进展情况").fill("说明文字不要丢")
    form.get_by_role("button", name="填报").click()
    form = page.get_by_test_id(f"report-form-{task.pk}")
    expect(form.get_by_text("进度不能大于 100。")).to_be_visible()
    expect(form.get_by_label("进展情况")).to_have_value("说明文字不要丢")
    assert ProgressReport.objects.count() == 0
    context.close()
