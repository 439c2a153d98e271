"""The year-end archive PDF: embedded CJK fonts, a true 目录, photos really drawn, a fetcher that reads nothing else."""

from __future__ import annotations

import datetime
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from ledger import services
from ledger.archive import content as archive_content
from ledger.archive import render
from ledger.models import Event, EventStatus, Slot
from tests.factories import CampaignSystemFactory, CriterionFactory, EventFactory, IndicatorFactory, ItemFactory
from tests.factories.evaluation import EvaluationSystemFactory
from tests.jobs.conftest import broker, wait_for, worker_process  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[1] / "browser" / "artifacts"
COLOURS = {"red": (230, 20, 20), "green": (20, 200, 40), "blue": (20, 40, 230)}
HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel="stylesheet" href="http://169.254.169.254/"> '
    "<style>@import url(http://127.0.0.1:{port}/x.css);</style> }} @page {{ size: 10mm }} "
)


def _jpeg(colour: tuple[int, int, int], size=(1200, 900), seed: int = 0) -> bytes:
    img = Image.new("RGB", size, colour)
    img.putpixel((seed, 0), (seed % 256, 0, 0))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[306] = "2026:05:12 09:30:00"
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _archived(event: Event) -> Event:
    services.event_submit(event=event, actor=None)
    event.refresh_from_db()
    if event.status != EventStatus.ARCHIVED:
        services.event_archive(event=event, actor=None)
    event.refresh_from_db()
    return event


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_recorder():
    Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def archive_year(world, campaign_a, http_recorder):
    """Seven archived dossiers of 2026 (photos in strong colours, a PDF, a media screenshot, a hostile description),
    one draft (not archived: not printed) and one of 2025."""
    port = http_recorder.server_address[1]
    events = []
    for i in range(7):
        events.append(
            EventFactory(
                campaign=campaign_a,
                organization=world.dept_a if i % 2 else world.unit_a,
                start_date=datetime.date(2026, 1 + i, 3),
                category=["meeting", "study", "volunteer"][i % 3],
                title=f"文明实践活动第{i}场",
                description=HOSTILE.format(port=port) if i == 3 else f"第{i}场活动的内容。",
            )
        )
    for i, (name, colour) in enumerate(COLOURS.items()):
        services.evidence_add(
            event=events[0],
            slot=Slot.PHOTO,
            uploads=[services.Upload(f"{name}.jpg", _jpeg(colour, seed=i))],
            uploaded_by=None,
            caption=f"{name}照片",
        )
    services.evidence_add(
        event=events[1],
        slot=Slot.PLAN,
        uploads=[services.Upload("方案.pdf", _pdf_bytes())],
        uploaded_by=None,
    )
    shot = services.evidence_add(
        event=events[2],
        slot=Slot.MEDIA,
        uploads=[services.Upload("报道截图.jpg", _jpeg((250, 200, 0), seed=9))],
        uploaded_by=None,
    )[0]
    services.media_report_add(
        event=events[2],
        outlet="市日报",
        date=datetime.date(2026, 3, 5),
        title="我单位开展文明实践活动",
        url="https://example.com/news/1",
        screenshot=shot,
        actor=None,
    )
    archived = [_archived(e) for e in events]
    EventFactory(campaign=campaign_a, start_date=datetime.date(2026, 8, 1), title="尚未提交的草稿活动")
    _archived(EventFactory(campaign=campaign_a, start_date=datetime.date(2025, 12, 30), title="去年的活动"))
    return archived


def _pdf_bytes() -> bytes:
    from tests.ledger import samples

    return samples.pdf()


def _text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def _toc_pages(pdf: Path, front_pages: int) -> dict[str, int]:
    """档号 → the page number printed on its 目录 line."""
    found = {}
    for page in range(1, front_pages + 1):
        for line in _text(pdf, page).splitlines():
            m = re.match(r"\s*(\S+-\d+)\s+(.+?)\s*\.{3,}\s*(\d+)\s*$", line)
            if m:
                found[m.group(1)] = int(m.group(3))
    return found


