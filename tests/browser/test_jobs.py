"""The 创建办 starts the annual ZIP from the ledger list as a background job, watches the bar reach 100 % on the
job's page (htmx polling, a real Celery worker on Redis) and downloads the file."""

from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, expect

from jobs.models import Job, JobStatus
from tests.conftest import SERVICE_NOTES, build_world
from tests.jobs.conftest import build_year

ARTIFACTS = Path(__file__).parent / "artifacts"
DOSSIERS = 150

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set (with CI=true the suite refuses to start)"),
]


def test_office_starts_the_annual_zip_watches_the_bar_and_downloads_it(browser: Browser, live_server, celery_worker):
    world = build_world()
    build_year(world, dossiers=DOSSIERS)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("a_office")
    page.get_by_label("密码").fill("Passw0rd!")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()

    page.goto(f"{live_server.url}/ledger/?year=2026")
    page.get_by_role("button", name="生成2026年度档案包（ZIP）").click()
    expect(page.get_by_test_id("job-title")).to_have_text("甲单位-2026年度台账档案")
    job = Job.objects.get()
    assert job.kind == "ledger_zip" and job.started_by == world.user("a_office")

    # Watch the bar: its width and label follow the job row, polled every 2 s, until it reads 100%.
    bar = page.get_by_test_id("job-progress")
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = bar.inner_text()
        if not seen or seen[-1] != text:
            seen.append(text)
        if text == "100%":
            break
        page.wait_for_timeout(200)
    assert seen[-1] == "100%", seen
    expect(page.get_by_test_id("job-status-label")).to_have_text("已完成")
    width = bar.evaluate("el => el.style.width")
    assert width == "100%"
    page.screenshot(path=str(ARTIFACTS / "jobs-annual-zip-done.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_test_id("job-download").click()
    download = info.value
    assert download.suggested_filename == "甲单位-2026年度台账档案.zip"
    data = Path(download.path()).read_bytes()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 1
    assert hashlib.sha256(data).hexdigest() == job.result_sha256
    with zipfile.ZipFile(download.path()) as zf:
        assert zf.testzip() is None
        assert len([n for n in zf.namelist() if n.startswith("2026年/")]) == DOSSIERS

    # The job is listed under 后台任务 in the account menu.
    page.get_by_role("button", name="账号").click()
    page.get_by_role("link", name="后台任务", exact=True).click()
    expect(page.get_by_test_id(f"job-row-{job.pk}")).to_contain_text("已完成")
    assert not [m for m in console if "Content Security Policy" in m], console
    SERVICE_NOTES.append(f"jobs (browser): the bar read {' → '.join(seen)} for a ZIP of {DOSSIERS} dossiers")
    context.close()
