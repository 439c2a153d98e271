"""The four journeys of ../shared/JOURNEYS.md, walked end to end in Chromium on the demo world (`seed_demo`), as a
new user would after `make run`: the 创建办 at a desk, the 联络员 on a phone, the 领导 at a desk and in print, the
市文明办 at a desk. Each step leaves a screenshot in tests/browser/artifacts/journey-<who>-<n>-<step>.png.

The demo accounts are the README's (password Wenming@2026); numbers are read from the same world the page shows,
never written down here.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import zipfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from campaigns.models import Campaign, ProgressReport, TaskStatus
from campaigns.selectors import tasks_for_department
from dashboards.measures import unit_cockpit
from dashboards.models import Bulletin, Supervision
from evaluation.models import RectificationItem, SelfAssessment
from ledger.models import Event, EventStatus
from organizations.models import Organization, User
from tests.ledger import samples

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "Wenming@2026"
DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed_demo() -> None:
    # The photo checks of the demo's 300 photos are not part of any journey (they have their own tests).
    with override_settings(EVIDENCE_CHECKS_ON_UPLOAD=False):
        call_command("seed_demo", "--force", stdout=StringIO())
    ARTIFACTS.mkdir(exist_ok=True)


class Walk:
    """One person's browser: signs in through the real form, numbers the screenshots, collects page errors."""

    def __init__(self, browser: Browser, live_server, who: str, username: str, viewport: dict, *, phone=False):
        self.who, self.base, self.n = who, live_server.url, 0
        self.context = browser.new_context(
            viewport=viewport, locale="zh-CN", accept_downloads=True, is_mobile=phone, has_touch=phone
        )
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(f"{self.base}/accounts/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("heading", name="工作台")).to_be_visible()

    def shot(self, step: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(ARTIFACTS / f"journey-{self.who}-{self.n:02d}-{step}.png"), full_page=True)

    def fits(self) -> None:
        self.page.wait_for_load_state()
        scroll, inner = self.page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{self.page.url} is {scroll}px wide on a {inner}px screen"

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


# ------------------------------------------------------------------------------------------------
# 创建办, at the desk: the week's review, the overdue tasks for the meeting, and before inspection
# ------------------------------------------------------------------------------------------------
def test_journey_office_at_the_desk(browser: Browser, live_server):
    _seed_demo()
    campaign = Campaign.objects.get(unit__code="scjgj")
    w = Walk(browser, live_server, "office", "scjgj_office", DESK)
    page = w.page
    w.shot("workbench")

    # Every week: what was submitted; send back a dossier whose photos do not show the unit name.
    waiting = Event.objects.filter(campaign=campaign, status=EventStatus.SUBMITTED).count()
    assert waiting >= 1
    page.get_by_test_id("todo").get_by_role("link", name=re.compile("待审核档案")).click()
    expect(page).to_have_url(re.compile(r"/ledger/\?status=submitted"))
    dossier = Event.objects.filter(campaign=campaign, status=EventStatus.SUBMITTED).order_by("-start_date").first()
    page.get_by_role("link", name=dossier.title).first.click()
    w.shot("dossier-to-review")
    page.get_by_role("button", name="退回").click()
    page.get_by_label("退回原因（联络员可见）").fill("活动图片看不出单位名称，请补充带单位横幅的现场照片后重新提交。")
    page.get_by_test_id("return-submit").click()
    expect(page.get_by_test_id("return-reason")).to_contain_text("看不出单位名称")
    dossier.refresh_from_db()
    assert dossier.status == EventStatus.RETURNED

    # Who owns a late task: the office assigns a person to it (a 联络员 of the lead department).
    today = timezone.localdate()
    late = campaign.tasks.filter(children__isnull=True, due_date__lt=today).exclude(status=TaskStatus.DONE)
    owned = late.filter(lead_units__isnull=False).order_by("due_date", "order").first()
    owner = User.objects.filter(memberships__organization__in=owned.lead_units.all()).order_by("username").first()
    page.goto(f"{w.base}/campaigns/tasks/{owned.pk}/edit/")
    page.get_by_label("责任人").select_option(str(owner.pk))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()

    # Overdue tasks and who owns them, then the list for the weekly meeting (the export follows the filter).
    page.get_by_role("link", name="创建方案与任务").click()
    page.get_by_role("link", name=campaign.title).first.click()
    page.get_by_role("link", name="任务分解", exact=True).click()
    page.get_by_label("状态").select_option("late")
    page.get_by_role("button", name="筛选").click()
    table = page.get_by_test_id("task-table")
    expect(table.locator("tbody tr")).to_have_count(late.count())
    expect(table.locator("thead")).to_contain_text("责任人")
    expect(table.locator("tr", has_text=owned.title).get_by_test_id("task-people")).to_have_text(owner.display_name)
    w.shot("overdue-tasks")
    with page.expect_download() as info:
        page.get_by_test_id("task-export").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "organizations.User" not in text and owner.display_name in text
    for task in late:
        assert task.title in text
    for task in campaign.tasks.filter(children__isnull=True, status=TaskStatus.DONE):
        assert task.title not in text, "the export ignored the filter on screen"

    # Nudge the owner of one late task.
    task = late.order_by("due_date", "order").first()
    page.goto(f"{w.base}/campaigns/tasks/{task.pk}/")
    page.get_by_label("催办说明").fill("请本周内完成并填报进展")
    page.get_by_test_id("urge-button").click()
    expect(page.get_by_test_id("urge-history")).to_contain_text("请本周内完成并填报进展")
    w.shot("urged")

    # Before inspection: the open round, criterion by criterion with the evidence beside it; every lost point into
    # the 整改清单 in at most 3 clicks.
    round_ = SelfAssessment.objects.get(campaign=campaign, locked_at__isnull=True)
    page.get_by_role("link", name="测评", exact=True).click()
    page.get_by_role("link", name=campaign.title).first.click()
    expect(page.get_by_test_id(f"round-percent-{round_.pk}")).to_be_visible()
    w.shot("evaluation-overview")
    before = RectificationItem.objects.filter(assessment=round_).count()
    clicks = 0
    page.get_by_role("link", name=round_.name).click()
    clicks += 1
    w.shot("round")
    page.get_by_role("button", name="全部失分项转整改").click()
    clicks += 1
    expect(page.get_by_role("heading", name="失分项转整改")).to_be_visible()
    w.shot("rectify-confirm")
    page.get_by_role("button", name="确认", exact=True).click()
    clicks += 1
    assert clicks <= 3
    expect(page.get_by_role("heading", name="整改清单")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text(round_.name)
    assert RectificationItem.objects.filter(assessment=round_).count() > before
    w.shot("rectifications")
    # How the open round compares with the first (later minus earlier).
    page.goto(f"{w.base}/evaluation/rounds/{round_.pk}/")
    page.get_by_role("link", name="与其他轮次对比").click()
    expect(page.get_by_role("heading", name="轮次对比")).to_be_visible()
    expect(page.get_by_test_id("total-change")).not_to_be_empty()
    w.shot("round-compare")

    # The year's 台账 workbook and the ZIP of originals for the inspectors' USB stick.
    year = today.year
    page.get_by_role("link", name="台账", exact=True).click()
    page.get_by_role("button", name=f"生成{year}年度台账（Excel）").click()
    expect(page.get_by_test_id("job-status-label")).to_have_text("已完成", timeout=60_000)
    with page.expect_download() as info:
        page.get_by_test_id("job-download").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "任务完成情况" in book.sheetnames
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert not [c for c in cells if "organizations.User" in c]
    w.shot("workbook-job")
    page.get_by_role("link", name="台账", exact=True).click()
    page.get_by_role("button", name=f"生成{year}年度档案包（ZIP）").click()
    expect(page.get_by_test_id("job-status-label")).to_have_text("已完成", timeout=120_000)
    with page.expect_download() as info:
        page.get_by_test_id("job-download").click()
    with zipfile.ZipFile(info.value.path()) as zf:
        names = zf.namelist()
    assert names and not [n for n in names if "未编号" in n], "drafts and returned dossiers went to the inspectors"
    w.shot("zip-job")

    # Start of the next cycle: the approved plan pasted again is recognised, and updates the campaign (never a
    # second identical one).
    page.goto(f"{w.base}/campaigns/import/")
    page.get_by_label("粘贴方案全文").fill(campaign.plan_text)
    page.get_by_role("button", name="识别并预览").click()
    expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
    expect(page.get_by_test_id("same-plan")).to_contain_text(campaign.title)
    expect(page.get_by_label("更新已有创建活动")).to_be_checked()
    w.shot("plan-preview-same")
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_text("已更新创建活动")).to_be_visible()
    assert Campaign.objects.filter(unit=campaign.unit).count() == 1
    w.shot("plan-updated")
    w.close()


# ------------------------------------------------------------------------------------------------
# 联络员, on the phone in the corridor, then at the desk
# ------------------------------------------------------------------------------------------------
def test_journey_liaison_on_a_phone(browser: Browser, live_server):
    _seed_demo()
    liaison = User.objects.get(username="scjgj_liaison2")
    mine = tasks_for_department(liaison).filter(children__isnull=True)
    today = timezone.localdate()
    task = mine.exclude(status=TaskStatus.DONE).order_by("due_date", "order").first()
    w = Walk(browser, live_server, "liaison", "scjgj_liaison2", PHONE, phone=True)
    page = w.page
    w.fits()
    w.shot("workbench")

    # Right after the activity: from the 工作台 to a new dossier linked to one of my tasks in at most 2 taps.
    taps = 0
    page.get_by_test_id("todo").get_by_role("link", name=re.compile("我的未完成任务")).tap()
    taps += 1
    expect(page.get_by_role("heading", name="我的任务")).to_be_visible()
    w.fits()
    w.shot("my-tasks")
    page.get_by_test_id(f"my-task-{task.pk}").get_by_role("link", name="建档").tap()
    taps += 1
    expect(page.get_by_role("heading", name="新建活动档案")).to_be_visible()
    assert taps <= 2
    picked = page.get_by_label("关联任务").evaluate("s => Array.from(s.selectedOptions).map(o => o.value)")
    assert picked == [str(task.pk)]
    w.fits()
    title = "“诚信经营”进市场宣传活动"
    page.get_by_label("活动名称").fill(title)
    page.get_by_label("类别").select_option(label="宣传")
    page.get_by_label("开始日期").fill(today.isoformat())
    w.shot("dossier-form")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("event-title")).to_have_text(title)
    event = Event.objects.get(title=title)
    assert list(event.tasks.all()) == [task]

    # Three photos, the notice and the sign-in sheet; then 提交, asked once about what is missing.
    page.get_by_label("材料类别").select_option(label="活动图片")
    page.locator("#upload-files").set_input_files(
        [
            {"name": f"现场{i}.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(800, 600), seed=90 + i)}
            for i in range(1, 4)
        ]
    )
    expect(page.locator("#slot-photo [data-testid=evidence-item]")).to_have_count(3)
    page.get_by_label("材料类别").select_option(label="方案通知")
    page.locator("#upload-files").set_input_files(
        {"name": "活动通知.pdf", "mimeType": "application/pdf", "buffer": samples.pdf("notice")}
    )
    expect(page.locator("#slot-plan [data-testid=evidence-item]")).to_have_count(1)
    page.get_by_label("材料类别").select_option(label="签到表")
    page.locator("#upload-files").set_input_files(
        {"name": "签到表.pdf", "mimeType": "application/pdf", "buffer": samples.pdf("sign-in")}
    )
    expect(page.locator("#slot-signin [data-testid=evidence-item]")).to_have_count(1)
    # What is still missing, at a glance.
    expect(page.get_by_test_id("missing")).to_contain_text("总结简报")
    w.fits()
    w.shot("dossier-files")
    page.get_by_test_id("submit-button").tap()
    expect(page.get_by_test_id("submit-confirm")).to_contain_text("尚缺：总结简报。仍要提交吗？")
    page.get_by_test_id("submit-confirm-button").tap()
    expect(page.get_by_test_id("status-badge").first).to_have_text("已提交")
    w.shot("submitted")

    # When reminded: the overdue tasks, one line of progress.
    page.get_by_role("button", name="展开导航").tap()
    page.get_by_role("link", name="工作台").tap()
    overdue = (
        mine.exclude(status=TaskStatus.DONE).filter(due_date__lt=today).order_by("due_date", "campaign_id", "order")
    )
    assert overdue.exists()
    page.get_by_test_id("todo-overdue").tap()
    expect(page).to_have_url(re.compile(r"/campaigns/mine/\?status=late"))
    cards = page.get_by_test_id("my-tasks").locator("[data-testid^=my-task-]")
    expect(cards).to_have_count(overdue.count())
    late = overdue.first()
    form = page.get_by_test_id(f"report-form-{late.pk}")
    form.get_by_label("完成进度（%）").fill("80")
    form.get_by_label("进展情况").fill("已完成主体工作，本周内补齐材料")
    form.get_by_role("button", name="填报").tap()
    expect(page.get_by_test_id(f"progress-{late.pk}")).to_have_text("80%")
    assert ProgressReport.objects.filter(task=late, text="已完成主体工作，本周内补齐材料").exists()
    w.fits()
    w.shot("progress-reported")
    w.close()

    # Later at the desk: the summary and the news link go into the submitted dossier.
    w = Walk(browser, live_server, "liaison", "scjgj_liaison2", DESK)
    w.n = 10
    page = w.page
    page.goto(f"{w.base}/ledger/{event.pk}/")
    expect(page.get_by_test_id("submitted-note")).to_be_visible()
    page.get_by_label("材料类别").select_option(label="总结简报")
    page.locator("#upload-files").set_input_files(
        {"name": "活动总结.pdf", "mimeType": "application/pdf", "buffer": samples.pdf("summary")}
    )
    expect(page.locator("#slot-summary [data-testid=evidence-item]")).to_have_count(1)
    page.get_by_text("登记一篇媒体报道").click()
    page.locator("#id_outlet").fill("某市日报")
    page.locator("#id_date").fill(today.isoformat())
    page.locator("#id_title").fill("市场监管局走进农贸市场宣传诚信经营")
    page.locator("#id_url").fill("https://example.com/news/market")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("媒体报道已登记。")).to_be_visible()
    expect(page.get_by_test_id("missing")).to_have_count(0)
    w.shot("desk-additions")
    # The task page lists the dossier with its completeness.
    page.goto(f"{w.base}/campaigns/tasks/{task.pk}/")
    expect(page.get_by_test_id("task-dossiers").get_by_test_id("task-dossier").filter(has_text=title)).to_be_visible()
    w.shot("task-dossiers")
    w.close()
    event.refresh_from_db()
    assert event.status == EventStatus.SUBMITTED and event.is_complete

    # The 创建办 sees what came after submission marked as new, and files the dossier.
    w = Walk(browser, live_server, "liaison-office", "scjgj_office", DESK)
    page = w.page
    page.goto(f"{w.base}/ledger/{event.pk}/")
    expect(page.get_by_test_id("additions-summary")).to_contain_text("提交后新增")
    expect(page.get_by_test_id("additions-summary")).to_contain_text("媒体报道 1 篇")
    w.shot("review-new")
    page.get_by_role("button", name="审核通过并归档").click()
    expect(page.get_by_test_id("status-badge").first).to_have_text("已归档")
    w.close()