def _toc_links(pdf: Path, front_pages: int) -> tuple[list[int], list[int]]:
    """(the page number printed on each 目录 line, the page each 目录 link annotation jumps to), both in reading
    order (pages, then top to bottom)."""
    from pypdf import PdfReader

    printed = []
    for page in range(1, front_pages + 1):
        for line in _text(pdf, page).splitlines():
            if m := re.match(r"\s*(.+?)\s*\.{3,}\s*(\d+)\s*$", line):
                printed.append(int(m.group(2)))
    reader = PdfReader(str(pdf))
    targets = []
    for page in reader.pages[:front_pages]:
        links = [a.get_object() for a in page.get("/Annots") or []]
        links = [a for a in links if a.get("/Subtype") == "/Link" and "/Dest" in a]
        for annot in sorted(links, key=lambda a: -float(a["/Rect"][3])):
            targets.append(reader.get_page_number(annot["/Dest"][0].get_object()) + 1)
    return printed, targets


def _build(campaign, tmp_path: Path, **kw) -> tuple[Path, render.BuildStats]:
    content = archive_content.gather(campaign=campaign, year=2026, **kw)
    out = tmp_path / "archive.pdf"
    return out, render.build_pdf(content, out, chunk_dossiers=3)


def test_archive_fonts_toc_and_every_dossier_on_its_printed_page(archive_year, campaign_a, tmp_path):
    """GIVEN seven archived dossiers in three chunks WHEN the archive is built THEN Noto CJK is embedded, the 目录
    lists every dossier, and each printed page number is the page where pdftotext finds that dossier's title."""
    out, stats = _build(campaign_a, tmp_path)
    assert stats.dossiers == 7 and stats.chunks >= 3
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if re.search(r"Noto-?Sans-?CJK-?SC", line)]
    assert cjk and all(re.search(r"\byes\s+yes\b", line) for line in cjk), fonts  # embedded subsets
    assert all(re.match(r"[A-Z]{6}\+", line) for line in cjk)
    text = _text(out)
    assert "目　录" in text or "目 录" in text or "目录" in text
    assert "尚未提交的草稿活动" not in text and "去年的活动" not in text
    assert _pages(out) == stats.pages
    toc = _toc_pages(out, front_pages=5)
    for event in archive_year:
        assert event.archive_number in text and event.title in text
        assert event.archive_number in toc, f"{event.archive_number} missing from the 目录"
        page_text = _text(out, toc[event.archive_number])
        assert event.title in page_text and "材料清单" in page_text, (event.archive_number, toc[event.archive_number])
    # Every 目录 line of a dossier is a link to the page its number names (annotations added at the merge).
    printed, targets = _toc_links(out, front_pages=5)
    assert len(printed) >= len(archive_year) + 3 and targets == printed
    # No blank pages (a chunk or the cover once began with one): every page holds more than its header and footer.
    assert "年度创建工作台账" in _text(out, 1)
    for page in range(1, stats.pages + 1):
        body = _text(out, page).replace("甲单位 · 2026年度创建台账", "")
        body = re.sub(r"第 \d+ 页 / 共 \d+ 页", "", body)
        assert body.strip(), f"page {page} is blank"
    last = _text(out, stats.pages)
    assert f"第 {stats.pages} 页 / 共 {stats.pages} 页" in last
    assert f"第 2 页 / 共 {stats.pages} 页" in _text(out, 2)
    assert "甲单位 · 2026年度创建台账" in _text(out, toc[archive_year[0].archive_number])


