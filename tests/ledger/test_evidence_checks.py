"""Evidence checks on photos (issue 15): recycled photos, capture times, banner text, and who may see what.

Every image is generated here (tests/ledger/photo_samples.py); the banner is read by the real OCR package.
"""

from __future__ import annotations

import datetime
import itertools
import json
import sys
import threading
import time
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import route_by_purpose
from ledger import evidence_checks, evidence_selectors, evidence_services, services
from ledger.models import EventStatus, OcrStatus, PhotoCheck, PhotoDuplicate, Slot
from organizations.models import OrganizationKind, Role
from tests.conftest import build_world
from tests.factories import (
    CampaignFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    EventFactory,
    IndicatorFactory,
    ItemFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

from .photo_samples import NOTO_CJK, banner_photo, jpeg_bytes, recycled_copy, scene

pytestmark = pytest.mark.django_db

BANNER = "某市市场监督管理局 学雷锋志愿服务 2026年3月5日"


def member_of(unit, role: str):
    return MembershipFactory(user=UserFactory(), organization=unit, role=Role(role)).user


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def add_photo(django_capture_on_commit_callbacks):
    """Upload photos through the service; the on-commit hook runs the checks (eager Celery in tests)."""

    def add(event, name: str, data: bytes):
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = services.evidence_add(
                event=event, slot=Slot.PHOTO, uploads=[services.Upload(name, data)], uploaded_by=None
            )
        return row

    return add


def _dossier(campaign, org, title: str, **kw):
    return EventFactory(campaign=campaign, organization=org, title=title, start_date=datetime.date(2026, 3, 5), **kw)


# ----------------------------------------------------------------------------------------------
# 疑似重复
# ----------------------------------------------------------------------------------------------
def test_a_recycled_copy_in_another_dossier_of_the_unit_is_flagged_and_linked(world, campaign_a, add_photo):
    """GIVEN a photo in one dossier of unit A
    WHEN a re-encoded, resized, 3 % cropped copy is uploaded to another dossier of unit A
    THEN both photos are 疑似重复, each dossier page links the other, and the list filter finds both only."""
    original = scene(101)
    first = _dossier(campaign_a, world.dept_a, "三月学雷锋志愿服务")
    second = _dossier(campaign_a, world.unit_a, "四月文明交通劝导")
    clean = _dossier(campaign_a, world.unit_a, "五月道德讲堂")
    a = add_photo(first, "合影.jpg", jpeg_bytes(original, taken="2026:03:05 10:00:00"))
    b = add_photo(second, "合影-翻拍.jpg", jpeg_bytes(recycled_copy(original, crop=0.03, scale=0.6), quality=70))
    add_photo(clean, "讲堂.jpg", jpeg_bytes(scene(102), taken="2026:03:05 10:00:00"))

    pair = PhotoDuplicate.objects.get()
    assert {pair.first_id, pair.second_id} == {a.pk, b.pk}
    assert pair.same_unit

    office = client_for(world.user("a_office"))
    page = office.get(reverse("ledger:detail", args=[second.pk])).content.decode()
    assert 'data-testid="finding-duplicate"' in page
    assert reverse("ledger:detail", args=[first.pk]) in page and "三月学雷锋志愿服务" in page
    listed = office.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"].object_list
    assert {e.pk for e in listed} == {first.pk, second.pk}


def test_two_hundred_distinct_generated_photos_give_no_false_duplicate(settings):
    """Random shapes, gradients and noise per seed: no two of 200 photos lie within the duplicate distance."""
    photos = [scene(seed, size=(400, 300)) for seed in range(1000, 1200)]
    hashes = [evidence_checks.photo_hashes(jpeg_bytes(p)) for p in photos]
    limit = settings.EVIDENCE_DUPLICATE_MAX_DISTANCE
    close = [
        (i, j, evidence_checks.distance(a, b))
        for (i, a), (j, b) in itertools.combinations(enumerate(hashes), 2)
        if evidence_checks.is_near_duplicate(a, b, max_distance=limit)
    ]
    assert close == []
    # and each one's recycled copy is found again: the limit is not simply too tight
    for i in range(0, 200, 10):
        copy = evidence_checks.photo_hashes(jpeg_bytes(recycled_copy(photos[i]), quality=70))
        assert evidence_checks.is_near_duplicate(hashes[i], copy, max_distance=limit)


def test_hashing_many_files_in_threads_gives_the_same_hashes(tmp_path):
    """ec.hash_files (what the bench times on 2 cores) agrees with one-by-one hashing; an unreadable file is None."""
    paths = []
    for i in range(6):
        path = tmp_path / f"{i}.jpg"
        path.write_bytes(jpeg_bytes(scene(130 + i, size=(1600, 1200))))
        paths.append(path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    one_by_one = [evidence_checks.photo_hashes(p.read_bytes()) for p in paths]
    assert evidence_checks.hash_files([*paths, broken], workers=2) == [*one_by_one, None]
    assert evidence_checks.hash_files(paths, workers=1) == one_by_one


def test_the_same_photo_twice_in_one_dossier_is_not_a_duplicate_finding(world, campaign_a, add_photo):
    event = _dossier(campaign_a, world.dept_a, "同一档案")
    img = scene(103)
    add_photo(event, "一.jpg", jpeg_bytes(img, quality=90))
    add_photo(event, "二.jpg", jpeg_bytes(img, quality=60))
    assert not PhotoDuplicate.objects.exists()


# ----------------------------------------------------------------------------------------------
# A unit never learns anything about another unit's files
# ----------------------------------------------------------------------------------------------
def test_a_cross_unit_duplicate_is_shown_to_the_city_office_only(world, campaign_a, campaign_b, add_photo):
    """GIVEN the same photo in a dossier of unit A and one of unit B (planted title and file name)
    THEN the 文明办 sees the pair on A's dossier, with B's dossier linked;
    AND no page of unit A (dossier, list, duplicate filter, gallery) carries B's title, file name or ids."""
    img = scene(104)
    event_a = _dossier(campaign_a, world.dept_a, "甲单位植树活动")
    token = "乙单位PLANTED7Q4Z活动"
    event_b = _dossier(campaign_b, world.unit_b, token)
    photo_a = add_photo(event_a, "植树.jpg", jpeg_bytes(img, taken="2026:03:05 09:00:00"))
    photo_b = add_photo(event_b, "乙PLANTED-FILE.jpg", jpeg_bytes(recycled_copy(img), quality=75))
    pair = PhotoDuplicate.objects.get()
    assert not pair.same_unit

    city = client_for(world.user("city_office"))
    page = city.get(reverse("ledger:detail", args=[event_a.pk])).content.decode()
    assert token in page and reverse("ledger:detail", args=[event_b.pk]) in page
    assert {e.pk for e in city.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"]} == {
        event_a.pk,
        event_b.pk,
    }

    for actor in ("a_admin", "a_office", "a_leader", "a_liaison"):
        c = client_for(world.user(actor))
        pages = [
            c.get(reverse("ledger:detail", args=[event_a.pk])),
            c.get(reverse("ledger:index")),
            c.get(reverse("ledger:index"), {"evidence": "duplicate"}),
            c.get(reverse("ledger:index"), {"view": "gallery"}),
        ]
        for response in pages:
            assert response.status_code == 200
            text = response.content.decode()
            assert token not in text and "PLANTED" not in text
            assert reverse("ledger:detail", args=[event_b.pk]) not in text
            assert f"/files/{photo_b.pk}/" not in text
            assert 'data-testid="finding-duplicate"' not in text
            assert "疑似重复 1 张" not in text
        assert event_a.pk not in {e.pk for e in pages[2].context["page"]}
    # nor does unit B learn of unit A's photo
    b_page = client_for(world.user("b_office")).get(reverse("ledger:detail", args=[event_b.pk])).content.decode()
    assert "甲单位植树活动" not in b_page and f"/files/{photo_a.pk}/" not in b_page
    assert 'data-testid="finding-duplicate"' not in b_page


# ----------------------------------------------------------------------------------------------
# 拍摄时间不符
# ----------------------------------------------------------------------------------------------
def test_a_photo_taken_forty_days_after_the_activity_is_flagged(world, campaign_a, add_photo):
    event = _dossier(campaign_a, world.dept_a, "学雷锋志愿服务")  # 2026-03-05
    late = add_photo(event, "补拍.jpg", jpeg_bytes(scene(105), taken="2026:04:14 10:00:00"))
    on_time = add_photo(event, "当天.jpg", jpeg_bytes(scene(106), taken="2026:03:06 16:00:00"))
    assert PhotoCheck.objects.get(evidence_file=late).time_mismatch
    assert PhotoCheck.objects.get(evidence_file=late).time_note == "拍摄于活动结束后 40 天"
    assert not PhotoCheck.objects.get(evidence_file=on_time).time_mismatch  # 1 day after: within 3

    c = client_for(world.user("a_liaison"))
    page = c.get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert "拍摄时间不符：拍摄于活动结束后 40 天" in page
    other = _dossier(campaign_a, world.dept_a, "无问题的档案")
    add_photo(other, "好.jpg", jpeg_bytes(scene(107), taken="2026:03:05 10:00:00"))
    listed = {e.pk for e in c.get(reverse("ledger:index"), {"evidence": "time"}).context["page"]}
    assert listed == {event.pk}


def test_moving_the_activity_dates_recomputes_the_capture_time_finding(world, campaign_a, add_photo):
    event = _dossier(campaign_a, world.dept_a, "改期的活动")
    row = add_photo(event, "照片.jpg", jpeg_bytes(scene(108), taken="2026:04:14 10:00:00"))
    assert PhotoCheck.objects.get(evidence_file=row).time_mismatch
    services.event_update(
        event=event, actor=None, title=event.title, start_date=datetime.date(2026, 4, 13), category=event.category
    )
    assert not PhotoCheck.objects.get(evidence_file=row).time_mismatch


def test_capture_time_rules():
    tz = timezone.get_current_timezone()
    at = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=tz)
    kw = {"start": datetime.date(2026, 3, 5), "end": datetime.date(2026, 3, 6), "tolerance_days": 3}
    assert evidence_checks.capture_time_problem(at, uploaded_at=at, **kw) == "拍摄于活动结束后 4 天"
    assert evidence_checks.capture_time_problem(at - datetime.timedelta(days=1), uploaded_at=at, **kw) == ""
    early = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=tz)
    assert evidence_checks.capture_time_problem(early, uploaded_at=at, **kw) == "拍摄于活动开始前 4 天"
    assert evidence_checks.capture_time_problem(at, uploaded_at=at - datetime.timedelta(hours=1), **kw) == (
        "拍摄时间晚于上传时间"
    )
    assert evidence_checks.capture_time_problem(None, uploaded_at=at, **kw) == ""


