"""check_files: missing, corrupted (a flipped byte) and orphaned files; recorded, weekly by beat, on the admin index."""

import json
from io import StringIO
from pathlib import Path

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from backups import tasks
from backups.models import FileCheck
from ledger.models import EvidenceFile
from tests.factories import FileCheckFactory, UserFactory

from .populate import populate


def _run() -> tuple[int, dict]:
    out = StringIO()
    code = 0
    try:
        call_command("check_files", "--json", stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


@pytest.mark.django_db
def test_a_flipped_byte_a_missing_file_and_an_orphan_are_reported():
    """GIVEN files of every file field, all intact
    WHEN one byte of a photo is flipped, another evidence file is deleted and a stray file is added
    THEN check_files reports exactly those three, exits 1, and records the counts."""
    populate()
    code, clean = _run()
    assert code == 0, clean
    assert clean["counts"] == {"missing": 0, "corrupted": 0, "orphaned": 0}
    assert clean["files_referenced"] >= 8 and clean["files_on_disk"] == clean["files_referenced"]

    media = Path(settings.MEDIA_ROOT)
    photo = EvidenceFile.objects.get(original_name="照片.jpg")
    path = media / photo.file.name
    data = bytearray(path.read_bytes())
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))
    gone = EvidenceFile.objects.exclude(pk=photo.pk).first()
    (media / gone.file.name).unlink()
    (media / "ledger" / "stray.jpg").write_bytes(b"nobody's")
    # Working folders (the archive photo cache, import previews) are not orphans.
    (media / "archive-cache").mkdir()
    (media / "archive-cache" / "x.jpg").write_bytes(b"cache")

    code, found = _run()
    assert code == 1
    assert [m["path"] for m in found["corrupted"]] == [photo.file.name]
    assert found["corrupted"][0]["expected"] == photo.sha256 != found["corrupted"][0]["actual"]
    assert [(m["model"], m["pk"], m["path"]) for m in found["missing"]] == [
        ("ledger.EvidenceFile", gone.pk, gone.file.name)
    ]
    assert [m["path"] for m in found["orphaned"]] == ["ledger/stray.jpg"]

    row = FileCheck.objects.order_by("-checked_at").first()
    assert (row.missing, row.corrupted, row.orphaned) == (1, 1, 1)
    assert row.details["corrupted"][0]["path"] == photo.file.name


@pytest.mark.django_db
def test_the_chinese_summary_names_each_problem():
    populate()
    gone = EvidenceFile.objects.first()
    (Path(settings.MEDIA_ROOT) / gone.file.name).unlink()
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("check_files", stdout=out)
    assert "缺失 1，损坏 0，无主 0" in out.getvalue()
    assert f"缺失：{gone.file.name}" in out.getvalue()


def test_beat_runs_the_check_weekly():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "backups.check_files"]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab) and schedule.day_of_week == {0}


@pytest.mark.django_db
def test_the_task_records_its_result():
    populate()
    result = tasks.check_files.delay().get()
    assert result["missing"] == result["corrupted"] == result["orphaned"] == 0
    assert FileCheck.objects.get(pk=result["id"]).files_referenced >= 8


@pytest.mark.django_db
def test_the_admin_index_shows_the_last_check():
    FileCheckFactory(missing=0, corrupted=2, orphaned=5)
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert "文件检查" in page and "0 / 2 / 5" in page and "发现 7 个问题" in page
    FileCheck.objects.all().delete()
    assert "尚未检查" in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_files_held_in_the_trash_are_not_orphans():
    """GIVEN a photo whose dossier lies in the 回收站 (its file kept for a restore) THEN check_files is clean;
    once the 回收站 is emptied the file is gone too, and still nothing is reported."""
    from trash.models import Deletion
    from trash.services import trash_delete

    populate()
    photo = EvidenceFile.objects.get(original_name="照片.jpg")
    trash_delete(obj=photo.event, actor=None)
    assert (Path(settings.MEDIA_ROOT) / photo.file.name).exists()
    code, found = _run()
    assert code == 0 and found["counts"]["orphaned"] == 0, found
    assert Deletion.objects.exists()