def test_photos_are_really_drawn_and_the_page_kept_as_an_artifact(archive_year, campaign_a, tmp_path):
    out, stats = _build(campaign_a, tmp_path)
    assert stats.photos == 4  # three photos and one media screenshot
    first = stats.dossier_pages[archive_year[0].pk]
    following = [p for p in stats.dossier_pages.values() if p > first]
    last = min(following) - 1 if following else stats.pages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found = {name: 0 for name in COLOURS}
    for page in range(first, last + 1):
        prefix = ARTIFACTS / f"archive_pdf_photos_p{page - first + 1}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile", str(out), str(prefix)],
            check=True,
        )
        with Image.open(prefix.with_suffix(".png")) as im:
            colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        for name, (r, g, b) in COLOURS.items():
            found[name] += sum(
                n for n, (pr, pg, pb) in colours if abs(pr - r) < 30 and abs(pg - g) < 30 and abs(pb - b) < 30
            )
    # A 62 mm-high photo at 50 dpi is ~120 × 90 px of its colour; a caption or blank page has none.
    assert all(n > 5000 for n in found.values()), found
    # The PDF original (a 200 × 100 pt page reading "Plan") is drawn as an image on its dossier's page: pdftoppm
    # made a 2:1 first-page image, cached by SHA-256, and the page shows its dark text pixels inside a frame.
    plan = archive_year[1].evidence.get(detected_type="pdf")
    preview = render.cache_dir() / f"{plan.sha256}-p1.jpg"
    with Image.open(preview) as im:
        assert im.size == (1000, 500)
        assert im.convert("L").getextrema()[0] < 80  # the text is drawn, not a blank page
    page = stats.dossier_pages[archive_year[1].pk]
    images = subprocess.run(
        ["pdfimages", "-list", "-f", str(page), "-l", str(page), str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^\s*\d+\s+\d+\s+image\s+1000\s+500\b", images, re.M), images
    assert "方案.pdf 第 1 页" in _text(out, page)
    # Downscaled copies are cached by SHA-256 and reused by a rebuild.
    cached = sorted(render.cache_dir().glob("*-1600.jpg"))
    assert len(cached) == 4
    mtimes = [p.stat().st_mtime_ns for p in [*cached, preview]]
    _build(campaign_a, tmp_path)
    assert [p.stat().st_mtime_ns for p in [*cached, preview]] == mtimes


def test_hostile_description_causes_no_request_and_no_foreign_read(archive_year, campaign_a, tmp_path, http_recorder):
    out, stats = _build(campaign_a, tmp_path)
    assert Recorder.requests == []
    assert stats.refused == []  # escaped: the renderer never even saw those URLs as markup
    # Every file the render workers opened (an audit hook on `open`, Python's own modules aside) and every file the
    # fetcher served lies in MEDIA or STATIC, or is the chunk's own HTML in the build's work folder.
    from django.conf import settings as dj

    allowed = (str(Path(dj.MEDIA_ROOT).resolve()) + "/", *(str(Path(p).resolve()) + "/" for p in dj.STATICFILES_DIRS))
    assert stats.served and all(p.startswith(allowed) for p in stats.served), stats.served
    work = tempfile.gettempdir() + "/" + render.WORK_PREFIX
    own_html = [p for p in stats.opened if p.startswith(work) and p.endswith(".html")]
    foreign = [p for p in stats.opened if not p.startswith(allowed) and p not in own_html]
    assert stats.opened and foreign == [], foreign
    text = _text(out)
    assert "file:///etc/passwd" in text  # printed as text
    assert "root:x:0:0" not in text


def test_fetcher_refuses_everything_but_static_and_listed_images(tmp_path, http_recorder, settings):
    """The second wall: markup that does reach WeasyPrint still reads nothing outside STATIC and the listed images."""
    port = http_recorder.server_address[1]
    allowed = tmp_path / "ok.jpg"
    allowed.write_bytes(_jpeg((20, 200, 40), size=(50, 50)))
    other = tmp_path / "secret.jpg"
    other.write_bytes(_jpeg((230, 20, 20), size=(50, 50)))
    html = (
        '<html><head><link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">'
        f"<style>@import url(http://127.0.0.1:{port}/x.css);</style></head><body>"
        f'<img src="file:///etc/passwd"><img src="{other.as_uri()}"><img src="{allowed.as_uri()}">'
        f'<img src="http://127.0.0.1:{port}/img.png"></body></html>'
    )
    report = render.run_worker(html, tmp_path / "x.pdf", files=[str(allowed)], workdir=tmp_path)
    assert Recorder.requests == []
    assert set(report["refused"]) >= {
        "http://169.254.169.254/latest/meta-data/",
        f"http://127.0.0.1:{port}/x.css",
        "file:///etc/passwd",
        other.as_uri(),
        f"http://127.0.0.1:{port}/img.png",
    }
    assert allowed.as_uri() not in report["refused"]
    # Nor was anything opened behind the fetcher's back: of those files only the allowed image was read.
    assert "/etc/passwd" not in report["opened"] and str(other.resolve()) not in report["opened"]
    assert str(allowed.resolve()) in report["opened"]


def test_render_html_to_pdf_renders_one_string_with_the_same_walls(tmp_path, http_recorder):
    """The public one-document entry (for other apps' PDFs, e.g. the 月度通报): same worker, same fetcher."""
    port = http_recorder.server_address[1]
    image = tmp_path / "chart.jpg"
    image.write_bytes(_jpeg((20, 40, 230), size=(400, 300)))
    html = (
        f'<html><head><link rel="stylesheet" href="{render.css_url()}">'
        f"<style>@import url(http://127.0.0.1:{port}/x.css);</style></head><body>"
        f'<h1>月度通报</h1><img src="{image.as_uri()}"><img src="file:///etc/passwd"></body></html>'
    )
    target = tmp_path / "bulletin.pdf"
    assert render.render_html_to_pdf(html, target, images=[image]) == _pages(target) == 1
    assert Recorder.requests == []
    assert "月度通报" in _text(target)
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto-?Sans-?CJK", fonts)
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(target), str(prefix)], check=True)
    with Image.open(prefix.with_suffix(".png")) as im:
        blue = sum(n for n, (r, g, b) in im.convert("RGB").getcolors(1 << 20) if b > 200 and r < 60 and g < 80)
    assert blue > 1000  # the allowed image is drawn
    assert not list(Path(tempfile.gettempdir()).glob(f"{render.WORK_PREFIX}*/document.pdf"))


