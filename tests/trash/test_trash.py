"""回收站: a delete takes a dossier with its files and media reports into the unit's 回收站; a restore puts back
identical rows and files; the purge after TRASH_RETENTION_DAYS removes rows and files; unit B never sees unit A's."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger import services as ledger_services
from ledger.exports import write_archive, write_workbook
from ledger.models import Event, EventStatus, EvidenceFile, MediaReport, Slot
from organizations.models import AuditEntry
from tests.factories import CampaignFactory, EventFactory
from tests.ledger import samples
from trash import services as trash_services
from trash.models import Deletion
from trash.tasks import purge_expired as purge_task

pytestmark = pytest.mark.django_db


def _dossier(world, *, files: int = 5) -> Event:
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位年度创建")
    event = EventFactory(campaign=campaign, organization=world.dept_a, title="甲办公室回收站测试档案")
    ledger_services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[ledger_services.Upload(f"照片{i}.jpg", samples.jpeg(seed=100 + i)) for i in range(files)],
        uploaded_by=None,
    )
    MediaReport.objects.create(
        event=event, outlet="本地日报", date=datetime.date(2026, 5, 12), title="一篇报道", created_by=None
    )
    return Event.objects.get(pk=event.pk)


def _rows(event_pk: int) -> dict:
    """Every field value of the dossier, its files and its media reports."""
    return {
        "event": model_to_dict(Event.objects.get(pk=event_pk))
        | {"updated_at": Event.objects.get(pk=event_pk).updated_at},
        "files": sorted(
            (f.pk, tuple(sorted((k, str(v)) for k, v in f.__dict__.items() if not k.startswith("_"))))
            for f in EvidenceFile.objects.filter(event_id=event_pk)
        ),
        "reports": sorted(
            tuple(sorted((k, str(v)) for k, v in r.__dict__.items() if not k.startswith("_")))
            for r in MediaReport.objects.filter(event_id=event_pk)
        ),
    }


def _stored(event_pk: int) -> dict[str, str]:
    out = {}
    for f in EvidenceFile.objects.filter(event_id=event_pk):
        for name in (f.file.name, f.thumbnail.name):
            if name:
                with default_storage.open(name, "rb") as fh:
                    out[name] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _client(world, actor: str) -> Client:
    c = Client()
    c.force_login(world.user(actor))
    return c


def test_delete_dossier_with_five_files_then_restore_gives_identical_rows_and_files(world):
    event = _dossier(world)
    pk = event.pk
    before_rows, before_files = _rows(pk), _stored(pk)
    assert len([n for n in before_files if "/thumbs/" not in n]) == 5

    ledger_services.event_delete(event=event, actor=world.user("a_office"))

    assert not Event.objects.filter(pk=pk).exists()
    assert not EvidenceFile.objects.filter(event_id=pk).exists()
    assert not MediaReport.objects.filter(event_id=pk).exists()
    deletion = Deletion.objects.get(model="ledger.Event", object_id=str(pk))
    assert deletion.unit == world.unit_a and deletion.kind == "档案"
    assert deletion.counts[str(EvidenceFile._meta.verbose_name)] == 5
    assert set(deletion.files) == set(before_files)
    for name in before_files:  # kept in storage while in the 回收站
        assert default_storage.exists(name)
    assert AuditEntry.objects.filter(action="delete", object_id=str(pk), details__trash=deletion.pk).exists()

    page = _client(world, "a_office").get(reverse("trash:index"))
    assert "甲办公室回收站测试档案" in page.content.decode()
    response = _client(world, "a_office").post(reverse("trash:restore", args=[deletion.pk]))
    assert response.status_code == 302

    assert _rows(pk) == before_rows
    assert _stored(pk) == before_files
    assert not Deletion.objects.filter(pk=deletion.pk).exists()
    assert AuditEntry.objects.filter(action="restore", object_id=str(pk)).exists()


def test_deleted_dossier_is_absent_from_the_ledger_list_export_and_counts(world):
    from ledger import selectors

    event = _dossier(world, files=1)
    user = world.user("a_admin")
    client = _client(world, "a_admin")
    assert "甲办公室回收站测试档案" in client.get(reverse("ledger:index")).content.decode()
    count_before = selectors.events_visible_to(user).count()

    kwargs = {
        "campaign": event.campaign,
        "year": event.start_date.year,
        "events": selectors.events_visible_to(user),
        "include_unfinished": True,
    }
    assert write_workbook(io.BytesIO(), **kwargs) == 1

    ledger_services.event_delete(event=event, actor=world.user("a_office"))

    assert "甲办公室回收站测试档案" not in client.get(reverse("ledger:index")).content.decode()
    assert selectors.events_visible_to(user).count() == count_before - 1
    # the annual workbook and ZIP of the year (drafts included) no longer hold it
    kwargs["events"] = selectors.events_visible_to(user)
    assert write_workbook(io.BytesIO(), **kwargs) == 0
    out = io.BytesIO()
    assert write_archive(out, **kwargs) == 0
    names = zipfile.ZipFile(out).namelist()
    assert not any("照片" in n or "回收站测试" in n for n in names), names
    assert not EvidenceFile.objects.filter(original_name__startswith="照片").exists()


def test_purge_after_the_retention_period_removes_rows_and_files(world, settings, django_capture_on_commit_callbacks):
    settings.TRASH_RETENTION_DAYS = 30
    event = _dossier(world)
    names = list(_stored(event.pk))
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    deletion = Deletion.objects.get()

    # 29 days on: still kept
    assert trash_services.purge_expired(now=timezone.now() + datetime.timedelta(days=29)) == 0
    assert Deletion.objects.filter(pk=deletion.pk).exists()

    # The clock moved 31 days on (the row's time set back), then the daily beat task runs.
    Deletion.objects.filter(pk=deletion.pk).update(deleted_at=timezone.now() - datetime.timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_task.apply().get() == 1
    assert not Deletion.objects.exists()
    for name in names:
        assert not default_storage.exists(name), name
    entry = AuditEntry.objects.get(action="purge")
    assert sorted(entry.details["files"]) == sorted(names)


def test_restore_refuses_when_a_unique_value_was_reused(world):
    event = _dossier(world, files=2)
    evidence = event.evidence.order_by("pk").first()
    data = samples.jpeg(seed=100)
    ledger_services.evidence_delete(evidence=evidence, actor=world.user("a_office"))
    deletion = Deletion.objects.get(model="ledger.EvidenceFile")
    # the same photo uploaded again: (dossier, SHA-256) is taken
    ledger_services.evidence_add(
        event=event, slot=Slot.PHOTO, uploads=[ledger_services.Upload("again.jpg", data)], uploaded_by=None
    )
    with pytest.raises(trash_services.TrashError, match="已被其他记录使用"):
        trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    assert Deletion.objects.filter(pk=deletion.pk).exists()


def test_archived_dossier_cannot_be_deleted(world):
    event = _dossier(world, files=1)
    Event.objects.filter(pk=event.pk).update(status=EventStatus.ARCHIVED)
    with pytest.raises(ledger_services.LedgerError, match="撤档"):
        ledger_services.event_delete(event=Event.objects.get(pk=event.pk), actor=world.user("a_admin"))
    with pytest.raises(trash_services.TrashError, match="撤档"):
        trash_services.trash_delete(obj=Event.objects.get(pk=event.pk), actor=world.user("a_admin"))
    assert Event.objects.filter(pk=event.pk).exists() and not Deletion.objects.exists()


def test_the_trash_page_is_scoped_to_the_unit(world):
    event = _dossier(world, files=1)
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    deletion = Deletion.objects.get()
    for actor in ("b_admin", "b_office", "city_admin", "city_office"):
        client = _client(world, actor)
        assert "甲办公室回收站测试档案" not in client.get(reverse("trash:index")).content.decode(), actor
        assert client.get(reverse("trash:restore", args=[deletion.pk])).status_code == 404, actor
        assert client.post(reverse("trash:restore", args=[deletion.pk])).status_code == 404, actor
    assert Deletion.objects.filter(pk=deletion.pk).exists()


def test_only_the_admin_empties_the_trash_after_a_confirmation_page(world, django_capture_on_commit_callbacks):
    event = _dossier(world, files=2)
    names = list(_stored(event.pk))
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    assert _client(world, "a_office").get(reverse("trash:empty")).status_code == 403
    assert _client(world, "b_admin").post(reverse("trash:empty"), {"unit": world.unit_a.pk}).status_code == 302
    assert Deletion.objects.exists()  # B's admin cannot empty A's
    admin = _client(world, "a_admin")
    page = admin.get(reverse("trash:empty"))
    assert page.status_code == 200 and "无法恢复" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("trash:empty"), {"unit": world.unit_a.pk}).status_code == 302
    assert not Deletion.objects.exists()
    assert all(not default_storage.exists(n) for n in names)


def test_an_archived_dossier_is_withdrawn_by_the_admin_with_a_reason(world):
    event = _dossier(world, files=1)
    event = ledger_services.event_archive(event=ledger_services.event_submit(event=event, actor=None), actor=None)
    url = reverse("ledger:withdraw", args=[event.pk])
    assert _client(world, "a_office").post(url, {"reason": "材料有误"}).status_code == 403
    page = _client(world, "a_admin").post(url, {"reason": ""})
    assert page.status_code == 200 and "请填写撤档原因" in page.content.decode()
    assert _client(world, "a_admin").post(url, {"reason": "材料有误"}).status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.RETURNED and "材料有误" in event.return_reason
    assert event.archive_number  # the number stays
    assert AuditEntry.objects.filter(action="withdraw", object_id=str(event.pk), details__reason="材料有误").exists()


def test_a_task_with_subtasks_and_progress_reports_goes_to_the_trash_and_comes_back(world):
    from campaigns.models import ProgressReport, Task
    from tests.factories import ProgressReportFactory, TaskFactory

    campaign = CampaignFactory(unit=world.unit_a)
    parent = TaskFactory(campaign=campaign, title="思想教育")
    child = TaskFactory(campaign=campaign, parent=parent, title="专题学习", lead_units=[world.dept_a])
    ProgressReportFactory(task=child, organization=world.dept_a, text="已完成一半")
    before = {
        "tasks": sorted(Task.objects.filter(campaign=campaign).values_list("pk", "title", "parent_id", "updated_at")),
        "leads": sorted(child.lead_units.values_list("pk", flat=True)),
        "reports": list(ProgressReport.objects.values_list("pk", "task_id", "text")),
    }
    deletion = trash_services.trash_delete(obj=parent, actor=world.user("a_office"))
    assert deletion.unit == world.unit_a and not Task.objects.filter(campaign=campaign).exists()
    assert not ProgressReport.objects.exists()
    trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    after = {
        "tasks": sorted(Task.objects.filter(campaign=campaign).values_list("pk", "title", "parent_id", "updated_at")),
        "leads": sorted(Task.objects.get(pk=child.pk).lead_units.values_list("pk", flat=True)),
        "reports": list(ProgressReport.objects.values_list("pk", "task_id", "text")),
    }
    assert after == before


def test_a_volunteer_and_a_service_activity_go_to_the_trash(world):
    from tests.factories import ServiceActivityFactory, VolunteerFactory
    from volunteers.models import ServiceActivity, Volunteer

    volunteer = VolunteerFactory(organization=world.dept_a)
    activity = ServiceActivityFactory(organization=world.dept_a)
    for obj in (volunteer, activity):
        deletion = trash_services.trash_delete(obj=obj, actor=world.user("a_admin"))
        assert not type(obj).objects.filter(pk=obj.pk).exists()
        assert deletion.unit == world.unit_a
    assert Deletion.objects.count() == 2
    for d in Deletion.objects.all():
        trash_services.deletion_restore(deletion=d, actor=world.user("a_office"))
    assert (
        Volunteer.objects.filter(pk=volunteer.pk).exists() and ServiceActivity.objects.filter(pk=activity.pk).exists()
    )
