"""With the Content-Security-Policy enforced, the main page of every app loads in chromium without a single CSP
violation or console message; htmx still swaps (a progress report, a score), a refused htmx request shows the view's
reason, ECharts draws its canvas and its tooltip, confirm dialogs come from static/js/app.js."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from campaigns.models import ProgressReport
from evaluation.services import assessment_create, system_import
from evaluation.workbook import parse_workbook
from ledger.models import EvidenceFile
from tests.conftest import build_world
from tests.evaluation.workbooks import make_workbook
from tests.factories import (
    CampaignFactory,
    EventFactory,
    EvidenceFileFactory,
    PhaseFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    StaffCountFactory,
    TaskFactory,
    UserFactory,
    VolunteerFactory,
)
from volunteers.models import RecordStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["1", "组织领导", 10, "1.1", "领导机制", 10, "1.1.1", "领导班子每年研究创建工作2次", 4, "", "材料审核", ""],
    ["1", "组织领导", 10, "1.1", "领导机制", 10, "1.1.2", "制定年度实施方案", 6, "是否", "材料审核", ""],
]

# Collects what the page reports: every securitypolicyviolation event (init scripts are not subject to the CSP).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""


class Watch:
    def __init__(self) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.documents: list[tuple[str, str]] = []


def _context(browser: Browser, watch: Watch) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.add_init_script(WATCH)

    def on_page(page: Page) -> None:
        page.on("console", lambda m: watch.console.append(f"{m.type}: {m.text} @ {page.url}"))
        page.on("pageerror", lambda e: watch.errors.append(f"{e} @ {page.url}"))
        page.on(
            "response",
            lambda r: (
                watch.documents.append((r.url, r.headers.get("content-security-policy", "")))
                if r.request.resource_type == "document"
                else None
            ),
        )

    context.on("page", on_page)
    return context


def _sign_in(context: BrowserContext, live_server, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible(timeout=20_000)
    return page


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def _visit(page: Page, url: str, visited: dict[str, list[str]]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    page.wait_for_load_state("networkidle")
    visited[url] = _violations(page)


def test_every_app_loads_under_the_csp_without_a_violation(browser: Browser, live_server):
    world = build_world()
    year = timezone.localdate().year
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位创建活动", start_year=year, end_year=year)
    PhaseFactory(
        campaign=campaign, name="宣传发动阶段", start=datetime.date(year, 1, 1), end=datetime.date(year, 4, 30)
    )
    PhaseFactory(
        campaign=campaign, name="全面创建阶段", start=datetime.date(year, 5, 1), end=datetime.date(year, 12, 31)
    )
    parent = TaskFactory(campaign=campaign, number="一、", title="加强组织领导", lead_units=[world.unit_a])
    task = TaskFactory(campaign=campaign, parent=parent, number="1.", title="开展志愿服务", lead_units=[world.dept_a])
    other = TaskFactory(campaign=campaign, parent=parent, number="2.", title="整治环境卫生", lead_units=[world.dept_a])
    event = EventFactory(campaign=campaign, organization=world.unit_a, title="学雷锋志愿服务活动")
    evidence = EvidenceFileFactory(event=event)
    system = system_import(parsed=parse_workbook(make_workbook(ROWS, info={"名称": "浏览器测试体系", "加分上限": 3})))
    assessment = assessment_create(campaign=campaign, system=system, name="第一轮自查")
    StaffCountFactory(organization=world.unit_a, year=year, count=10)
    for month, name in ((3, "赵一"), (5, "钱二")):
        ServiceRecordFactory(
            volunteer=VolunteerFactory(organization=world.dept_a, name=name),
            activity=ServiceActivityFactory(organization=world.unit_a, date=datetime.date(year, month, 5)),
            hours=Decimal("3"),
            status=RecordStatus.CONFIRMED,
        )

    watch = Watch()
    context = _context(browser, watch)
    visited: dict[str, list[str]] = {}

    # 创建办: every app's main page, with the pages that carry scripts (upload, charts, htmx rows).
    page = _sign_in(context, live_server, "a_office")
    base = live_server.url
    for path in (
        "/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/tasks/",
        f"/campaigns/tasks/{task.pk}/",
        "/campaigns/mine/",
        "/ledger/",
        f"/ledger/{event.pk}/",
        "/evaluation/",
        f"/evaluation/rounds/{assessment.pk}/",
        "/volunteers/",
        "/volunteers/activities/",
        f"/volunteers/stats/?org={world.unit_a.pk}&year={year}",
        "/volunteers/confirm/",
        "/orgs/",
        f"/orgs/{world.unit_a.pk}/",
        "/accounts/password/",
        "/cockpit/",
    ):
        _visit(page, base + path, visited)
        if path == f"/campaigns/{campaign.pk}/":
            # The timeline's bars are placed by app.js from data-wm-* (no style attributes in the page).
            bars = page.locator("[data-testid=timeline] [data-wm-left][data-wm-width]")
            expect(bars).to_have_count(2)
            assert bars.nth(0).evaluate("e => e.style.width").endswith("%")
            assert bars.nth(1).evaluate("e => parseFloat(e.style.left)") > 20
        if path == f"/campaigns/{campaign.pk}/tasks/":
            row = page.locator("td[data-wm-indent]", has_text="开展志愿服务")
            assert row.evaluate("e => getComputedStyle(e).paddingLeft") != "0px"
        if path.startswith("/volunteers/stats/"):
            canvas = page.locator("#monthly-chart canvas")
            expect(canvas).to_have_count(1)
            # The tooltip is drawn on the canvas (richText), so hovering writes no style attribute.
            box = canvas.bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
            page.wait_for_timeout(300)
            expect(page.locator("#department-chart canvas")).to_have_count(1)
            visited[path + " (tooltip)"] = _violations(page)
        if path == f"/evaluation/rounds/{assessment.pk}/":
            # htmx: a score saved inline, the row and the totals swapped.
            row = page.get_by_test_id("row-1.1.1")
            row.get_by_label("1.1.1 得分").fill("2.5")
            with page.expect_request(lambda r: "/criteria/" in r.url and r.headers.get("hx-request") == "true"):
                row.get_by_role("button", name="保存").click()
            expect(page.get_by_test_id("value-1.1.1")).to_have_text("2.5")
            expect(page.get_by_test_id("total-score")).to_have_text("2.5")
            visited[path + " (htmx)"] = _violations(page)
        if path == f"/ledger/{event.pk}/":
            # data-confirm: dismissing the dialog keeps the file.
            expect(page.locator("input[type=file]").first).to_be_attached()
            page.once("dialog", lambda d: d.dismiss())
            page.locator("form[data-confirm='删除这个文件？'] button").first.click()
            page.wait_for_timeout(300)
            assert EvidenceFile.objects.filter(pk=evidence.pk).exists()
    context.close()

    # 联络员: htmx progress report swaps in place; a report on a task no longer theirs shows the view's reason.
    context = _context(browser, watch)
    page = _sign_in(context, live_server, "a_liaison")
    _visit(page, f"{base}/campaigns/tasks/{task.pk}/", visited)
    form = page.get_by_test_id(f"report-form-{task.pk}")
    form.get_by_label("完成进度（%）").fill("40")
    form.get_by_label("进展情况").fill("已开展两次志愿服务")
    with page.expect_request(lambda r: r.url.endswith(f"/tasks/{task.pk}/report/") and r.headers.get("hx-request")):
        form.get_by_role("button", name="填报").click()
    expect(page.get_by_text("已填报，当前进度 40%")).to_be_visible()
    expect(page.get_by_test_id("task-progress")).to_have_text("40%")  # the out-of-band swap
    assert ProgressReport.objects.filter(task=task).count() == 1
    _visit(page, f"{base}/campaigns/tasks/{other.pk}/", visited)
    other.lead_units.set([world.affiliate_a])  # meanwhile the office gives the task to another unit
    form = page.get_by_test_id(f"report-form-{other.pk}")
    form.get_by_label("完成进度（%）").fill("10")
    form.get_by_label("进展情况").fill("越权填报")
    form.get_by_role("button", name="填报").click()
    expect(page.get_by_test_id("request-error")).to_contain_text("您所在的部门不承担此任务，不能填报进展。")
    visited["liaison htmx 403"] = _violations(page)
    assert not ProgressReport.objects.filter(task=other).exists()

    # The error pages themselves.
    response = page.goto(f"{base}/campaigns/987654321/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    visited["404"] = _violations(page)
    context.close()

    # The system admin's pages (Django admin) under the same policy.
    UserFactory(username="root", is_staff=True, is_superuser=True)
    context = _context(browser, watch)
    page = _sign_in(context, live_server, "root")
    for path in (
        "/admin/",
        "/admin/organizations/organization/",
        f"/admin/organizations/organization/{world.unit_a.pk}/change/",
    ):
        _visit(page, base + path, visited)
    context.close()

    assert {url: v for url, v in visited.items() if v} == {}
    assert watch.errors == []
    # The 403/404 documents and the refused htmx request log their status; anything else is a problem.
    noise = [
        m
        for m in watch.console
        if "the server responded with a status of 40" not in m and "Response Status Error Code 403" not in m
    ]
    assert noise == [], "\n".join(noise)
    assert watch.documents and all("'nonce-" in csp and "object-src 'none'" in csp for _, csp in watch.documents)