def test_stale_work_folders_of_dead_builds_are_swept_and_live_ones_kept(tmp_path):
    """GIVEN work folders of a dead build, of this (live) process, an unmarked fresh one and an unmarked old one
    WHEN a build starts (sweep) THEN only the dead build's and the old unmarked one are removed."""
    import os
    import sys
    import time

    dead = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    dead_owner = {"pid": dead.pid, "start": render._start_time(dead.pid), "boot": render._boot_id()}
    dead.wait()
    folders = {name: tmp_path / f"{render.WORK_PREFIX}{name}" for name in ("dead", "live", "fresh", "old")}
    for path in folders.values():
        path.mkdir()
        (path / "part-0000.pdf").write_bytes(b"%PDF-")
    (folders["dead"] / render.OWNER_FILE).write_text(json.dumps(dead_owner))
    live_owner = {"pid": os.getpid(), "start": render._start_time(os.getpid()), "boot": render._boot_id()}
    (folders["live"] / render.OWNER_FILE).write_text(json.dumps(live_owner))
    old = time.time() - render.STALE_UNMARKED_SECONDS - 60
    os.utime(folders["old"], (old, old))
    other = tmp_path / "wenming-bench"  # not ours by name
    other.mkdir()
    removed = render.sweep_stale_workdirs(tmp_path)
    assert sorted(p.name for p in removed) == sorted([folders["dead"].name, folders["old"].name])
    assert folders["live"].exists() and folders["fresh"].exists() and other.exists()
    assert not folders["dead"].exists() and not folders["old"].exists()


def test_pdf_first_page_is_bounded(tmp_path):
    """Only small PDFs are drawn (a big one is only listed), and a broken one gives no image, not an error."""
    from pypdf import PdfWriter

    from ledger.archive import images

    writer = PdfWriter()  # a valid one-page PDF made big by an incompressible attachment
    writer.add_blank_page(200, 100)
    writer.add_attachment("padding.bin", os.urandom(images.PDF_PREVIEW_MAX_BYTES))
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        writer.write(fh)
    assert big.stat().st_size > images.PDF_PREVIEW_MAX_BYTES
    assert images.pdf_first_page(big, tmp_path / "big.jpg") is False and not (tmp_path / "big.jpg").exists()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    assert images.pdf_first_page(broken, tmp_path / "broken.jpg") is False
    good = tmp_path / "good.pdf"
    good.write_bytes(_pdf_bytes())
    assert images.pdf_first_page(good, tmp_path / "good.jpg") is True
    assert not list(tmp_path.glob(".pdfpage-*"))


