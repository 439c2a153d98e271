"""Real document shapes in the browser (issue 13): a plan pasted without its line breaks shows its tasks with units in
the preview; a Word 测评体系 with a title line and merged cells is mapped, one column changed, confirmed, and shown."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from evaluation.models import Criterion, EvaluationSystem
from tests.browser.test_campaigns import _sign_in
from tests.conftest import build_world
from tests.evaluation.test_published import word_table

ARTIFACTS = Path(__file__).parent / "artifacts"
SHAPES = Path(__file__).resolve().parent.parent / "fixtures" / "shapes"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_plan_without_line_breaks_shows_its_tasks_with_units(browser: Browser, live_server):
    build_world()
    requests: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = _sign_in(browser, live_server, "a_office", {"width": 1440, "height": 900}, requests)
    page.goto(f"{live_server.url}/campaigns/import/")
    page.get_by_label("粘贴方案全文").fill((SHAPES / "oneline.txt").read_text(encoding="utf-8"))
    page.get_by_role("button", name="识别并预览").click()
    expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
    expect(page.get_by_text("识别出 5 条任务")).to_be_visible()
    tasks = page.get_by_test_id("preview-tasks")
    expect(tasks).to_contain_text("原文：党群服务中心、综合办")
    expect(tasks).to_contain_text("原文：各网格(小区)")
    expect(tasks).to_contain_text("原文：平安办")
    expect(tasks).to_contain_text("原文：物业公司、警务室")
    expect(tasks.locator("input[value='上午8:30举行升旗仪式']")).to_have_count(1)
    expect(page.locator("tr[data-no-units]")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "real-documents-oneline-preview.png"), full_page=True)
    context.close()
    assert all(live_server.url in url or url.startswith("data:") for url in requests)


def test_a_word_system_is_mapped_confirmed_and_shown(browser: Browser, live_server, tmp_path):
    build_world()
    requests: list[str] = []
    path = tmp_path / "某区测评细则.docx"
    path.write_bytes(word_table())
    context, page = _sign_in(browser, live_server, "a_office", {"width": 1440, "height": 900}, requests)
    page.goto(f"{live_server.url}/evaluation/systems/import/")
    page.get_by_test_id("published-link").click()
    page.get_by_label("测评体系原表（.xlsx 或 .docx）").set_input_files(str(path))
    page.get_by_role("button", name="上传并识别").click()
    tree = page.get_by_test_id("published-tree")
    expect(tree).to_contain_text("志愿者注册率达到在职职工的20%")
    expect(page.get_by_test_id("published-counts")).to_contain_text("测评标准 3 条")
    # The 扣分说明 column is not wanted: map it to nothing and read again.
    page.get_by_test_id("map-3").select_option("")
    page.get_by_role("button", name="按所选对应重新识别").click()
    expect(page.get_by_test_id("map-3")).to_have_value("")
    expect(tree).not_to_contain_text("每低1个百分点扣0.1分")
    page.screenshot(path=str(ARTIFACTS / "real-documents-system-mapping.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("已导入测评体系")).to_be_visible()
    expect(page.get_by_text("志愿者注册率达到在职职工的20%")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "real-documents-system-tree.png"), full_page=True)
    context.close()
    system = EvaluationSystem.objects.get()
    assert system.name == "某区文明单位测评细则"
    assert sorted(Criterion.objects.filter(system=system).values_list("code", "scoring_rule")) == [
        ("Ⅶ-2-1", ""),
        ("Ⅶ-2-2", ""),
        ("Ⅷ-1-1", ""),
    ]
