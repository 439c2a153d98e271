"""The upload script names the file-count limit in Chinese, whether it stops the batch itself or the server does."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from ledger.models import EvidenceFile
from tests.conftest import build_world
from tests.factories import CampaignFactory, EventFactory
from tests.ledger import samples

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MESSAGE = "一次最多上传 3 个文件，请分批上传。本批文件均未保存。"


def _notes(n: int) -> list[dict]:
    return [{"name": f"说明{i}.txt", "mimeType": "text/plain", "buffer": f"第 {i} 份\n".encode()} for i in range(n)]


def test_a_batch_over_the_limit_is_named_in_chinese_by_the_script_and_by_the_server(
    browser: Browser, live_server, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    world = build_world()
    event = EventFactory(campaign=CampaignFactory(unit=world.unit_a), organization=world.dept_a)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/upload/" in r.url else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_liaison")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    page.goto(f"{live_server.url}/ledger/{event.pk}/")

    # The script knows the limit and says so without sending anything.
    page.locator("#upload-files").set_input_files(_notes(4))
    expect(page.get_by_test_id("upload-error")).to_have_text(MESSAGE)
    assert posts == []

    # Without the script's own check, the server's answer is shown word for word.
    page.evaluate("document.getElementById('ledger-upload').setAttribute('data-max-files', '0')")
    with page.expect_response(lambda r: "/upload/" in r.url) as answer:
        page.locator("#upload-files").set_input_files(_notes(4))
    assert answer.value.status == 400
    expect(page.get_by_test_id("upload-error")).to_have_text(MESSAGE)
    assert len(posts) == 1

    # A refused file inside the limit: the checker's own message, word for word.
    with page.expect_response(lambda r: "/upload/" in r.url):
        page.locator("#upload-files").set_input_files(
            [{"name": "活动照片.jpg", "mimeType": "image/jpeg", "buffer": samples.HTML}]
        )
    expect(page.get_by_test_id("upload-error")).to_have_text(
        "“活动照片.jpg”未上传：不允许上传网页（HTML）文件。 本批文件均未保存。"
    )
    assert EvidenceFile.objects.count() == 0
    context.close()