def test_chapters_by_criteria_print_each_dossier_once_and_cross_reference_it(archive_year, campaign_a, tmp_path):
    system = EvaluationSystemFactory(name="全国文明单位测评体系")
    CampaignSystemFactory(campaign=campaign_a, system=system)
    item = ItemFactory(system=system, code="一", name="思想道德建设", order=1)
    first = IndicatorFactory(system=system, item=item, code="1.1", name="理论学习", order=1)
    second = IndicatorFactory(system=system, item=item, code="1.2", name="志愿服务", order=2)
    c1 = CriterionFactory(system=system, indicator=first, code="1.1.1")
    c2 = CriterionFactory(system=system, indicator=second, code="1.2.1")
    c1.events.add(archive_year[0], archive_year[1])
    c2.events.add(archive_year[1], archive_year[2])
    content = archive_content.gather(campaign=campaign_a, year=2026)
    assert content.by_criteria
    assert [c.title for c in content.chapters] == ["一 思想道德建设", "其他档案（未关联测评指标）"]
    assert sorted(d.pk for d in content.dossiers) == sorted(e.pk for e in archive_year)
    out = tmp_path / "criteria.pdf"
    stats = render.build_pdf(content, out, chunk_dossiers=50)
    text = _text(out)
    assert len(re.findall(r"材料清单（\d+ 件）", text)) == 7
    assert "已收录于其他指标下" in text
    toc = _toc_pages(out, front_pages=5)
    assert toc[archive_year[1].archive_number] == stats.dossier_pages[archive_year[1].pk]
    assert "1.1 理论学习" in _text(out, stats.dossier_pages[archive_year[1].pk])


