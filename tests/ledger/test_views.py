"""Ledger pages through the test client: serving files, scope, search, filters, upload endpoint, review."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger import services
from ledger.models import EvidenceFile, Slot
from tests.factories import EventFactory

from . import samples
from .conftest import files_under

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def file_b(world, campaign_b):
    event = EventFactory(campaign=campaign_b, organization=world.unit_b, title="乙单位活动")
    (row,) = services.evidence_add(
        event=event, slot=Slot.PHOTO, uploads=[services.Upload("乙.jpg", samples.jpeg(seed=40))], uploaded_by=None
    )
    return row


@pytest.mark.parametrize("view", ["ledger:file_download", "ledger:file_preview", "ledger:file_thumbnail"])
def test_unit_a_users_get_404_for_unit_b_files(world, file_b, view):
    for actor in ("a_admin", "a_office", "a_leader", "a_liaison"):
        assert client_for(world.user(actor)).get(reverse(view, args=[file_b.pk])).status_code == 404, actor
    assert client_for(world.user("b_office")).get(reverse(view, args=[file_b.pk])).status_code == 200


def test_files_are_served_with_utf8_filenames_and_nosniff(world, event_a):
    rows = services.evidence_add(
        event=event_a,
        slot=Slot.PLAN,
        uploads=[
            services.Upload("关于开展“文明交通”活动的通知.pdf", samples.pdf()),
            services.Upload("签到 表.xlsx", samples.xlsx()),
        ],
        uploaded_by=None,
    )
    pdf, xlsx = rows
    c = client_for(world.user("a_liaison"))
    r = c.get(reverse("ledger:file_preview", args=[pdf.pk]))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"] == f"inline; filename*=utf-8''{quote('关于开展“文明交通”活动的通知.pdf')}"
    assert b"".join(r.streaming_content) == samples.pdf()
    r = c.get(reverse("ledger:file_download", args=[pdf.pk]))
    assert r["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    # Office files are never shown inline, even through the preview view.
    r = c.get(reverse("ledger:file_preview", args=[xlsx.pk]))
    assert r["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('签到 表.xlsx')}"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_thumbnail_is_a_small_jpeg(world, event_a):
    (row,) = services.evidence_add(
        event=event_a,
        slot=Slot.PHOTO,
        uploads=[services.Upload("大图.png", samples.image("PNG", size=(1600, 1200)))],
        uploaded_by=None,
    )
    r = client_for(world.user("a_leader")).get(reverse("ledger:file_thumbnail", args=[row.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(b"".join(r.streaming_content))) as img:
        assert max(img.size) <= 480


def test_chinese_search_without_spaces_matches_title_description_and_place(world, campaign_a):
    """Runs on whichever database the suite uses (PostgreSQL in CI, SQLite locally): icontains on CJK text."""
    EventFactory(campaign=campaign_a, title="“文明交通我先行”志愿服务", place="人民广场", description="")
    EventFactory(campaign=campaign_a, title="专题学习会", description="学习习近平新时代中国特色社会主义思想", place="")
    EventFactory(campaign=campaign_a, title="趣味运动会", place="市体育中心", description="")
    c = client_for(world.user("a_office"))

    def titles(q: str) -> list[str]:
        r = c.get(reverse("ledger:index"), {"q": q})
        return sorted(e.title for e in r.context["page"].object_list)

    assert titles("文明交通") == ["“文明交通我先行”志愿服务"]
    assert titles("交通我先") == ["“文明交通我先行”志愿服务"]
    assert titles("新时代中国特色") == ["专题学习会"]
    assert titles("体育中心") == ["趣味运动会"]
    assert titles("广场 志愿") == ["“文明交通我先行”志愿服务"]
    assert titles("不存在的词") == []


def test_list_filters_sort_and_query_count(world, campaign_a):
    for i in range(12):
        EventFactory(
            campaign=campaign_a,
            organization=world.dept_a if i % 2 else world.unit_a,
            start_date=datetime.date(2025 + i % 2, 1 + i, 1),
            category="meeting" if i < 6 else "training",
            is_late_entry=i == 3,
        )
    c = client_for(world.user("a_admin"))
    url = reverse("ledger:index")
    assert c.get(url, {"year": 2026}).context["page"].paginator.count == 6
    assert c.get(url, {"category": "training"}).context["page"].paginator.count == 6
    assert c.get(url, {"organization": world.dept_a.pk}).context["page"].paginator.count == 6
    assert c.get(url, {"late": "yes"}).context["page"].paginator.count == 1
    assert c.get(url, {"complete": "yes"}).context["page"].paginator.count == 0
    dates = [e.start_date for e in c.get(url, {"sort": "date"}).context["page"].object_list]
    assert dates == sorted(dates)
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for i in range(30):
        EventFactory(campaign=campaign_a, title=f"补充活动{i}")
    with CaptureQueriesContext(connection) as many:
        assert c.get(url).status_code == 200
    assert len(many) == len(few)


def test_upload_endpoint_answers_json_and_keeps_nothing_on_failure(world, event_a, _media_root):
    c = client_for(world.user("a_liaison"))
    url = reverse("ledger:upload", args=[event_a.pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = SimpleUploadedFile("现场1.jpg", samples.jpeg(seed=21), content_type="image/jpeg")
    bad = SimpleUploadedFile("现场2.jpg", samples.HTML, content_type="image/jpeg")
    r = c.post(url, {"slot": "photo", "files": [good, bad]}, headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert "现场2.jpg" in r.json()["error"] and "均未保存" in r.json()["error"]
    assert EvidenceFile.objects.count() == 0 and files_under(_media_root) == []
    good.seek(0)
    r = c.post(url, {"slot": "photo", "files": [good]}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["ok"]
    assert EvidenceFile.objects.get().original_name == "现场1.jpg"


def test_review_flow_shows_the_reason_to_the_liaison(world, event_a):
    liaison, office = client_for(world.user("a_liaison")), client_for(world.user("a_office"))
    liaison.post(reverse("ledger:submit", args=[event_a.pk]), {"confirm": "1"})
    # A liaison cannot send back their own dossier.
    assert liaison.post(reverse("ledger:return", args=[event_a.pk]), {"reason": "x"}).status_code == 404
    office.post(reverse("ledger:return", args=[event_a.pk]), {"reason": "缺少活动现场照片"})
    page = liaison.get(reverse("ledger:detail", args=[event_a.pk])).content.decode()
    assert "已退回，原因：" in page and "缺少活动现场照片" in page


def test_every_template_renders(world, event_a, campaign_a):
    services.evidence_add(
        event=event_a, slot=Slot.PHOTO, uploads=[services.Upload("a.jpg", samples.jpeg(seed=31))], uploaded_by=None
    )
    c = client_for(world.user("a_office"))
    for url in (
        reverse("ledger:index"),
        reverse("ledger:index") + "?view=gallery",
        reverse("ledger:create") + f"?campaign={campaign_a.pk}",
        reverse("ledger:detail", args=[event_a.pk]),
        reverse("ledger:edit", args=[event_a.pk]),
        reverse("ledger:settings", args=[campaign_a.pk]),
    ):
        assert c.get(url).status_code == 200, url


def test_create_form_keeps_input_and_shows_chinese_errors(world, campaign_a):
    c = client_for(world.user("a_liaison"))
    r = c.post(
        reverse("ledger:create"),
        {
            "campaign": campaign_a.pk,
            "organization": world.dept_a.pk,
            "title": "读书分享会",
            "category": "study",
            "start_date": "2026-05-10",
            "end_date": "2026-05-01",
        },
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert "结束日期不能早于开始日期" in body and 'value="读书分享会"' in body


def test_dossier_page_queries_do_not_grow_with_its_files(world, event_a):
    c = client_for(world.user("a_liaison"))
    url = reverse("ledger:detail", args=[event_a.pk])
    services.evidence_add(
        event=event_a, slot=Slot.PHOTO, uploads=[services.Upload("1.jpg", samples.jpeg(seed=71))], uploaded_by=None
    )
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    services.evidence_add(
        event=event_a,
        slot=Slot.PHOTO,
        uploads=[services.Upload(f"{i}.jpg", samples.jpeg(seed=80 + i)) for i in range(8)],
        uploaded_by=None,
    )
    services.media_report_add(
        event=event_a, actor=None, outlet="某市日报", date=datetime.date(2026, 5, 13), title="报道"
    )
    with CaptureQueriesContext(connection) as many:
        assert c.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
