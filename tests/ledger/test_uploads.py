"""Safe uploads: type by content, the bad-input corpus, all-or-nothing batches."""

from __future__ import annotations

import hashlib
import re

import pytest

from ledger import services
from ledger.models import EvidenceFile, Slot
from ledger.uploads import UploadRefused, check_file

from . import samples
from .conftest import files_under

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ONE_MB = 1024 * 1024
EXPECTED_REASON = {
    "html-renamed-jpg": "网页",
    "png-html-polyglot": "伪装",
    "svg-with-script": "SVG",
    "svg-renamed-png": "SVG",
    "exe-renamed-pdf": "可执行",
    "zero-bytes": "为空",
    "oversize": "过大",
    "png-30000x30000": "解压炸弹",
    "zip-bomb-docx": "压缩炸弹",
    "traversal": "路径",
    "traversal-backslash": "路径",
    "300-char-name": "过长",
    "plain-zip": "压缩包",
    "zip-renamed-docx": "压缩包",
    "script-renamed-txt": "脚本",
}


@pytest.mark.parametrize(
    "case", samples.bad_corpus(oversize_bytes=21 * ONE_MB), ids=[c[0] for c in samples.bad_corpus(21 * ONE_MB)]
)
@pytest.mark.django_db
def test_bad_input_is_refused_leaving_no_row_and_no_file(case, event_a, world, upload, _media_root):
    """GIVEN a dossier and a batch of a good photo followed by one bad file
    WHEN the batch is added
    THEN it is refused with a Chinese message, and neither a row nor a file is left under MEDIA_ROOT."""
    _case_id, name, data = case
    with pytest.raises((UploadRefused, services.LedgerError)) as exc:
        services.evidence_add(
            event=event_a,
            slot=Slot.PHOTO,
            uploads=[upload("好照片.jpg", samples.jpeg(seed=1)), upload(name, data)],
            uploaded_by=world.user("a_liaison"),
        )
    assert CHINESE.search(str(exc.value)), str(exc.value)
    assert EXPECTED_REASON[_case_id] in str(exc.value)
    assert EvidenceFile.objects.count() == 0
    assert files_under(_media_root) == []


@pytest.mark.django_db
def test_a_real_sample_of_every_allowed_type_is_accepted(event_a, world, upload, _media_root):
    batch = samples.every_allowed_type()
    rows = services.evidence_add(
        event=event_a,
        slot=Slot.OTHER,
        uploads=[upload(n, d) for n, d in batch],
        uploaded_by=world.user("a_liaison"),
    )
    assert [r.detected_type for r in rows] == [
        "jpg",
        "png",
        "webp",
        "gif",
        "pdf",
        "docx",
        "xlsx",
        "pptx",
        "doc",
        "xls",
        "ppt",
        "txt",
        "mp4",
    ]
    stored = files_under(_media_root)
    assert len(stored) == len(batch)
    for row, (name, data) in zip(rows, batch, strict=True):
        assert row.original_name == name
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        assert row.size == len(data)
        # Stored under a generated name: nothing of the user's name reaches the disk.
        assert name.rsplit(".", 1)[0] not in row.file.name
        assert re.fullmatch(r"ledger/\d{4}/\d{2}/[0-9a-f]{32}\.\w+", row.file.name)
        with row.file.open("rb") as fh:
            assert fh.read() == data
    jpg = rows[0]
    assert (jpg.width, jpg.height) == (64, 48)
    assert jpg.taken_at is not None and jpg.taken_at.strftime("%Y-%m-%d %H:%M") == "2026-05-12 09:30"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("照片.png", samples.jpeg()),  # JPEG content, PNG name
        ("方案.docx", samples.xlsx()),  # a workbook named as a Word file
        ("通知.pdf", samples.docx()),
        ("签到.txt", samples.pdf()),
        ("旧版.doc", samples.jpeg()),
        ("视频.mp4", samples.pdf()),
        ("照片.mp4", samples.mp4().replace(b"ftypisom", b"ftypheic")),  # an iPhone HEIC photo named .mp4
    ],
)
def test_content_must_agree_with_the_extension(name, data):
    with pytest.raises(UploadRefused, match="不符"):
        check_file(name, data)


def test_macro_documents_are_refused():
    with pytest.raises(UploadRefused, match="宏"):
        check_file("通知.docm", samples.docx())


def test_pdf_with_javascript_is_refused():
    data = samples.pdf().replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    )
    with pytest.raises(UploadRefused, match="脚本"):
        check_file("方案.pdf", data)


@pytest.mark.django_db
def test_duplicates_in_a_dossier_are_detected_by_sha256(event_a, world, upload, _media_root):
    photo = samples.jpeg(seed=5)
    services.evidence_add(
        event=event_a, slot=Slot.PHOTO, uploads=[upload("a.jpg", photo)], uploaded_by=world.user("a_liaison")
    )
    with pytest.raises(UploadRefused, match="重复"):
        services.evidence_add(
            event=event_a, slot=Slot.PHOTO, uploads=[upload("另一个名字.jpg", photo)], uploaded_by=None
        )
    with pytest.raises(UploadRefused, match="相同"):
        services.evidence_add(
            event=event_a,
            slot=Slot.PHOTO,
            uploads=[upload("b.jpg", samples.jpeg(seed=6)), upload("c.jpg", samples.jpeg(seed=6))],
            uploaded_by=None,
        )
    assert EvidenceFile.objects.count() == 1
    assert len(files_under(_media_root)) == 1


@pytest.mark.django_db
def test_dossier_size_limit_is_configurable(event_a, world, upload, _media_root):
    services.ledger_settings_update(campaign=event_a.campaign, review_enabled=True, max_dossier_mb=1)
    big = b"x" * (600 * 1024)
    services.evidence_add(event=event_a, slot=Slot.OTHER, uploads=[upload("a.txt", big)], uploaded_by=None)
    with pytest.raises(services.LedgerError, match="MB"):
        services.evidence_add(event=event_a, slot=Slot.OTHER, uploads=[upload("b.txt", big + b"y")], uploaded_by=None)
    assert EvidenceFile.objects.count() == 1
    assert len(files_under(_media_root)) == 1


def test_file_size_limit_follows_the_setting(settings):
    settings.LEDGER_MAX_FILE_MB = 1
    with pytest.raises(UploadRefused, match="过大"):
        check_file("说明.txt", b"a" * (ONE_MB + 1))
    assert check_file("说明.txt", b"a" * ONE_MB).detected_type == "txt"