# ----------------------------------------------------------------------------------------------
# 横幅文字 through the real OCR
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def market_unit(world):
    unit = OrganizationFactory(
        name="某市市场监督管理局",
        short_name="市市场监管局",
        code="t-scjg",
        kind=OrganizationKind.UNIT,
        parent=world.city,
    )
    campaign = CampaignFactory(unit=unit, title="某市市场监督管理局2026年度文明单位创建")
    return unit, campaign


def test_the_banner_gives_the_units_name_and_the_date_by_real_ocr(world, market_unit, add_photo, settings):
    """GIVEN a red banner "某市市场监督管理局 学雷锋志愿服务 2026年3月5日" in Noto CJK, rotated 5°, on a photo
    WHEN it is uploaded (OCR on)  THEN the unit's name and the date are found and ticked on the dossier page."""
    settings.EVIDENCE_OCR_ENABLED = True
    assert NOTO_CJK.exists(), "fonts-noto-cjk is needed to render the banner"
    unit, campaign = market_unit
    event = _dossier(campaign, unit, "学雷锋志愿服务")
    row = add_photo(event, "横幅.jpg", jpeg_bytes(banner_photo(BANNER, angle=5.0), taken="2026:03:05 09:30:00"))
    check = PhotoCheck.objects.get(evidence_file=row)
    assert check.ocr_status == OcrStatus.OK, check.ocr_note
    assert check.banner_unit_found and check.banner_unit_name == "某市市场监督管理局"
    assert check.banner_date_found and check.banner_date == datetime.date(2026, 3, 5)
    assert 0 < check.seconds < settings.EVIDENCE_OCR_TIMEOUT
    admin = member_of(unit, "office")
    page = client_for(admin).get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert "✓ 单位名称（某市市场监督管理局）" in page and "✓ 日期（2026年3月5日）" in page


