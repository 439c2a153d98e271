"""Media in an S3-compatible store (MEDIA_STORAGE=s3), against an S3-API server on 127.0.0.1 (moto's server mode):
upload, serving through the scoped views, the ZIP export, the archive PDF and the import previews all read and
write their files there, and MEDIA_ROOT stays empty (the `s3` fixture checks it after every test)."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from ledger import services
from ledger.models import ArchiveBuild, EventStatus, EvidenceFile, Slot
from tests.factories import CampaignFactory, EventFactory
from tests.ledger import samples

from .conftest import files_under, s3_env, settings_storages

pytestmark = pytest.mark.django_db

S3_BACKEND = "storages.backends.s3.S3Storage"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _jpeg(colour: tuple[int, int, int], seed: int) -> bytes:
    img = Image.new("RGB", (1200, 900), colour)
    img.putpixel((seed, 0), (seed % 256, 0, 0))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[306] = "2026:05:12 09:30:00"
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
def campaign_a(world):
    return CampaignFactory(unit=world.unit_a, title="甲单位2026年度文明单位创建", start_year=2026, end_year=2026)


@pytest.fixture
def event_a(world, campaign_a):
    return EventFactory(
        campaign=campaign_a,
        organization=world.dept_a,
        title="文明交通志愿服务活动",
        start_date=datetime.date(2026, 5, 12),
    )


def _upload(client: Client, event, name: str, data: bytes, slot: str = "photo") -> EvidenceFile:
    before = set(EvidenceFile.objects.values_list("pk", flat=True))
    r = client.post(
        reverse("ledger:upload", args=[event.pk]),
        {"slot": slot, "files": [SimpleUploadedFile(name, data)]},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 200 and r.json()["ok"], r.content
    return EvidenceFile.objects.exclude(pk__in=before).get()


# ------------------------------------------------------------------------------------------------
# Settings
# ------------------------------------------------------------------------------------------------
def test_media_storage_s3_configures_a_private_s3_backend_in_test_and_production(s3_endpoint, s3_settings):
    """GIVEN MEDIA_STORAGE=s3 and the AWS_* variables WHEN the settings load THEN the default storage is
    django-storages' S3 backend with path-style addressing, no ACL, signed URLs only and no overwriting; the
    production settings keep it (and their whitenoise static storage); without MEDIA_STORAGE it is the local folder.
    """
    default = s3_settings["default"]
    assert default["BACKEND"] == S3_BACKEND
    opts = default["OPTIONS"]
    assert opts["endpoint_url"] == s3_endpoint and opts["bucket_name"] == "placeholder-bucket"
    assert (opts["access_key"], opts["secret_key"], opts["region_name"]) == (
        "wenming-test",
        "wenming-test-secret",
        "us-east-1",
    )
    assert opts["addressing_style"] == "path" and opts["default_acl"] is None
    assert opts["querystring_auth"] is True and opts["file_overwrite"] is False
    production = settings_storages(
        "config.settings.production",
        {**s3_env(s3_endpoint, "prod-bucket"), "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "wenming.example.gov.cn"},
    )
    assert production["default"]["BACKEND"] == S3_BACKEND
    assert production["default"]["OPTIONS"]["bucket_name"] == "prod-bucket"
    assert production["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    local = settings_storages("config.settings.production", {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "h"})
    assert local["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


# ------------------------------------------------------------------------------------------------
# Upload and the scoped views
# ------------------------------------------------------------------------------------------------
def test_upload_goes_to_the_bucket_and_the_scoped_views_serve_it_from_there(s3, world, event_a, _media_root):
    """GIVEN S3 media WHEN unit A's liaison uploads a photo through the upload view THEN the object is in the bucket
    with the row's SHA-256, private; download, preview and thumbnail send its bytes to unit A and answer 404 to
    unit B; the dossier page never links the store; an object gone from the bucket answers 404, not 500."""
    data = samples.jpeg(seed=77, size=(800, 600))
    liaison = client_for(world.user("a_liaison"))
    row = _upload(liaison, event_a, "现场照片.jpg", data)
    assert row.file.name in s3.objects()
    stored = s3.read(row.file.name)
    assert hashlib.sha256(stored).hexdigest() == row.sha256 == hashlib.sha256(data).hexdigest()
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=row.file.name)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants), grants  # no AllUsers / AuthenticatedUsers grant
    assert files_under(_media_root) == []

    r = liaison.get(reverse("ledger:file_download", args=[row.pk]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    assert _body(r) == data
    r = liaison.get(reverse("ledger:file_preview", args=[row.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and _body(r) == data
    r = liaison.get(reverse("ledger:file_thumbnail", args=[row.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    row.refresh_from_db()
    assert row.thumbnail.name in s3.objects() and _body(r) == s3.read(row.thumbnail.name)
    with Image.open(io.BytesIO(s3.read(row.thumbnail.name))) as img:
        assert max(img.size) <= 480

    other = client_for(world.user("b_office"))
    for view in ("ledger:file_download", "ledger:file_preview", "ledger:file_thumbnail"):
        assert other.get(reverse(view, args=[row.pk])).status_code == 404, view

    page = liaison.get(reverse("ledger:detail", args=[event_a.pk])).content.decode()
    assert reverse("ledger:file_preview", args=[row.pk]) in page
    assert s3.name not in page and "127.0.0.1:" not in page and "X-Amz-" not in page

    s3.client.delete_object(Bucket=s3.name, Key=row.file.name)
    assert liaison.get(reverse("ledger:file_download", args=[row.pk])).status_code == 404


def test_a_refused_upload_leaves_nothing_in_the_bucket(s3, world, event_a):
    liaison = client_for(world.user("a_liaison"))
    r = liaison.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {
            "slot": "photo",
            "files": [SimpleUploadedFile("好.jpg", samples.jpeg(seed=3)), SimpleUploadedFile("坏.jpg", samples.HTML)],
        },
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 400 and "坏.jpg" in r.json()["error"]
    assert EvidenceFile.objects.count() == 0 and s3.objects() == []


# ------------------------------------------------------------------------------------------------
# The ZIP export (a background job, run in-process)
# ------------------------------------------------------------------------------------------------
def test_the_zip_export_reads_the_files_from_the_bucket(
    s3, world, event_a, campaign_a, django_capture_on_commit_callbacks
):
    """GIVEN a photo and a PDF uploaded to S3 WHEN unit A exports the ledger ZIP (job, in-process) THEN the ZIP,
    itself kept in the bucket, holds both files byte for byte, with matching SHA256SUMS."""
    liaison = client_for(world.user("a_liaison"))
    photo = samples.jpeg(seed=11, size=(640, 480))
    plan = samples.pdf("S3 plan")
    _upload(liaison, event_a, "现场.jpg", photo)
    _upload(liaison, event_a, "方案.pdf", plan, slot=Slot.PLAN)
    with django_capture_on_commit_callbacks(execute=True):
        r = liaison.post(
            reverse("ledger:export_archive"), {"campaign": campaign_a.pk, "year": 2026, "include_unfinished": "1"}
        )
    assert r.status_code == 302 and r["Location"].startswith("/jobs/"), r
    from jobs.models import Job

    job = Job.objects.get()
    assert job.result.name in s3.objects()
    r = liaison.get(r["Location"] + "download/")
    assert r.status_code == 200
    body = _body(r)
    assert body == s3.read(job.result.name)
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = zf.namelist()
        contents = {n: zf.read(n) for n in names if n.startswith("2026年/")}
        sums = dict(reversed(line.split("  ", 1)) for line in zf.read("SHA256SUMS").decode().splitlines())
    assert sorted(contents.values()) == sorted([photo, plan])
    for name, data in contents.items():
        assert sums[name] == hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------------------------
# The archive PDF (the real build: chunk workers, pdftoppm, the merge), run in-process as a job
# ------------------------------------------------------------------------------------------------
def _archived(event):
    services.event_submit(event=event, actor=None)
    event.refresh_from_db()
    if event.status != EventStatus.ARCHIVED:
        services.event_archive(event=event, actor=None)
    event.refresh_from_db()
    return event


def test_the_archive_pdf_draws_the_photos_and_pdf_pages_pulled_from_the_bucket(s3, world, campaign_a, tmp_path):
    """GIVEN two archived dossiers whose photos (1200 × 900, two colours) and PDF plan sit in S3 WHEN unit A's
    创建办 builds the archive PDF (the job, in-process) THEN the build, kept in the bucket, embeds both photos and the
    plan's first page (pdftoppm from a temporary copy), shows the photos' colours, and nothing went to MEDIA_ROOT."""
    liaison = client_for(world.user("a_liaison"))
    photos_event = EventFactory(
        campaign=campaign_a, organization=world.dept_a, title="照片活动", start_date=datetime.date(2026, 3, 3)
    )
    plan_event = EventFactory(
        campaign=campaign_a, organization=world.dept_a, title="方案活动", start_date=datetime.date(2026, 4, 4)
    )
    colours = {"red": (230, 20, 20), "blue": (20, 40, 230)}
    for i, (name, colour) in enumerate(colours.items()):
        _upload(liaison, photos_event, f"{name}.jpg", _jpeg(colour, seed=i))
    _upload(liaison, plan_event, "方案.pdf", samples.pdf(), slot=Slot.PLAN)
    _archived(photos_event)
    _archived(plan_event)

    from jobs import services as job_services
    from jobs.models import Job, JobStatus

    office = client_for(world.user("a_office"))
    r = office.post(reverse("ledger:export_archive_pdf"), {"campaign": campaign_a.pk, "year": 2026})
    assert r.status_code == 302
    job = Job.objects.get(kind="archive_pdf")
    assert job_services.job_run(job_id=job.pk, heartbeat_thread=False) == "done"
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    build = ArchiveBuild.objects.get()
    assert build.file.name in s3.objects() and build.dossiers == 2
    body = _body(office.get(reverse("ledger:archive_download", args=[build.pk])))
    assert hashlib.sha256(body).hexdigest() == build.sha256 and body == s3.read(build.file.name)
    assert (
        client_for(world.user("b_office")).get(reverse("ledger:archive_download", args=[build.pk])).status_code == 404
    )

    pdf = tmp_path / "archive.pdf"
    pdf.write_bytes(body)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = re.findall(r"^\s*\d+\s+\d+\s+image\s+(\d+)\s+(\d+)\b", listing, re.M)
    assert sizes.count(("1200", "900")) == 2, listing  # both photos, read from S3
    assert sizes.count(("1000", "500")) == 1, listing  # the PDF plan's first page, drawn by pdftoppm
    assert build.pages == int(re.search(r"^Pages:\s+(\d+)", _pdfinfo(pdf), re.M).group(1))
    found = dict.fromkeys(colours, 0)
    pages = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(pages)], check=True)
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as im:
            for n, (r_, g, b) in im.convert("RGB").getcolors(maxcolors=1 << 20):
                for name, (cr, cg, cb) in colours.items():
                    if abs(r_ - cr) < 30 and abs(g - cg) < 30 and abs(b - cb) < 30:
                        found[name] += n
    assert all(n > 1000 for n in found.values()), found


def _pdfinfo(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


# ------------------------------------------------------------------------------------------------
# Import previews: the file waits in the bucket, so the confirm may reach another web replica
# ------------------------------------------------------------------------------------------------
def _hours_xlsx(rows) -> io.BytesIO:
    from openpyxl import Workbook

    from volunteers.imports import TEMPLATE_HEADERS

    wb = Workbook()
    wb.active.append(TEMPLATE_HEADERS)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "hours.xlsx"
    return buffer


def test_volunteer_hours_import_preview_and_confirm_on_another_node(s3, world, settings, tmp_path):
    """GIVEN S3 media WHEN unit A's 创建办 previews an hours workbook THEN it waits in the bucket (not on disk);
    confirmed on a "second web node" (another, empty MEDIA_ROOT, fresh storage objects) the records are saved and
    the pending object is gone."""
    from django.core.files.storage import storages

    from tests.factories import VolunteerFactory
    from volunteers.models import RecordStatus, ServiceRecord

    VolunteerFactory(organization=world.dept_a, name="王芳", phone="13900001234", number="V-1")
    office = client_for(world.user("a_office"))
    preview = office.post(
        reverse("volunteers:import"),
        {
            "organization": world.dept_a.pk,
            "confirmed": "on",
            "file": _hours_xlsx([["王芳", "1234", "活动", "2026-03-05", 2]]),
        },
    )
    token = preview.context["token"]
    first_storage = storages["default"]
    assert s3.objects() == [f"volunteers/imports/{token}.xlsx"]
    assert ServiceRecord.objects.count() == 0

    # The other replica: its own (empty) disk and its own storage objects (setting_changed drops the cached ones).
    node_2 = {"MEDIA_ROOT": tmp_path / "node-2-media", "STORAGES": {**settings.STORAGES}}
    with override_settings(**node_2):
        assert storages["default"] is not first_storage
        done = office.post(reverse("volunteers:import"), {"token": token})
    assert done.status_code == 302
    record = ServiceRecord.objects.get()
    assert (record.volunteer.name, record.hours, record.status) == ("王芳", 2, RecordStatus.CONFIRMED)
    assert s3.objects() == []
    assert not (tmp_path / "node-2-media").exists() or files_under(tmp_path / "node-2-media") == []
    bogus = office.post(reverse("volunteers:import"), {"token": "../../etc/passwd"})
    assert bogus.status_code == 302 and ServiceRecord.objects.count() == 1


def test_evaluation_system_import_preview_then_confirm_reads_the_bucket(s3, world):
    from evaluation.models import EvaluationSystem
    from tests.evaluation.workbooks import make_workbook

    office = client_for(world.user("a_office"))
    data = make_workbook([["1", "项目", 2, "1.1", "指标", 2, "1.1.1", "标准", 2]], info={"名称": "S3导入"})
    r = office.post(reverse("evaluation:system_import"), {"file": SimpleUploadedFile("a.xlsx", data)})
    token = r.context["token"]
    assert s3.objects() == [f"evaluation/pending/{token}.xlsx"] and s3.read(s3.objects()[0]) == data
    r = office.post(reverse("evaluation:system_import"), {"token": token})
    assert r.status_code == 302 and EvaluationSystem.objects.get().name == "S3导入"
    assert s3.objects() == []
    r = office.post(reverse("evaluation:system_import"), {"token": token})  # used once: now expired
    assert r.status_code == 302 and EvaluationSystem.objects.count() == 1


def test_pending_imports_older_than_a_day_are_swept_from_the_bucket(s3):
    from organizations.media import pending_read, pending_save, pending_sweep

    pending_save("evaluation/pending", "a" * 32, b"PK old")
    assert pending_read("evaluation/pending", "a" * 32) == b"PK old"
    assert pending_sweep("evaluation/pending") == 0
    assert pending_sweep("evaluation/pending", older_than=datetime.timedelta(seconds=-60)) == 1
    assert s3.objects() == [] and pending_read("evaluation/pending", "a" * 32) is None


def test_campaign_task_table_import_preview_then_confirm_reads_the_bucket(s3, world, campaign_a):
    import tablib

    ds = tablib.Dataset(
        headers=["序号", "创建内容", "具体任务", "牵头单位", "配合单位", "完成时限", "完成情况", "进度"]
    )
    ds.append(["1", "思想教育", "专题学习", "甲办公室", "", "2026-06-30", "进行中", "40%"])
    office = client_for(world.user("a_office"))
    url = reverse("campaigns:task_import", args=[campaign_a.pk])
    response = office.post(url, {"file": SimpleUploadedFile("t.xlsx", ds.export("xlsx"))})
    assert response.status_code == 200 and not response.context["result"].has_errors
    token = response.context["token"]
    assert s3.objects() == [f"campaigns/pending/{token}.xlsx"] and campaign_a.tasks.count() == 0
    response = office.post(url, {"confirm": "1", "token": token})
    assert response.status_code == 302
    assert campaign_a.tasks.get(title="专题学习").progress == 40


# ------------------------------------------------------------------------------------------------
# The weekly file check walks the bucket
# ------------------------------------------------------------------------------------------------
def test_check_files_reports_a_flipped_byte_a_missing_object_and_an_orphan_in_the_bucket(s3):
    """GIVEN files of every file field in S3 WHEN an object's byte is flipped, another deleted and a stray added
    (and an import preview waits) THEN check_files names exactly those three."""
    import json
    from io import StringIO

    from django.core.management import call_command

    from organizations.media import pending_save
    from tests.backup.populate import populate

    def run() -> tuple[int, dict]:
        out = StringIO()
        code = 0
        try:
            call_command("check_files", "--json", stdout=out)
        except SystemExit as exc:
            code = exc.code
        return code, json.loads(out.getvalue())

    populate()
    code, clean = run()
    assert code == 0 and clean["counts"] == {"missing": 0, "corrupted": 0, "orphaned": 0}, clean
    assert clean["files_referenced"] >= 8 and clean["files_on_disk"] == clean["files_referenced"]
    photo = EvidenceFile.objects.get(original_name="照片.jpg")
    data = bytearray(s3.read(photo.file.name))
    data[1000] ^= 0x01
    s3.client.put_object(Bucket=s3.name, Key=photo.file.name, Body=bytes(data))
    gone = EvidenceFile.objects.exclude(pk=photo.pk).first()
    s3.client.delete_object(Bucket=s3.name, Key=gone.file.name)
    s3.client.put_object(Bucket=s3.name, Key="ledger/stray.jpg", Body=b"nobody's")
    pending_save("volunteers/imports", "b" * 32, b"PK waiting")
    code, found = run()
    assert code == 1
    assert [m["path"] for m in found["corrupted"]] == [photo.file.name]
    assert [m["path"] for m in found["missing"]] == [gone.file.name]
    assert [m["path"] for m in found["orphaned"]] == ["ledger/stray.jpg"]