# ------------------------------------------------------------------------------------------------
# 领导, at the desk and on paper
# ------------------------------------------------------------------------------------------------
def test_journey_leader_at_the_desk_and_in_print(browser: Browser, live_server):
    _seed_demo()
    unit = Organization.objects.get(code="scjgj")
    numbers = unit_cockpit(unit)
    campaign = numbers.campaign
    assert numbers.tasks_overdue > 0
    w = Walk(browser, live_server, "leader", "scjgj_leader", DESK)
    page = w.page

    # The 工作台 says where the campaign stands, not only who I am.
    progress = page.get_by_test_id("leader-progress")
    expect(progress.get_by_test_id("progress-tasks")).to_contain_text(f"{numbers.tasks_done} / {numbers.tasks_total}")
    expect(progress.get_by_test_id("progress-overdue")).to_contain_text(f"{numbers.tasks_overdue} 项")
    expect(progress.get_by_test_id("progress-dossiers")).to_contain_text(f"{numbers.dossiers} 份")
    expect(progress.get_by_test_id("progress-rectifications")).to_contain_text(f"{numbers.rect_open} 项")
    assert numbers.latest_round is not None
    expect(progress.get_by_test_id("progress-self")).to_contain_text("%")
    w.shot("workbench")

    # A number is a link: the late tasks.
    progress.get_by_test_id("progress-overdue").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/{campaign.pk}/tasks/\?status=late"))
    expect(page.get_by_test_id("task-table").locator("tbody tr")).to_have_count(numbers.tasks_overdue)
    w.shot("late-tasks")
    # Which departments are behind: each opens its own late tasks.
    page.get_by_role("link", name="工作台").click()
    behind = numbers.overdue_departments[0]
    page.get_by_test_id("progress-behind").get_by_role("link", name=re.compile(re.escape(behind.name))).click()
    expect(page).to_have_url(re.compile(rf"lead={behind.organization_id}&status=late"))
    expect(page.get_by_test_id("task-table").locator("tbody tr")).to_have_count(behind.late)

    # The 驾驶舱 for the meeting's projector.
    page.get_by_role("link", name="工作台").click()
    page.get_by_role("link", name="打开驾驶舱").click()
    expect(page.get_by_role("heading", name=re.compile("驾驶舱 · "))).to_be_visible()
    expect(page.locator("body[data-charts-ready='6']")).to_have_count(1)
    w.shot("cockpit")

    # The campaign overview on one A4 page, without the navigation; a leader never edits.
    page.get_by_role("link", name="工作台").click()
    page.get_by_test_id("leader-progress").get_by_role("link", name=campaign.title).click()
    expect(page.get_by_test_id("campaign-stats")).to_be_visible()
    expect(page.get_by_role("link", name="编辑", exact=True)).to_have_count(0)
    w.shot("overview")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator(".nav-tabs")).to_be_hidden()
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (ARTIFACTS / "journey-leader-overview.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1, f"the overview prints on {len(reader.pages)} pages"
    # NFKC: pypdf gives some CJK glyphs as their compatibility forms (⽂ for 文).
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())
    assert "任务进展" in text and "实施阶段" in text
    assert "文明创建管理平台" not in text and "退出登录" not in text, "the navbar was printed"
    assert "提醒规则" not in text and "打印（A4" not in text, "the tabs and buttons were printed"
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert abs(width - 595) < 3 and abs(height - 842) < 3, (width, height)  # A4 portrait, in points
    page.emulate_media(media="screen")
    w.close()


