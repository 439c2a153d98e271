"""On a phone, a 联络员 opens a dossier, uploads 3 photos and a PDF plan (progress shown), submits and sees the
completeness badge; the 创建办 sends it back with a reason; the 联络员 sees why."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from ledger.models import Event, EventStatus, EvidenceFile
from tests.conftest import build_world
from tests.factories import CampaignFactory
from tests.ledger import samples

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser: Browser, live_server, username: str, requests: list[str]):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return context, page


def test_liaison_files_a_dossier_on_a_phone_and_office_sends_it_back(browser: Browser, live_server):
    world = build_world()
    CampaignFactory(unit=world.unit_a, title="甲单位2026年度文明单位创建")
    requests: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)

    context, page = _sign_in(browser, live_server, "a_liaison", requests)
    page.goto(f"{live_server.url}/ledger/")
    page.get_by_role("link", name="新建档案").click()
    page.get_by_label("活动名称").fill("“文明交通我先行”志愿服务活动")
    page.get_by_label("类别").select_option(label="志愿服务")
    page.get_by_label("开始日期").fill("2026-05-12")
    page.get_by_label("地点").fill("人民路与解放路交叉口")
    page.get_by_label("参加人数").fill("25")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("event-title")).to_have_text("“文明交通我先行”志愿服务活动")

    # Three photos at once: one bar per file.
    page.get_by_label("材料类别").select_option(label="活动图片")
    photos = [
        {"name": f"现场{i}.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg(size=(800, 600), seed=i)}
        for i in range(1, 4)
    ]
    page.locator("#upload-files").set_input_files(photos)
    expect(page.get_by_test_id("upload-progress")).to_have_count(3)
    expect(page.locator("#ledger-progress .progress-bar").first).to_have_text("100%")
    page.screenshot(path=str(ARTIFACTS / "ledger-phone-upload-progress.png"), full_page=True)
    expect(page.locator("#slot-photo [data-testid=evidence-item]")).to_have_count(3)

    page.get_by_label("材料类别").select_option(label="方案通知")
    page.locator("#upload-files").set_input_files(
        {"name": "活动方案.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()}
    )
    expect(page.get_by_test_id("upload-progress")).to_have_count(1)
    expect(page.locator("#slot-plan [data-testid=evidence-item]")).to_have_count(1)
    expect(page.locator("#slot-plan")).to_contain_text("活动方案.pdf")

    page.get_by_test_id("submit-button").click()
    # Incomplete: asked once, then submitted anyway.
    expect(page.get_by_test_id("submit-confirm")).to_contain_text("尚缺：")
    page.get_by_test_id("submit-confirm-button").click()
    expect(page.get_by_text("档案已提交。")).to_be_visible()
    expect(page.get_by_test_id("status-badge").first).to_have_text("已提交")
    expect(page.get_by_test_id("archive-number")).to_have_text("2026-t-a-0001")
    expect(page.get_by_test_id("completeness-badge").first).to_have_text("材料不全")
    expect(page.get_by_test_id("missing")).to_contain_text("总结简报")
    page.screenshot(path=str(ARTIFACTS / "ledger-phone-submitted.png"), full_page=True)
    event = Event.objects.get()
    assert event.status == EventStatus.SUBMITTED
    assert EvidenceFile.objects.filter(event=event).count() == 4

    # The 创建办 sends it back with a reason.
    office_context, office = _sign_in(browser, live_server, "a_office", requests)
    office.goto(f"{live_server.url}/ledger/{event.pk}/")
    office.get_by_role("button", name="退回").click()
    office.get_by_label("退回原因（联络员可见）").fill("缺少活动总结，请补充后重新提交。")
    office.get_by_test_id("return-submit").click()
    expect(office.get_by_text("已退回。")).to_be_visible()
    office_context.close()

    # The 联络员 sees why, in the list and on the dossier.
    page.goto(f"{live_server.url}/ledger/")
    expect(page.get_by_test_id("event-table")).to_contain_text("退回")
    page.get_by_role("link", name="“文明交通我先行”志愿服务活动").click()
    expect(page.get_by_test_id("return-reason")).to_contain_text("缺少活动总结，请补充后重新提交。")
    page.screenshot(path=str(ARTIFACTS / "ledger-phone-returned.png"), full_page=True)
    context.close()

    assert requests and all(url.startswith(live_server.url) for url in requests), {
        u for u in requests if not u.startswith(live_server.url)
    }