def test_no_name_on_the_photo_is_only_a_note_and_an_alias_counts(world, market_unit, add_photo, settings):
    """No banner: "未识别到单位名称", not a flag. An alias the 创建办 adds is matched in the stored text."""
    settings.EVIDENCE_OCR_ENABLED = True
    unit, campaign = market_unit
    event = _dossier(campaign, unit, "道德讲堂")
    plain = add_photo(event, "会场.jpg", jpeg_bytes(scene(109), taken="2026:03:05 09:30:00"))
    assert PhotoCheck.objects.get(evidence_file=plain).ocr_status == OcrStatus.OK
    titled = add_photo(event, "挂牌.jpg", jpeg_bytes(banner_photo("市场监管所 道德讲堂", seed=8, angle=0)))
    check = PhotoCheck.objects.get(evidence_file=titled)
    assert check.ocr_status == OcrStatus.OK and not check.banner_unit_found

    office = client_for(member_of(unit, "office"))
    page = office.get(reverse("ledger:detail", args=[event.pk]))
    assert "未识别到单位名称" in page.content.decode()
    assert page.context["evidence_summary"].reasons == []  # nothing to send back for
    assert {e.pk for e in office.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"]} == set()

    url = reverse("ledger:banner_aliases", args=[campaign.pk])
    assert office.post(url, {"aliases": "市场监管所\n\n市场监管所"}).status_code == 302
    check.refresh_from_db()
    assert check.banner_unit_found and check.banner_unit_name == "市场监管所"


def test_without_the_ocr_package_the_findings_say_ocr_is_off(world, campaign_a, add_photo, settings, monkeypatch):
    """The package missing (its import cannot be found) or OCR switched off: hashing and time still work."""
    settings.EVIDENCE_OCR_ENABLED = True
    monkeypatch.setattr(evidence_checks, "OCR_PACKAGE", "rapidocr_onnxruntime_not_installed")
    event = _dossier(campaign_a, world.dept_a, "无 OCR")
    row = add_photo(event, "横幅.jpg", jpeg_bytes(banner_photo(BANNER), taken="2026:04:30 10:00:00"))
    check = PhotoCheck.objects.get(evidence_file=row)
    assert check.ocr_status == OcrStatus.DISABLED and check.ocr_note == "OCR 未启用"
    assert check.phash and check.time_mismatch
    page = client_for(world.user("a_office")).get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert "横幅文字：OCR 未启用" in page

    monkeypatch.undo()
    settings.EVIDENCE_OCR_ENABLED = False
    again = evidence_services.photo_check_run(evidence_id=row.pk)
    assert again.ocr_status == OcrStatus.DISABLED and again.ocr_note == "OCR 未启用"


def test_an_ocr_import_that_fails_leaves_everything_else_working(world, campaign_a, add_photo, settings, monkeypatch):
    """GIVEN OCR switched on but its package not importable (sys.modules blocks the import, as if not installed)
    WHEN photos are uploaded, pages opened, the list filtered and the command run
    THEN every page answers, hashes and capture times still give their findings, and each photo says OCR 未启用."""
    settings.EVIDENCE_OCR_ENABLED = True
    monkeypatch.setitem(sys.modules, evidence_checks.OCR_PACKAGE, None)
    with pytest.raises(ImportError):
        __import__(evidence_checks.OCR_PACKAGE)
    assert not evidence_services.ocr_enabled()
    img = scene(115)
    first = _dossier(campaign_a, world.dept_a, "无 OCR 一")
    second = _dossier(campaign_a, world.dept_a, "无 OCR 二")
    a = add_photo(first, "横幅.jpg", jpeg_bytes(banner_photo(BANNER), taken="2026:04:30 10:00:00"))
    add_photo(second, "原图.jpg", jpeg_bytes(img, taken="2026:03:05 10:00:00"))
    add_photo(first, "翻拍.jpg", jpeg_bytes(recycled_copy(img), quality=70))
    assert PhotoCheck.objects.count() == 3
    assert set(PhotoCheck.objects.values_list("ocr_status", "ocr_note")) == {(OcrStatus.DISABLED, "OCR 未启用")}
    assert PhotoCheck.objects.get(evidence_file=a).time_mismatch and PhotoDuplicate.objects.count() == 1

    for actor in ("a_office", "a_liaison"):
        c = client_for(world.user(actor))
        page = c.get(reverse("ledger:detail", args=[first.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('data-testid="finding-ocr-off"') == 2 and "横幅文字：OCR 未启用" in html
        assert 'data-testid="finding-duplicate"' in html and 'data-testid="finding-time"' in html
        assert c.get(reverse("ledger:index"), {"view": "gallery"}).status_code == 200
        assert {e.pk for e in c.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"]} == {
            first.pk,
            second.pk,
        }
    out = StringIO()
    call_command("scan_evidence", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["checked"] == 3 and summary["ocr_ok"] == 0 and summary["duplicates"] == 1


def test_an_ocr_package_that_cannot_load_counts_as_not_installed(
    world, campaign_a, add_photo, settings, monkeypatch, tmp_path
):
    """GIVEN rapidocr "installed" but failing at import in the OCR child (as opencv does without libgl1 in a
    slim image: a stand-in package earlier on PYTHONPATH raises that ImportError)
    THEN the photo says OCR 未启用 with the reason, not 文字识别失败, and the other checks stand."""
    settings.EVIDENCE_OCR_ENABLED = True
    fake = tmp_path / "site" / evidence_checks.OCR_PACKAGE
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise ImportError("libGL.so.1: cannot open shared object file: No such file or directory")\n'
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    event = _dossier(campaign_a, world.dept_a, "OCR 装了用不了")
    row = add_photo(event, "横幅.jpg", jpeg_bytes(banner_photo(BANNER), taken="2026:04:30 10:00:00"))
    check = PhotoCheck.objects.get(evidence_file=row)
    assert check.ocr_status == OcrStatus.DISABLED, check.ocr_note
    assert check.ocr_note.startswith("OCR 未启用（rapidocr-onnxruntime 无法加载：ImportError: libGL.so.1")
    assert check.phash and check.time_mismatch and not check.banner_unit_found
    page = client_for(world.user("a_office")).get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert "横幅文字：OCR 未启用（rapidocr-onnxruntime 无法加载" in page


def test_a_photo_over_the_ocr_time_limit_is_skipped_with_a_note(world, campaign_a, add_photo, settings):
    settings.EVIDENCE_OCR_ENABLED = True
    settings.EVIDENCE_OCR_TIMEOUT = 0.3  # the child process cannot even load its models in that time
    event = _dossier(campaign_a, world.dept_a, "超时")
    row = add_photo(event, "大图.jpg", jpeg_bytes(banner_photo(BANNER)))
    check = PhotoCheck.objects.get(evidence_file=row)
    assert check.ocr_status == OcrStatus.TIMEOUT
    assert check.ocr_note == "文字识别超过 0.3 秒，已跳过"
    assert check.phash  # the rest of the checks still ran
    page = client_for(world.user("a_office")).get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert "文字识别超过 0.3 秒，已跳过" in page


def test_one_ocr_slot_per_worker_host(tmp_path):
    """With one slot, a second photo waits while the first is read (here: gives up after its wait)."""
    held = threading.Event()
    release = threading.Event()

    def first() -> None:
        with evidence_checks.ocr_slot(1, lock_dir=str(tmp_path)):
            held.set()
            release.wait(5)

    t = threading.Thread(target=first)
    t.start()
    assert held.wait(5)
    with pytest.raises(TimeoutError), evidence_checks.ocr_slot(1, lock_dir=str(tmp_path), wait=0.3):
        pass
    with evidence_checks.ocr_slot(2, lock_dir=str(tmp_path), wait=0.3):
        pass  # a second slot, when configured, is free
    release.set()
    t.join()
    with evidence_checks.ocr_slot(1, lock_dir=str(tmp_path), wait=0.3):
        pass


def test_the_task_goes_to_the_ocr_queue(settings):
    settings.TASK_QUEUES = {"default": "q-default", "pdf": "q-pdf", "ocr": "q-ocr", "notify": "q-notify"}
    assert route_by_purpose("ledger.tasks.check_photo_ocr", (), {}, {}) == {"queue": "q-ocr"}


# ----------------------------------------------------------------------------------------------
# Review and the command
# ----------------------------------------------------------------------------------------------
def test_the_reviewer_returns_a_dossier_in_one_click_with_a_finding_as_reason(world, campaign_a, add_photo):
    event = _dossier(campaign_a, world.dept_a, "待审核的档案")
    add_photo(event, "补拍.jpg", jpeg_bytes(scene(110), taken="2026:04:14 10:00:00"))
    event = services.event_submit(event=event, actor=None)
    office = client_for(world.user("a_office"))
    page = office.get(reverse("ledger:detail", args=[event.pk]))
    (reason,) = page.context["evidence_summary"].reasons
    assert reason == "图片“补拍.jpg”拍摄于活动结束后 40 天，与活动时间不符，请核实。"
    html = page.content.decode()
    assert 'data-testid="return-with-finding"' in html and f'value="{reason}"' in html
    # the liaison sees the finding but not the review buttons
    liaison_page = client_for(world.user("a_liaison")).get(reverse("ledger:detail", args=[event.pk]))
    assert "拍摄时间不符" in liaison_page.content.decode()
    assert 'data-testid="return-with-finding"' not in liaison_page.content.decode()

    assert office.post(reverse("ledger:return", args=[event.pk]), {"reason": reason}).status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.RETURNED and event.return_reason == reason


def test_findings_on_each_photo_for_the_liaison_and_office_and_in_the_review(world, campaign_a, add_photo):
    """GIVEN a dossier of 甲办公室 with a recycled photo (its original in another dossier of unit A, which the
    liaison cannot open) and a photo taken 40 days late, submitted for review
    THEN the liaison and the 创建办 each see the badges under the photos they concern, the list filters find the
    dossier for both, and the 创建办's review lists both findings, each returning the dossier in one click."""
    img = scene(116)
    elsewhere = _dossier(campaign_a, world.unit_a, "单位本级的档案")
    add_photo(elsewhere, "原图.jpg", jpeg_bytes(img, taken="2026:03:05 10:00:00"))
    event = _dossier(campaign_a, world.dept_a, "办公室的档案")
    add_photo(event, "旧图.jpg", jpeg_bytes(recycled_copy(img), quality=70))
    add_photo(event, "补拍.jpg", jpeg_bytes(scene(117), taken="2026:04:14 10:00:00"))
    add_photo(event, "正常.jpg", jpeg_bytes(scene(118), taken="2026:03:05 11:00:00"))
    event = services.event_submit(event=event, actor=None)

    def badges(html: str) -> dict[str, list[str]]:
        """data-testid of the findings under each photo, by the photo's file name."""
        out = {}
        for chunk in html.split('data-testid="evidence-item"')[1:]:
            name = next(n for n in ("旧图.jpg", "补拍.jpg", "正常.jpg") if n in chunk.split("下载")[0])
            out[name] = [t for t in ("finding-duplicate", "finding-time") if f'data-testid="{t}"' in chunk]
        return out

    liaison = client_for(world.user("a_liaison"))
    office = client_for(world.user("a_office"))
    liaison_html = liaison.get(reverse("ledger:detail", args=[event.pk])).content.decode()
    office_page = office.get(reverse("ledger:detail", args=[event.pk]))
    office_html = office_page.content.decode()
    expected = {"旧图.jpg": ["finding-duplicate"], "补拍.jpg": ["finding-time"], "正常.jpg": []}
    assert badges(liaison_html) == expected and badges(office_html) == expected
    assert "与本单位其他档案中的一张图片相同或相近" in liaison_html  # the liaison cannot open that dossier
    assert reverse("ledger:detail", args=[elsewhere.pk]) not in liaison_html
    assert "单位本级的档案" in office_html  # the 创建办 can, so it is linked
    for c in (liaison, office):
        assert event.pk in {e.pk for e in c.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"]}
        assert {e.pk for e in c.get(reverse("ledger:index"), {"evidence": "time"}).context["page"]} == {event.pk}
    assert 'data-testid="review-findings"' not in liaison_html

    reasons = office_page.context["evidence_summary"].reasons
    assert reasons == [
        "图片“旧图.jpg”与其他档案中的图片疑似重复，请核实并更换为本次活动的照片。",
        "图片“补拍.jpg”拍摄于活动结束后 40 天，与活动时间不符，请核实。",
    ]
    review = office_html.split('data-testid="review-findings"')[1].split("</ul>")[0]
    assert review.count('data-testid="return-with-finding"') == 2
    assert all(f'value="{r}"' in review and f"<span>{r}</span>" in review for r in reasons)
    assert office.post(reverse("ledger:return", args=[event.pk]), {"reason": reasons[0]}).status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.RETURNED and event.return_reason == reasons[0]


def test_one_dossier_counts_for_each_criterion_it_is_tagged_to_without_a_second_upload(world, campaign_a, add_photo):
    """GIVEN two criteria each needing one dossier with 2 photos, and one dossier with 2 photos tagged to both
    THEN both criteria are met by it, the coverage page lists it under each and says so, and its 2 photos are
    all the files there are (nothing was uploaded twice)."""
    from evaluation.selectors import coverage_for
    from evaluation.services import assessment_create
    from ledger.models import EvidenceFile

    system = EvaluationSystemFactory(name="测试测评体系")
    indicator = IndicatorFactory(item=ItemFactory(system=system, code="1"), code="1.1")
    rule = {"rule_min_dossiers": 1, "rule_min_photos": 2}
    c1 = CriterionFactory(indicator=indicator, code="1.1.1", text="开展学雷锋志愿服务", **rule)
    c2 = CriterionFactory(indicator=indicator, code="1.1.2", text="开展文明实践活动", **rule)
    c3 = CriterionFactory(indicator=indicator, code="1.1.3", text="开展道德讲堂", **rule)
    assessment_create(campaign=campaign_a, system=system, name="第一轮")
    today = timezone.localdate()
    event = EventFactory(campaign=campaign_a, organization=world.dept_a, title="一次活动两处计分", start_date=today)
    other = EventFactory(campaign=campaign_a, organization=world.dept_a, title="只计一处的活动", start_date=today)
    for e in (event, other):
        add_photo(e, f"{e.pk}-一.jpg", jpeg_bytes(scene(120 + e.pk)))
        add_photo(e, f"{e.pk}-二.jpg", jpeg_bytes(scene(220 + e.pk)))
    c1.events.add(event)
    c2.events.add(event)
    c3.events.add(other)
    cov = coverage_for(campaign_a, [c1, c2, c3])
    assert [cov[c.pk].met for c in (c1, c2, c3)] == [True, True, True]
    assert [[e.pk for e in cov[c.pk].events] for c in (c1, c2)] == [[event.pk], [event.pk]]
    assert EvidenceFile.objects.filter(event=event).count() == 2

    page = client_for(world.user("a_office")).get(reverse("evaluation:coverage", args=[campaign_a.pk, system.pk]))
    html = page.content.decode()
    note = html.split('data-testid="shared-dossier-note">')[1].split("</p>")[0]
    assert (
        note
        == "一份档案关联多条测评标准时，在每条标准下都计入，无需再次上传材料；本体系中有 1 份档案同时计入多条标准。"
    )
    codes = ("1.1.1", "1.1.2", "1.1.3")
    rows = {code: html.split(f'data-testid="coverage-{code}"')[1].split("</tr>")[0] for code in codes}
    for code in ("1.1.1", "1.1.2"):
        assert "一次活动两处计分" in rows[code] and "同时计入 2 条标准" in rows[code] and "已满足" in rows[code]
    assert "只计一处的活动" in rows["1.1.3"] and "同时计入" not in rows["1.1.3"]


def test_scan_evidence_rescans_one_campaign_as_json(world, campaign_a, campaign_b, add_photo, settings):
    img = scene(111)
    add_photo(_dossier(campaign_a, world.dept_a, "一"), "一.jpg", jpeg_bytes(img, taken="2026:04:14 10:00:00"))
    add_photo(_dossier(campaign_a, world.unit_a, "二"), "二.jpg", jpeg_bytes(recycled_copy(img), quality=70))
    add_photo(_dossier(campaign_b, world.unit_b, "乙"), "乙.jpg", jpeg_bytes(scene(112)))
    PhotoCheck.objects.all().delete()
    PhotoDuplicate.objects.all().delete()
    out = StringIO()
    call_command("scan_evidence", "--campaign", str(campaign_a.pk), "--json", "--no-ocr", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["photos"] == 2 and summary["checked"] == 2
    assert summary["duplicates"] == 1 and summary["time_mismatch"] == 1
    assert PhotoCheck.objects.count() == 2  # unit B's photo was not part of the scan
    err = StringIO()
    with pytest.raises(Exception, match="没有 ID 为 999999 的创建活动"):
        call_command("scan_evidence", "--campaign", "999999", stderr=err)


def test_banner_alias_page_refuses_bad_input_in_chinese(world, campaign_a):
    office = client_for(world.user("a_office"))
    url = reverse("ledger:banner_aliases", args=[campaign_a.pk])
    r = office.post(url, {"aliases": "长" * 101})
    assert r.status_code == 400 and "过长" in r.content.decode()
    assert client_for(world.user("a_liaison")).get(url).status_code == 404


# ----------------------------------------------------------------------------------------------
# Banner text matching (pure)
# ----------------------------------------------------------------------------------------------
def test_names_and_dates_in_ocr_text():
    names = ["某市市场监督管理局", "市市场监管局"]
    assert evidence_checks.find_name("某市市场监督管理局学雷锋志愿服务", names) == "某市市场监督管理局"
    assert evidence_checks.find_name("某 市 市场监督 管理局", names) == "某市市场监督管理局"
    assert evidence_checks.find_name("某市市场监督管埋局 学雷锋", names) == "某市市场监督管理局"  # one misread
    assert evidence_checks.find_name("某市生态环境局学雷锋", names) == ""
    found = evidence_checks.find_dates("2026年3月5日 ２０２６．３．６ 二〇二六年三月七日 2026年2月30日")
    assert found == [datetime.date(2026, 3, 5), datetime.date(2026, 3, 6), datetime.date(2026, 3, 7)]


def test_finding_counts_per_unit_for_the_city_office(world, campaign_a, campaign_b, add_photo):
    img = scene(113)
    add_photo(_dossier(campaign_a, world.dept_a, "甲一"), "甲.jpg", jpeg_bytes(img, taken="2026:04:14 10:00:00"))
    add_photo(_dossier(campaign_b, world.unit_b, "乙一"), "乙.jpg", jpeg_bytes(recycled_copy(img), quality=70))
    city = evidence_selectors.finding_counts_by_unit(world.user("city_office"))
    assert city == {
        world.unit_a.pk: {"duplicates": 1, "time_mismatch": 1},
        world.unit_b.pk: {"duplicates": 1, "time_mismatch": 0},
    }
    # unit A's own view: its time finding, and no trace of the cross-unit pair or of unit B
    assert evidence_selectors.finding_counts_by_unit(world.user("a_office")) == {
        world.unit_a.pk: {"duplicates": 0, "time_mismatch": 1}
    }


def test_a_district_office_is_not_told_of_a_pair_with_a_unit_outside_its_district(world, campaign_a, add_photo):
    """GIVEN a district 文明办 under the city with its own unit C, and the same photo in unit A and in unit C
    THEN the city office counts and sees the pair; the district office sees C's photo, but no duplicate finding,
    no count and no filter hit for it, since the other photo lies outside its district."""
    district = OrganizationFactory(
        name="某区文明办", code="t-district", kind=OrganizationKind.OFFICE, parent=world.city
    )
    unit_c = OrganizationFactory(name="丙单位", code="t-c", kind=OrganizationKind.UNIT, parent=district)
    district_user = member_of(district, "office")
    img = scene(119)
    add_photo(_dossier(campaign_a, world.dept_a, "甲的活动"), "甲.jpg", jpeg_bytes(img))
    event_c = _dossier(CampaignFactory(unit=unit_c), unit_c, "丙的活动")
    add_photo(event_c, "丙.jpg", jpeg_bytes(recycled_copy(img), quality=70))
    assert not PhotoDuplicate.objects.get().same_unit

    city = evidence_selectors.finding_counts_by_unit(world.user("city_office"))
    assert city[unit_c.pk]["duplicates"] == 1 and city[world.unit_a.pk]["duplicates"] == 1
    assert evidence_selectors.finding_counts_by_unit(district_user).get(unit_c.pk, {}).get("duplicates", 0) == 0
    c = client_for(district_user)
    page = c.get(reverse("ledger:detail", args=[event_c.pk])).content.decode()
    assert "丙.jpg" in page and 'data-testid="finding-duplicate"' not in page and "甲的活动" not in page
    assert {e.pk for e in c.get(reverse("ledger:index"), {"evidence": "duplicate"}).context["page"]} == set()
    city_page = client_for(world.user("city_office")).get(reverse("ledger:detail", args=[event_c.pk])).content
    assert 'data-testid="finding-duplicate"' in city_page.decode()


@pytest.mark.worker
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL not set")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_checks_the_photo_after_the_upload_commits(celery_worker):
    world = build_world()
    event = _dossier(CampaignFactory(unit=world.unit_a), world.dept_a, "真实 worker")
    (row,) = services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[services.Upload("合影.jpg", jpeg_bytes(scene(114), taken="2026:04:14 10:00:00"))],
        uploaded_by=None,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not PhotoCheck.objects.filter(evidence_file=row).exists():
        time.sleep(0.2)
    check = PhotoCheck.objects.get(evidence_file=row)
    assert check.phash and check.time_mismatch and check.ocr_status == OcrStatus.DISABLED