# ------------------------------------------------------------------------------------------------
# 市文明办, at the desk: compare, look before a visit, supervise, publish the month
# ------------------------------------------------------------------------------------------------
def test_journey_city_office(browser: Browser, live_server):
    _seed_demo()
    units = list(Organization.objects.filter(code__in=["scjgj", "sthjj"]).order_by("code"))
    target = units[0]
    w = Walk(browser, live_server, "city", "city_office", DESK)
    page = w.page

    # Dynamic management: every unit on the same measures, sorted by who is sliding.
    page.get_by_role("link", name="动态管理").click()
    table = page.get_by_test_id("city-table")
    for unit in units:
        expect(table.locator(f"tr[data-unit='{unit.pk}']")).to_be_visible()
    page.locator("a[data-sort='tasks_overdue']").click()
    expect(page).to_have_url(re.compile(r"sort=tasks_overdue"))
    w.shot("city")

    # Before a site visit: the unit's ledger, read-only.
    page.get_by_test_id("city-table").locator(f"tr[data-unit='{target.pk}']").get_by_role("link", name="台账").click()
    expect(page).to_have_url(re.compile(rf"/ledger/\?organization={target.pk}"))
    expect(page.get_by_role("link", name="新建档案")).to_have_count(0)
    first = page.locator("tbody a[href^='/ledger/']").first
    title = first.inner_text()
    first.click()
    expect(page.get_by_test_id("event-title")).to_have_text(title)
    assert Event.objects.filter(title=title, organization__path__startswith=target.path).exists()
    expect(page.locator("#ledger-upload")).to_have_count(0)
    expect(page.get_by_test_id("submit-button")).to_have_count(0)
    w.shot("unit-dossier-read-only")

    # Supervision: a 督办单 with a deadline to the sliding unit.
    page.get_by_role("link", name="动态管理").click()
    page.get_by_test_id("city-table").locator(f"tr[data-unit='{target.pk}']").get_by_role("link", name="督办").click()
    page.get_by_label("督办指标（可选）").select_option("tasks_overdue")
    page.locator("input[name='tasks']").first.check()
    page.get_by_label("督办要求").fill("逾期任务较多，请说明原因并于期限内完成")
    deadline = timezone.localdate() + datetime.timedelta(days=7)
    page.get_by_label("答复期限").fill(deadline.isoformat())
    w.shot("supervision-form")
    page.get_by_role("button", name="下发并通知创建办").click()
    expect(page.get_by_test_id("supervision-status")).to_have_text("待答复")
    supervision_url = page.url
    assert Supervision.objects.filter(unit=target, deadline=deadline).count() == 1
    w.shot("supervision-issued")

    # The unit's 创建办 answers with its 情况说明; the office reads it.
    unit_office = Walk(browser, live_server, "city-unit", f"{target.code}_office", DESK)
    unit_office.page.goto(supervision_url)
    unit_office.page.get_by_label("情况说明").fill("已召开专题推进会，逾期任务本周内完成")
    unit_office.page.get_by_role("button", name="提交情况说明").click()
    expect(unit_office.page.get_by_test_id("supervision-status")).to_have_text("已答复")
    unit_office.shot("answered")
    unit_office.close()
    page.reload()
    expect(page.get_by_test_id("supervision-answer")).to_contain_text("已召开专题推进会")
    w.shot("answer-read")

    # Month end: the 月度通报 with frozen numbers, published for units and leaders.
    page.goto(f"{w.base}/bulletins/")
    page.get_by_label("通报说明").fill("本月各单位创建工作总体平稳，请逾期任务较多的单位抓紧整改。")
    page.get_by_role("button", name="编制（冻结该月数据）").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("草稿")
    expect(page.get_by_test_id("bulletin-table")).to_contain_text(target.name)
    w.shot("bulletin-draft")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="发布通报").click()
    expect(page.get_by_test_id("bulletin-status")).to_have_text("已发布")
    bulletin = Bulletin.objects.get()
    w.shot("bulletin-published")
    w.close()

    # The unit's leader reads it.
    leader = Walk(browser, live_server, "city-leader", f"{target.code}_leader", DESK)
    leader.page.goto(f"{leader.base}/bulletins/{bulletin.pk}/")
    expect(leader.page.get_by_test_id("bulletin-table")).to_contain_text(target.name)
    leader.shot("bulletin-read")
    leader.close()