def test_command_json_and_unit_filter(archive_year, campaign_a, world, tmp_path, capsys):
    out = tmp_path / "cmd.pdf"
    call_command(
        "build_archive",
        "--campaign",
        str(campaign_a.pk),
        "--year",
        "2026",
        "-o",
        str(out),
        "--unit",
        world.dept_a.code,
        "--json",
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"pages", "dossiers", "photos", "seconds", "peak_rss_mb", "sha256"}
    assert data["dossiers"] == sum(1 for e in archive_year if e.organization_id == world.dept_a.pk)
    assert data["pages"] == _pages(out)
    assert data["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert shutil.which("pdftotext")


def test_job_keeps_every_build_as_a_version_downloadable_in_scope_only(archive_year, campaign_a, world, settings):
    """GIVEN unit A's 创建办 WHEN they start the archive PDF twice from the campaign page THEN each job keeps a new
    version with its SHA-256, both stay downloadable to unit A and the city, and unit B gets 404."""
    from django.test import Client
    from django.urls import reverse

    from jobs import services as job_services
    from jobs.models import Job, JobStatus
    from ledger.models import ArchiveBuild

    office = Client()
    office.force_login(world.user("a_office"))
    page = office.get(reverse("campaigns:detail", args=[campaign_a.pk]))
    assert page.status_code == 200 and "归档文件" in page.content.decode()
    assert reverse("ledger:export_archive_pdf") in page.content.decode()
    for _ in range(2):
        response = office.post(reverse("ledger:export_archive_pdf"), {"campaign": campaign_a.pk, "year": 2026})
        assert response.status_code == 302
        job = Job.objects.order_by("-pk").first()
        assert job.kind == "archive_pdf"
        assert job_services.job_run(job_id=job.pk, heartbeat_thread=False) == "done"
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.progress == 100
    builds = list(ArchiveBuild.objects.order_by("version"))
    assert [b.version for b in builds] == [1, 2]
    for b in builds:
        body = b"".join(office.get(reverse("ledger:archive_download", args=[b.pk])).streaming_content)
        assert hashlib.sha256(body).hexdigest() == b.sha256 and body.startswith(b"%PDF")
        assert b.pages == _pages_of_bytes(body, b.pk) and b.dossiers == 7
        assert b.built_by == world.user("a_office")
    assert builds[1].job.result_sha256 == builds[1].sha256
    page = office.get(reverse("campaigns:detail", args=[campaign_a.pk])).content.decode()
    assert "第 1 版" in page and "第 2 版" in page
    city = Client()
    city.force_login(world.user("city_office"))
    assert city.get(reverse("ledger:archive_download", args=[builds[0].pk])).status_code == 200
    other = Client()
    other.force_login(world.user("b_office"))
    assert other.get(reverse("ledger:archive_download", args=[builds[0].pk])).status_code == 404
    assert other.post(reverse("ledger:export_archive_pdf"), {"campaign": campaign_a.pk}).status_code == 404


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    return out


def _pages_of_bytes(body: bytes, tag: int) -> int:
    path = Path(f"/tmp/wenming-archive-test-{tag}.pdf")
    path.write_bytes(body)
    try:
        return _pages(path)
    finally:
        path.unlink()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sigkilled_worker_mid_build_retries_and_the_final_pdf_is_complete(
    world,
    campaign_a,
    archive_year,
    worker_process,  # noqa: F811  (the jobs tests' fixture)
    tmp_path,
):
    """GIVEN the archive PDF job running in a real Celery worker WHEN the worker is SIGKILLed while a chunk is being
    laid out, the reaper requeues it and a new worker starts THEN attempt 2 finishes, one build is kept, and its page
    count is the page count of the same archive built in-process."""
    import signal
    import time

    from django.conf import settings as django_settings

    from jobs import services as job_services
    from jobs.models import Job, JobStatus
    from ledger.models import ArchiveBuild

    job = job_services.job_start(
        kind="archive_pdf",
        user=world.user("a_office"),
        organization=world.unit_a,
        params={"campaign": campaign_a.pk, "year": 2026},
    )
    first = worker_process()

    def laying_out():
        j = Job.objects.get(pk=job.pk)
        return j.status == JobStatus.RUNNING and j.attempt == 1 and 4 <= j.progress < 90 and j

    wait_for(laying_out, timeout=120, what="the first attempt to be laying out pages")

    def owned_by(pid: int) -> list[Path]:
        out = []
        for path in Path(tempfile.gettempdir()).glob(f"{render.WORK_PREFIX}*"):
            try:
                if json.loads((path / render.OWNER_FILE).read_text())["pid"] == pid:
                    out.append(path)
            except (OSError, ValueError, KeyError):
                pass
        return out

    left_behind = owned_by(first.pid)
    assert left_behind, "the first attempt's work folder"
    renderers = wait_for(lambda: _children(first.pid), timeout=60, what="the first attempt's render workers")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # Its render workers die with it (PR_SET_PDEATHSIG), its work folder stays behind until the retry sweeps it.
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in renderers), timeout=10, what="renderers gone")
    assert all(p.exists() for p in left_behind)
    time.sleep(django_settings.JOBS_HEARTBEAT_TIMEOUT + 0.5)
    assert job_services.job_reap()["requeued"] == 1
    worker_process()
    wait_for(
        lambda: Job.objects.get(pk=job.pk).status in {JobStatus.DONE, JobStatus.FAILED},
        timeout=300,
        interval=0.5,
        what="the retried job to end",
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 2, job.error
    assert not any(p.exists() for p in left_behind)  # swept by attempt 2
    build = ArchiveBuild.objects.get()
    kept = Path(build.file.path)
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == build.sha256 == job.result_sha256
    _out, expected = _build(campaign_a, tmp_path)
    assert _pages(kept) == build.pages == expected.pages
    assert f"第 {expected.pages} 页 / 共 {expected.pages} 页" in _text(kept, expected.pages)
