"""Issue 14, the 联络员's day on a phone and at the desk, then the 创建办's review:

工作台 → 建档 on a task card (2 taps, the task preselected) → three photos and the notice in the corridor → 提交,
asked once about what is missing → later at the desk the summary and the news link go into the submitted dossier →
the 创建办 sees them marked 新增; the task page lists the dossier with its completeness."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, expect

from campaigns.models import CampaignStatus
from ledger.models import Event, EventStatus, EvidenceFile, MediaReport
from tests.conftest import build_world
from tests.factories import CampaignFactory, TaskFactory
from tests.ledger import samples

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server, username: str, *, phone: bool):
    if phone:
        context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    else:
        context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page


def test_liaison_files_from_a_task_submits_in_the_corridor_and_finishes_at_the_desk(browser: Browser, live_server):
    world = build_world()
    year = timezone.localdate().year
    campaign = CampaignFactory(unit=world.unit_a, title=f"甲单位{year}年度文明单位创建", start_year=year, end_year=year)
    campaign.status = CampaignStatus.ACTIVE
    campaign.save(update_fields=["status"])
    heading = TaskFactory(campaign=campaign, number="一、", title="思想道德建设", order=1)
    task = TaskFactory(
        campaign=campaign,
        parent=heading,
        number="1.",
        title="开展文明交通志愿服务",
        order=2,
        lead_units=[world.dept_a],
        due_date=timezone.localdate() + datetime.timedelta(days=20),
    )
    TaskFactory(campaign=campaign, parent=heading, number="2.", title="评选身边好人", order=3)
    ARTIFACTS.mkdir(exist_ok=True)

    # --- In the corridor, on the phone: from the 工作台 to the dossier form in two taps. -------------------------
    context, page = _sign_in(browser, live_server, "a_liaison", phone=True)
    taps = 0

    def tap(target: Locator) -> None:
        nonlocal taps
        target.tap()
        taps += 1

    tap(page.get_by_test_id("todo").get_by_role("link", name="我的未完成任务"))
    tap(page.get_by_test_id(f"my-task-{task.pk}").get_by_role("link", name="建档"))
    expect(page.get_by_role("heading", name="新建活动档案")).to_be_visible()
    assert taps == 2
    tasks_select = page.get_by_label("关联任务")
    assert tasks_select.evaluate("s => Array.from(s.selectedOptions).map(o => o.value)") == [str(task.pk)]
    # The picker offers the department's task first and no section heading.
    groups = tasks_select.evaluate("s => Array.from(s.querySelectorAll('optgroup')).map(g => g.label)")
    assert groups == ["本部门的任务", "其他任务"]
    assert "思想道德建设" not in tasks_select.inner_text()
    page.screenshot(path=str(ARTIFACTS / "fit-ledger-phone-form-from-task.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form is {width}px wide on a {PHONE['width']}px phone"

    page.get_by_label("活动名称").fill("“文明交通我先行”志愿服务")
    page.get_by_label("类别").select_option(label="志愿服务")
    page.get_by_label("开始日期").fill(f"{year}-05-12")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("event-title")).to_have_text("“文明交通我先行”志愿服务")
    event = Event.objects.get()
    assert list(event.tasks.all()) == [task]

    page.get_by_label("材料类别").select_option(label="活动图片")
    page.locator("#upload-files").set_input_files(
        [
            {"name": f"现场{i}.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(800, 600), seed=70 + i)}
            for i in range(1, 4)
        ]
    )
    expect(page.locator("#slot-photo [data-testid=evidence-item]")).to_have_count(3)
    page.get_by_label("材料类别").select_option(label="方案通知")
    page.locator("#upload-files").set_input_files(
        {"name": "活动通知.pdf", "mimeType": "application/pdf", "buffer": samples.pdf("notice")}
    )
    expect(page.locator("#slot-plan [data-testid=evidence-item]")).to_have_count(1)

    # 提交 asks once what is missing; the answer submits.
    page.get_by_test_id("submit-button").tap()
    question = page.get_by_test_id("submit-confirm")
    expect(question).to_contain_text("尚缺：总结简报。仍要提交吗？")
    page.screenshot(path=str(ARTIFACTS / "fit-ledger-phone-submit-question.png"), full_page=True)
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT
    page.get_by_test_id("submit-confirm-button").tap()
    expect(page.get_by_test_id("status-badge").first).to_have_text("已提交")
    expect(page.get_by_test_id("submit-confirm")).to_have_count(0)
    context.close()

    # --- Later, at the desk: the summary and the news link go into the submitted dossier. ----------------------
    context, page = _sign_in(browser, live_server, "a_liaison", phone=False)
    page.goto(f"{live_server.url}/ledger/{event.pk}/")
    expect(page.get_by_test_id("submitted-note")).to_be_visible()
    page.get_by_label("材料类别").select_option(label="总结简报")
    page.locator("#upload-files").set_input_files(
        {"name": "活动总结.pdf", "mimeType": "application/pdf", "buffer": samples.pdf("summary")}
    )
    expect(page.locator("#slot-summary [data-testid=evidence-item]")).to_have_count(1)
    page.get_by_text("登记一篇媒体报道").click()
    page.locator("#id_outlet").fill("某市日报")
    page.locator("#id_date").fill(f"{year}-05-14")
    page.locator("#id_title").fill("志愿者街头劝导文明出行")
    page.locator("#id_url").fill("https://example.com/news/2026/0514")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("媒体报道已登记。")).to_be_visible()
    expect(page.get_by_test_id("missing")).to_have_count(0)
    context.close()
    event.refresh_from_db()
    assert event.status == EventStatus.SUBMITTED and event.is_complete
    assert (
        EvidenceFile.objects.filter(event=event).count() == 5 and MediaReport.objects.filter(event=event).count() == 1
    )

    # --- The 创建办 reviews: the list says something is new, the dossier marks what. -----------------------------
    context, page = _sign_in(browser, live_server, "a_office", phone=False)
    page.goto(f"{live_server.url}/ledger/?status=submitted")
    row = page.get_by_test_id("event-table").locator("tr", has_text="“文明交通我先行”志愿服务")
    expect(row.get_by_test_id("additions-badge")).to_have_text("有新增")
    row.get_by_role("link", name="“文明交通我先行”志愿服务").click()
    expect(page.get_by_test_id("additions-summary")).to_contain_text("材料 1 份、媒体报道 1 篇")
    expect(page.locator("#slot-summary").get_by_test_id("new-badge")).to_have_text("新增")
    expect(page.locator("#slot-photo").get_by_test_id("new-badge")).to_have_count(0)
    expect(page.get_by_test_id("media-report").get_by_test_id("new-badge")).to_have_text("新增")
    page.screenshot(path=str(ARTIFACTS / "fit-ledger-desk-review-new.png"), full_page=True)

    # The task page lists the dossier with its completeness.
    page.goto(f"{live_server.url}/campaigns/tasks/{task.pk}/")
    dossiers = page.get_by_test_id("task-dossiers")
    expect(dossiers.get_by_test_id("task-dossier")).to_have_count(1)
    expect(dossiers.get_by_test_id("task-dossier")).to_contain_text("材料齐全")
    expect(dossiers.get_by_test_id("task-new-dossier")).to_have_text("建档")
    page.screenshot(path=str(ARTIFACTS / "fit-ledger-task-dossiers.png"), full_page=True)

    # The annual export buttons are there without choosing a campaign first.
    page.goto(f"{live_server.url}/ledger/")
    expect(page.get_by_role("button", name=f"生成{year}年度台账（Excel）")).to_be_visible()
    context.close()
