"""整改事项的佐证文件: checked like dossier evidence, stored under a generated name, served only by the scoped view.

Through the real form and view (test client as each role), the real storage on disk and PostgreSQL.
"""

from __future__ import annotations

import errno
import hashlib
import io
import re

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation import services
from evaluation.models import RectificationItem
from ledger.uploads import check_file
from tests.factories import CampaignFactory
from tests.ledger import samples
from tests.ledger.conftest import files_under

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world):
    return CampaignFactory(unit=world.unit_a)


def _post_new(client, campaign, name: str, data: bytes, **extra):
    return client.post(
        reverse("evaluation:rectification_create", args=[campaign.pk]),
        {"problem": "宣传栏未更新", "status": "pending", "proof_file": SimpleUploadedFile(name, data), **extra},
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("整改.html", samples.HTML, "“整改.html”未上传：不允许上传网页、SVG 或脚本文件。"),
        ("整改.svg", samples.SVG, "“整改.svg”未上传：不允许上传网页、SVG 或脚本文件。"),
        ("整改.exe", samples.EXE, "“整改.exe”未上传：不允许上传可执行程序或脚本。"),
        ("整改照片.jpg", samples.HTML, "“整改照片.jpg”未上传：不允许上传网页（HTML）文件。"),
        (
            "整改.png",
            samples.image("PNG") + samples.HTML,
            "“整改.png”未上传：文件中夹带网页或脚本代码（疑似伪装文件）。",
        ),
        (
            "整改.pdf",
            samples.pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >>"),
            "“整改.pdf”未上传：PDF 中含有脚本或嵌入文件，请另存为普通 PDF 后再上传。",
        ),
    ],
)
def test_a_dangerous_proof_file_is_refused_with_its_message_and_nothing_is_kept(
    client, world, campaign, _media_root, name, data, message
):
    client.force_login(world.user("a_office"))
    response = _post_new(client, campaign, name, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RectificationItem.objects.exists()
    assert files_under(_media_root) == []


def test_an_empty_proof_file_is_refused_in_chinese(client, world, campaign, _media_root):
    client.force_login(world.user("a_office"))
    response = _post_new(client, campaign, "整改.pdf", b"")
    assert "佐证文件为空（0 字节）。" in response.content.decode()
    assert not RectificationItem.objects.exists()


def test_a_good_proof_is_stored_under_a_generated_name_with_its_facts(client, world, campaign, _media_root):
    client.force_login(world.user("a_office"))
    data = samples.pdf("proof")
    response = _post_new(client, campaign, "整改报告（终稿）.pdf", data)
    assert response.status_code == 302
    item = RectificationItem.objects.get()
    assert item.proof_file_name == "整改报告（终稿）.pdf"
    assert item.proof_file_sha256 == hashlib.sha256(data).hexdigest()
    assert item.proof_file_size == len(data)
    assert item.proof_file_content_type == "application/pdf"
    assert re.fullmatch(r"evaluation/rectification/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", item.proof_file.name)
    [stored] = files_under(_media_root)
    assert stored.read_bytes() == data


@pytest.mark.parametrize(
    ("name", "data", "content_type", "disposition"),
    [
        ("整改现场.jpg", samples.jpeg(seed=3), "image/jpeg", "inline"),
        ("整改报告.pdf", samples.pdf("proof"), "application/pdf", "inline"),
        (
            "整改说明.docx",
            samples.docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "attachment",
        ),
        ("<说明>.txt", "<整改说明>\njavascript: 只是文字\n".encode(), "text/plain; charset=utf-8", "attachment"),
    ],
)
def test_the_proof_is_served_by_the_scoped_view_with_safe_headers(
    client, world, campaign, name, data, content_type, disposition
):
    """GIVEN an entry of unit A with a proof WHEN each role fetches it THEN A's readers get the bytes with an
    RFC 6266 UTF-8 name, nosniff and inline only for images/PDF; unit B's people get 404."""
    checked = check_file(name, data)
    item = services.rectification_create(campaign=campaign, problem="宣传栏未更新", proof=checked)
    url = reverse("evaluation:rectification_proof", args=[item.pk])
    client.force_login(world.user("a_liaison"))
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith(f"{disposition}; filename")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert content_type == "application/pdf" or "sandbox" in response["Content-Security-Policy"]
    for outsider in ("b_admin", "b_office", "b_liaison"):
        client.force_login(world.user(outsider))
        assert client.get(url).status_code == 404


def test_an_entry_without_proof_answers_404(client, world, campaign):
    item = services.rectification_create(campaign=campaign, problem="宣传栏未更新")
    client.force_login(world.user("a_office"))
    assert client.get(reverse("evaluation:rectification_proof", args=[item.pk])).status_code == 404


def test_a_file_stored_before_the_checker_is_only_ever_a_download(client, world, campaign, _media_root):
    """An entry saved by the old field (user's name on disk, no SHA-256) is sent as an opaque download."""
    item = services.rectification_create(campaign=campaign, problem="旧数据")
    legacy = _media_root / "evaluation/rectification/2025"
    legacy.mkdir(parents=True)
    (legacy / "evil.html").write_bytes(samples.HTML)
    RectificationItem.objects.filter(pk=item.pk).update(proof_file="evaluation/rectification/2025/evil.html")
    client.force_login(world.user("a_office"))
    response = client.get(reverse("evaluation:rectification_proof", args=[item.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_links_in_the_list_and_form_go_to_the_scoped_view_never_to_media(client, world, campaign):
    item = services.rectification_create(
        campaign=campaign, problem="宣传栏未更新", proof=check_file("整改报告.pdf", samples.pdf("p"))
    )
    proof_url = reverse("evaluation:rectification_proof", args=[item.pk])
    client.force_login(world.user("a_office"))
    for page in (
        reverse("evaluation:rectification_list", args=[campaign.pk]),
        reverse("evaluation:rectification_edit", args=[item.pk]),
    ):
        html = client.get(page).content.decode()
        assert f'href="{proof_url}"' in html
        assert "/media/" not in html
    assert "整改报告.pdf" in client.get(reverse("evaluation:rectification_edit", args=[item.pk])).content.decode()
    export = client.get(reverse("evaluation:rectification_export", args=[campaign.pk]))
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in row]
    assert any(isinstance(v, str) and "整改报告.pdf" in v for v in cells)


def test_replacing_and_removing_the_proof_cleans_storage_after_commit(
    client, world, campaign, _media_root, django_capture_on_commit_callbacks
):
    client.force_login(world.user("a_office"))
    first = samples.pdf("first")
    _post_new(client, campaign, "第一版.pdf", first)
    item = RectificationItem.objects.get()
    edit = reverse("evaluation:rectification_edit", args=[item.pk])
    second = samples.jpeg(seed=9)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit,
            {
                "problem": "宣传栏未更新",
                "status": "in_progress",
                "proof_file": SimpleUploadedFile("第二版.jpg", second),
            },
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.proof_file_name, item.proof_file_sha256) == ("第二版.jpg", hashlib.sha256(second).hexdigest())
    assert [p.read_bytes() for p in files_under(_media_root)] == [second]

    # A refused replacement keeps the current proof.
    response = client.post(
        edit,
        {"problem": "宣传栏未更新", "status": "in_progress", "proof_file": SimpleUploadedFile("x.svg", samples.SVG)},
    )
    assert response.status_code == 200 and "不允许上传网页、SVG 或脚本文件。" in response.content.decode()
    item.refresh_from_db()
    assert item.proof_file_name == "第二版.jpg"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, {"problem": "宣传栏未更新", "status": "done", "proof_file_clear": "on"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.proof_file and item.proof_file_name == "" and item.proof_file_sha256 == ""
    assert files_under(_media_root) == []


def test_a_reader_who_may_not_change_cannot_upload_a_proof(client, world, campaign, _media_root):
    item = services.rectification_create(campaign=campaign, problem="宣传栏未更新")
    client.force_login(world.user("a_liaison"))
    response = client.post(
        reverse("evaluation:rectification_edit", args=[item.pk]),
        {"problem": "宣传栏未更新", "status": "pending", "proof_file": SimpleUploadedFile("a.pdf", samples.pdf())},
    )
    assert response.status_code == 403
    assert files_under(_media_root) == []


def test_the_model_field_cannot_be_filled_by_a_form_or_the_admin():
    """Only the service writes proof_file: a ModelForm (the admin's included) never offers it."""
    field = RectificationItem._meta.get_field("proof_file")
    assert field.editable is False


class DiskFull(FileSystemStorage):
    """A real storage on disk that fills up half-way through every file."""

    def _save(self, name, content):
        data = content.read()
        super()._save(name, ContentFile(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_storage_failure_leaves_no_entry_and_no_half_file(client, world, campaign, settings, _media_root):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.DiskFull"}}
    client.force_login(world.user("a_office"))
    response = _post_new(client, campaign, "整改报告.pdf", samples.pdf("proof"))
    assert response.status_code == 200
    assert "佐证文件保存失败（存储空间不可用），本次修改未保存，请稍后重试或联系管理员。" in response.content.decode()
    assert not RectificationItem.objects.exists()
    assert files_under(_media_root) == []
