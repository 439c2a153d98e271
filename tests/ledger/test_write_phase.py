"""The write phase of an upload: rows and files land together or not at all.

The storage is a real FileSystemStorage on disk; the only thing it does differently is run out of space half-way
through its third file of the run, as a full disk does. The database is the real PostgreSQL, in a real
transaction (transactional test), so a missing `transaction.atomic` shows as rows left behind.
"""

from __future__ import annotations

import errno

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from ledger import services
from ledger.models import Event, EventLog, EvidenceFile, Slot

from . import samples
from .conftest import files_under


class DiskFullOnThirdSave(FileSystemStorage):
    """Writes the first two files of a run; the third gets half its bytes on disk, then ENOSPC."""

    saves = 0

    def _save(self, name, content):
        type(self).saves += 1
        if type(self).saves == 3:
            data = content.read()
            super()._save(name, ContentFile(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return super()._save(name, content)


@pytest.fixture
def full_disk(settings, _media_root):
    DiskFullOnThirdSave.saves = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.DiskFullOnThirdSave"},
    }
    yield _media_root
    DiskFullOnThirdSave.saves = 0


def _dossier_state(event: Event) -> dict:
    event.refresh_from_db()
    return {
        "status": event.status,
        "is_complete": event.is_complete,
        "completed_at": event.completed_at,
        "is_late_entry": event.is_late_entry,
        "updated_at": event.updated_at,
        "files": sorted(EvidenceFile.objects.filter(event=event).values_list("sha256", flat=True)),
        "log": list(EventLog.objects.filter(event=event).values_list("pk", flat=True).order_by("pk")),
    }


@pytest.mark.django_db(transaction=True)
def test_storage_failing_on_the_third_file_leaves_no_row_no_file_and_the_dossier_unchanged(event_a, world, full_disk):
    """GIVEN a dossier that already holds one file, on a disk that fills up during the third write of a batch
    WHEN a batch of four files is added (two are written whole, the third half-way when the disk is full)
    THEN the batch is refused with a Chinese message, no new row exists, the disk holds exactly the files it
    held before (no whole file, no half file), and the dossier reads as it did."""
    liaison = world.user("a_liaison")
    services.evidence_add(
        event=event_a,
        slot=Slot.PLAN,
        uploads=[services.Upload("已有方案.pdf", samples.pdf("already here"))],
        uploaded_by=liaison,
    )
    before_files = files_under(full_disk)
    before = _dossier_state(event_a)
    assert len(before_files) == 1 and len(before["files"]) == 1
    DiskFullOnThirdSave.saves = 0

    batch = [
        services.Upload("活动方案.pdf", samples.pdf("Plan A")),
        services.Upload("签到表.xlsx", samples.xlsx()),
        services.Upload("通知.docx", samples.docx()),  # the third file: the disk fills up while writing it
        services.Upload("说明.txt", samples.text()),
    ]
    with pytest.raises(services.LedgerError) as exc:
        services.evidence_add(event=event_a, slot=Slot.SUMMARY, uploads=batch, uploaded_by=liaison)

    assert str(exc.value) == "文件保存失败（存储空间不可用），本批文件均未保存，请稍后重试或联系管理员。"
    assert DiskFullOnThirdSave.saves == 3, "the batch must have failed on its third file, not before"
    assert files_under(full_disk) == before_files
    assert EvidenceFile.objects.count() == 1
    assert _dossier_state(event_a) == before


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_goes_through_once_the_disk_has_room(event_a, world, full_disk):
    """The failing storage is the only difference: after it has failed once the same batch is stored whole."""
    DiskFullOnThirdSave.saves = 3  # the failure is behind us
    batch = [
        services.Upload("活动方案.pdf", samples.pdf("Plan A")),
        services.Upload("签到表.xlsx", samples.xlsx()),
        services.Upload("说明.txt", samples.text()),
    ]
    rows = services.evidence_add(event=event_a, slot=Slot.SUMMARY, uploads=batch, uploaded_by=world.user("a_liaison"))
    assert len(rows) == 3
    assert len(files_under(full_disk)) == 3
    for row in rows:
        with row.file.open("rb") as fh:
            assert fh.read() == next(u.data for u in batch if u.name == row.original_name)
