"""How many files one upload may carry: the limit is named in Chinese on every path, never a bare 400 or 500."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evaluation.models import RectificationItem
from ledger.models import EvidenceFile
from tests.factories import CampaignFactory

from .conftest import files_under

pytestmark = pytest.mark.django_db


def _notes(n: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"说明{i}.txt", f"第 {i} 份说明\n".encode()) for i in range(n)]


def test_the_upload_script_gets_json_naming_the_default_limit_of_100(client, world, event_a, _media_root):
    """GIVEN Django's default of 100 files a request WHEN the script posts 101 THEN a 400 whose JSON names 100."""
    client.force_login(world.user("a_liaison"))
    response = client.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {"slot": "other", "files": _notes(101)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "ok": False,
        "error": "一次最多上传 100 个文件，请分批上传。本批文件均未保存。",
    }
    assert EvidenceFile.objects.count() == 0
    assert files_under(_media_root) == []


def test_a_plain_form_post_over_the_limit_gets_a_chinese_page(client, world, event_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client.force_login(world.user("a_liaison"))
    detail = reverse("ledger:detail", args=[event_a.pk])
    response = client.post(
        reverse("ledger:upload", args=[event_a.pk]), {"slot": "other", "files": _notes(4)}, HTTP_REFERER=detail
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "一次最多上传 3 个文件，请分批上传。本批文件均未保存。" in html
    assert f'href="{detail}"' in html
    assert EvidenceFile.objects.count() == 0


def test_the_limit_itself_is_allowed(client, world, event_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client.force_login(world.user("a_liaison"))
    response = client.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {"slot": "other", "files": _notes(3)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and json.loads(response.content)["ok"] is True
    assert EvidenceFile.objects.count() == 3


def test_the_detail_page_tells_the_script_the_limit(client, world, event_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 7
    client.force_login(world.user("a_liaison"))
    assert 'data-max-files="7"' in client.get(reverse("ledger:detail", args=[event_a.pk])).content.decode()


def test_any_other_upload_form_over_the_limit_gets_the_same_message(client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    campaign = CampaignFactory(unit=world.unit_a)
    client.force_login(world.user("a_office"))
    response = client.post(
        reverse("evaluation:rectification_create", args=[campaign.pk]),
        {"problem": "宣传栏未更新", "status": "pending", "proof_file": _notes(3)},
    )
    assert response.status_code == 400
    assert "一次最多上传 2 个文件，请分批上传。" in response.content.decode()
    assert not RectificationItem.objects.exists()


def test_the_camera_input_of_a_form_posted_without_the_script_is_stored(client, world, event_a):
    from . import samples

    client.force_login(world.user("a_liaison"))
    response = client.post(
        reverse("ledger:upload", args=[event_a.pk]),
        {"slot": "photo", "camera": SimpleUploadedFile("IMG_0001.jpg", samples.jpeg(seed=77))},
    )
    assert response.status_code == 302
    assert list(EvidenceFile.objects.values_list("original_name", flat=True)) == ["IMG_0001.jpg"]
