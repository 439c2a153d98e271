"""回收站 restores at the edges: link rows whose other end went meanwhile, dossiers archived since the delete, a
second (or concurrent) restore and a purge during one, rows written before a migration changed the models, the
restore hook's object, and the paginated list that never loads the serialised rows."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import ProgressReport, Task
from ledger import services as ledger_services
from ledger.models import Event, EventStatus, EvidenceFile, PhotoDuplicate, Slot
from tests.factories import (
    CampaignFactory,
    DeletionFactory,
    EventFactory,
    ServiceActivityFactory,
    TaskFactory,
)
from tests.ledger import samples
from trash import registry
from trash import services as trash_services
from trash.models import Deletion
from volunteers.models import ServiceActivity

pytestmark = pytest.mark.django_db


def _client(world, actor: str) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(world.user(actor))
    return c


def _dossier(world, *, org=None, unit=None, files: int = 1, seed: int = 100, title: str = "边界档案") -> Event:
    campaign = CampaignFactory(unit=unit or world.unit_a)
    event = EventFactory(campaign=campaign, organization=org or world.dept_a, title=title)
    ledger_services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[ledger_services.Upload(f"照片{i}.jpg", samples.jpeg(seed=seed + i)) for i in range(files)],
        uploaded_by=None,
    )
    return Event.objects.get(pk=event.pk)


def _cross_unit_pair(world) -> tuple[Event, Event, EvidenceFile, EvidenceFile]:
    """Unit A's photo and unit B's photo found to be duplicates of each other."""
    a = _dossier(world, seed=10, title="甲的档案")
    b = _dossier(world, org=world.dept_b, unit=world.unit_b, seed=20, title="乙的档案")
    fa, fb = EvidenceFile.objects.get(event=a), EvidenceFile.objects.get(event=b)
    first, second = sorted((fa, fb), key=lambda f: f.pk)
    PhotoDuplicate.objects.get_or_create(
        first=first, second=second, defaults={"phash_distance": 1, "dhash_distance": 1, "same_unit": False}
    )
    return a, b, fa, fb


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# ----------------------------------------------------------------------------------------------
# 1. Link rows whose other end is gone are left out; any other missing record refuses, by name
# ----------------------------------------------------------------------------------------------
def test_a_photo_pair_with_another_units_purged_photo_does_not_block_the_restore(
    world, django_capture_on_commit_callbacks
):
    _a, b, fa, _fb = _cross_unit_pair(world)
    ledger_services.evidence_delete(evidence=fa, actor=world.user("a_office"))
    da = Deletion.objects.get(unit=world.unit_a)
    assert "ledger.photoduplicate" in {r["model"] for r in da.rows}
    # unit B deletes its dossier and empties its 回收站: the other end of the pair is gone for good
    ledger_services.event_delete(event=b, actor=world.user("b_office"))
    with django_capture_on_commit_callbacks(execute=True):
        trash_services.trash_empty(unit=world.unit_b, actor=world.user("b_admin"))

    response = _client(world, "a_office").post(reverse("trash:restore", args=[da.pk]), follow=True)
    assert response.status_code == 200
    text = _messages(response)
    assert "已恢复材料文件" in text and "未恢复 1 条疑似重复图片（对方记录已删除）" in text
    assert EvidenceFile.objects.filter(pk=fa.pk).exists()
    assert not PhotoDuplicate.objects.exists()
    assert not Deletion.objects.filter(pk=da.pk).exists()


def test_a_photo_pair_whose_other_photo_is_still_in_the_trash_is_left_out_too(world):
    _a, b, fa, fb = _cross_unit_pair(world)
    ledger_services.evidence_delete(evidence=fa, actor=world.user("a_office"))
    da = Deletion.objects.get(unit=world.unit_a)
    ledger_services.event_delete(event=b, actor=world.user("b_office"))
    notes = trash_services.deletion_restore(deletion=da, actor=world.user("a_office"))
    assert notes == ["未恢复 1 条疑似重复图片（对方记录已删除）。"]
    assert EvidenceFile.objects.filter(pk=fa.pk).exists() and not PhotoDuplicate.objects.exists()
    # B's own restore is unaffected: its dossier and photo come back (the pair went with A's delete)
    trash_services.deletion_restore(deletion=Deletion.objects.get(unit=world.unit_b), actor=world.user("b_office"))
    assert EvidenceFile.objects.filter(pk=fb.pk).exists()


def test_a_task_whose_linked_dossier_was_purged_comes_back_without_the_link(world, django_capture_on_commit_callbacks):
    event = _dossier(world)
    task = TaskFactory(campaign=event.campaign, title="要删的任务")
    ProgressReport.objects.create(task=task, organization=world.dept_a, text="进展", percent=10)
    event.tasks.add(task)
    dt = trash_services.trash_delete(obj=task, actor=world.user("a_office"))
    ledger_services.event_delete(event=Event.objects.get(pk=event.pk), actor=world.user("a_office"))
    with django_capture_on_commit_callbacks(execute=True):
        trash_services._purge(Deletion.objects.get(model="ledger.Event"), None, "测试")

    notes = trash_services.deletion_restore(deletion=dt, actor=world.user("a_office"))
    assert notes == ["未恢复 1 条活动档案的“关联任务”（对方记录已删除）。"]
    assert Task.objects.filter(pk=task.pk).exists()
    assert ProgressReport.objects.filter(task_id=task.pk).count() == 1
    assert not Event.tasks.through.objects.filter(task_id=task.pk).exists()


def test_a_file_whose_dossier_is_in_the_trash_is_refused_naming_the_dossier(world, django_capture_on_commit_callbacks):
    event = _dossier(world, files=2, title="先删的文件所在档案")
    f = EvidenceFile.objects.filter(event=event).first()
    ledger_services.evidence_delete(evidence=f, actor=world.user("a_office"))
    df = Deletion.objects.get()
    ledger_services.event_delete(event=Event.objects.get(pk=event.pk), actor=world.user("a_office"))

    response = _client(world, "a_office").post(reverse("trash:restore", args=[df.pk]), follow=True)
    assert response.status_code == 200
    assert "无法恢复：佐证材料所属的活动档案“先删的文件所在档案”已被删除（仍在回收站中），请先恢复该档案。" in (
        _messages(response)
    )
    assert not EvidenceFile.objects.filter(pk=f.pk).exists() and Deletion.objects.filter(pk=df.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        trash_services._purge(Deletion.objects.get(model="ledger.Event"), None, "测试")
    with pytest.raises(trash_services.TrashError, match=rf"活动档案（编号 {event.pk}）已被彻底删除"):
        trash_services.deletion_restore(deletion=df, actor=world.user("a_office"))


def test_a_subtask_whose_parent_went_with_another_delete_is_refused_naming_that_entry(world):
    campaign = CampaignFactory(unit=world.unit_a)
    top = TaskFactory(campaign=campaign, title="顶层任务")
    middle = TaskFactory(campaign=campaign, parent=top, title="中层任务")
    leaf = TaskFactory(campaign=campaign, parent=middle, title="末级任务")
    dl = trash_services.trash_delete(obj=leaf, actor=world.user("a_office"))
    trash_services.trash_delete(obj=Task.objects.get(pk=top.pk), actor=world.user("a_office"))
    with pytest.raises(trash_services.TrashError, match=r"已随任务“顶层任务”一并删除（仍在回收站中），请先恢复该任务"):
        trash_services.deletion_restore(deletion=dl, actor=world.user("a_office"))
    assert not Task.objects.filter(pk=leaf.pk).exists()


def test_a_reference_the_targets_delete_would_have_cleared_is_cleared(world, django_capture_on_commit_callbacks):
    event = _dossier(world, title="活动关联的档案")
    activity = ServiceActivityFactory(organization=world.dept_a, title="学雷锋活动", event=event)
    da = trash_services.trash_delete(obj=activity, actor=world.user("a_office"))
    ledger_services.event_delete(event=Event.objects.get(pk=event.pk), actor=world.user("a_office"))
    with django_capture_on_commit_callbacks(execute=True):
        trash_services._purge(Deletion.objects.get(model="ledger.Event"), None, "测试")
    notes = trash_services.deletion_restore(deletion=da, actor=world.user("a_office"))
    assert ServiceActivity.objects.get(pk=activity.pk).event_id is None
    assert notes == ["1 条志愿服务活动的“台账档案”所指的记录已删除，已置空。"]


# ----------------------------------------------------------------------------------------------
# 2. Nothing is written into a dossier archived since the delete
# ----------------------------------------------------------------------------------------------
def _archive(world, event: Event) -> None:
    ledger_services.event_submit(event=Event.objects.get(pk=event.pk), actor=world.user("a_office"))
    event = Event.objects.get(pk=event.pk)
    if event.status != EventStatus.ARCHIVED:
        ledger_services.event_archive(event=event, actor=world.user("a_office"))
    assert Event.objects.get(pk=event.pk).status == EventStatus.ARCHIVED


def test_a_file_is_not_restored_into_a_dossier_archived_since(world):
    event = _dossier(world, files=2)
    f = EvidenceFile.objects.filter(event=event).first()
    ledger_services.evidence_delete(evidence=f, actor=world.user("a_office"))
    deletion = Deletion.objects.get()
    _archive(world, event)
    before = Event.objects.get(pk=event.pk).updated_at

    response = _client(world, "a_admin").post(reverse("trash:restore", args=[deletion.pk]), follow=True)
    assert "档案已归档，不能恢复其中的文件。" in _messages(response)
    assert EvidenceFile.objects.filter(event=event).count() == 1
    assert Deletion.objects.filter(pk=deletion.pk).exists()
    assert Event.objects.get(pk=event.pk).updated_at == before
    with pytest.raises(trash_services.TrashError, match="档案已归档"):
        trash_services.deletion_restore(deletion=deletion, actor=world.user("a_admin"))


def test_a_task_comes_back_without_re_joining_a_dossier_archived_since(world):
    archived = _dossier(world, title="已归档的档案")
    draft = EventFactory(campaign=archived.campaign, organization=world.dept_a, title="草稿档案")
    task = TaskFactory(campaign=archived.campaign, title="要删的任务")
    archived.tasks.add(task)
    draft.tasks.add(task)
    dt = trash_services.trash_delete(obj=task, actor=world.user("a_office"))
    _archive(world, archived)

    response = _client(world, "a_office").post(reverse("trash:restore", args=[dt.pk]), follow=True)
    text = _messages(response)
    assert "已恢复任务“要删的任务”及其相关内容。" in text
    assert "档案“已归档的档案”已归档，未恢复与它的关联（已归档档案的关联任务不再改动）。" in text
    assert Task.objects.filter(pk=task.pk).exists()
    assert not Event.objects.get(pk=archived.pk).tasks.exists()  # the archived record is as it was archived
    assert Event.objects.get(pk=draft.pk).tasks.filter(pk=task.pk).exists()  # the draft gets it back


# ----------------------------------------------------------------------------------------------
# 3. A second restore, or one racing a restore or a purge, is a Chinese refusal, never a 500
# ----------------------------------------------------------------------------------------------
def test_a_second_restore_of_the_same_entry_is_refused_in_chinese(world):
    event = _dossier(world)
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    stale, same = Deletion.objects.get(), Deletion.objects.get()
    trash_services.deletion_restore(deletion=stale, actor=world.user("a_office"))
    with pytest.raises(trash_services.TrashError, match="该项已被恢复或已彻底删除。"):
        trash_services.deletion_restore(deletion=same, actor=world.user("a_office"))


def _hold_while(action, ready: threading.Event, errors: list) -> None:
    """Run `action` in a transaction of its own and keep it open (the lock held) for a moment before committing."""
    try:
        with transaction.atomic():
            action()
            ready.set()
            time.sleep(1.5)
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
        ready.set()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["restore", "empty"])
def test_a_restore_racing_a_restore_or_an_empty_is_refused_not_a_500(world, first):
    event = _dossier(world, seed=5)
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    d = Deletion.objects.get()
    actions = {
        "restore": lambda: trash_services.deletion_restore(deletion=d, actor=world.user("a_admin")),
        "empty": lambda: trash_services.trash_empty(unit=world.unit_a, actor=world.user("a_admin")),
    }
    ready, errors = threading.Event(), []
    thread = threading.Thread(target=_hold_while, args=(actions[first], ready, errors))
    thread.start()
    try:
        assert ready.wait(30)
        started = time.monotonic()
        response = _client(world, "a_admin").post(reverse("trash:restore", args=[d.pk]), follow=True)
        waited = time.monotonic() - started
    finally:
        thread.join(30)
    assert not errors
    assert waited > 0.5  # it passed get_object_or_404 and waited on the lock the first transaction held
    assert response.status_code == 200
    assert "该项已被恢复或已彻底删除。" in _messages(response)
    assert Event.objects.filter(pk=event.pk).exists() == (first == "restore")
    assert not Deletion.objects.exists()


# ----------------------------------------------------------------------------------------------
# 4. Rows written before a migration changed the models
# ----------------------------------------------------------------------------------------------
def test_an_entry_made_before_a_field_was_removed_still_restores(world):
    event = _dossier(world)
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    d = Deletion.objects.get()
    rows = d.rows
    root = next(r for r in rows if r["model"] == "ledger.event")
    root["fields"]["old_field_dropped_by_a_migration"] = "x"
    Deletion.objects.filter(pk=d.pk).update(rows=rows)
    response = _client(world, "a_admin").post(reverse("trash:restore", args=[d.pk]), follow=True)
    assert response.status_code == 200 and "已恢复档案" in _messages(response)
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda row: row.update(model="ledger.removedmodel"),
        lambda row: row["fields"].update(participant_count="不是数字"),
    ],
    ids=["model-removed", "value-no-longer-fits"],
)
def test_an_entry_that_no_longer_fits_the_models_is_refused_in_chinese(world, damage):
    event = _dossier(world)
    ledger_services.event_delete(event=event, actor=world.user("a_office"))
    d = Deletion.objects.get()
    rows = d.rows
    damage(next(r for r in rows if r["model"] == "ledger.event"))
    Deletion.objects.filter(pk=d.pk).update(rows=rows)
    response = _client(world, "a_admin").post(reverse("trash:restore", args=[d.pk]), follow=True)
    assert response.status_code == 200
    assert "此项删除时的数据与系统当前的结构不一致，无法自动恢复" in _messages(response)
    assert not Event.objects.filter(pk=event.pk).exists() and Deletion.objects.filter(pk=d.pk).exists()


# ----------------------------------------------------------------------------------------------
# 5. The restore hook gets the deleted object itself, not the first saved row
# ----------------------------------------------------------------------------------------------
def test_the_restored_hook_gets_the_deleted_object_although_rows_are_children_first(world, monkeypatch):
    campaign = CampaignFactory(unit=world.unit_a)
    parent = TaskFactory(campaign=campaign, title="父任务")
    TaskFactory(campaign=campaign, parent=parent, title="子任务")
    calls: list = []
    rule = registry.rule_for(Task)
    monkeypatch.setitem(registry._RULES, Task, dataclasses.replace(rule, restored=calls.append))
    d = trash_services.trash_delete(obj=parent, actor=world.user("a_office"))
    assert (d.rows[0]["model"], str(d.rows[0]["pk"])) != (d.model.lower(), d.object_id)  # the child comes first
    trash_services.deletion_restore(deletion=d, actor=world.user("a_office"))
    assert [(type(o), o.pk, o.title) for o in calls] == [(Task, parent.pk, "父任务")]


# ----------------------------------------------------------------------------------------------
# 6. The list: paginated, without the serialised rows
# ----------------------------------------------------------------------------------------------
def test_the_list_is_paginated_and_never_loads_the_serialised_rows(world):
    big = [{"model": "ledger.event", "pk": 1, "fields": {"description": "很长的内容" * 2000}}]
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    for i in range(60):
        DeletionFactory(unit=world.unit_a, organization=world.dept_a, title=f"分页项{i:02d}", rows=big)
    Deletion.objects.update(deleted_at=now)
    client = _client(world, "a_office")
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("trash:index"))
    assert first.status_code == 200
    selects = [q["sql"] for q in queries if 'FROM "trash_deletion"' in q["sql"]]
    assert selects and all('"trash_deletion"."rows"' not in sql for sql in selects)
    text = first.content.decode()
    assert text.count("分页项") == 50 and "共 60 条，第 1/2 页" in text and "分页项59" in text
    second = client.get(reverse("trash:index"), {"page": "2"}).content.decode()
    assert second.count("分页项") == 10 and "分页项00" in second
    for bad in ("abc", "²", "-1", "0", "9999999999999999999999", "1e3", ""):
        response = client.get(reverse("trash:index"), {"page": bad})
        assert response.status_code == 200, bad
        assert "分页项" in response.content.decode(), bad


def test_a_volunteers_service_hours_wait_for_their_activity_and_go_only_with_a_purged_one(
    world, django_capture_on_commit_callbacks
):
    """GIVEN a volunteer with two service records, one at an activity that is deleted after the volunteer
    WHEN the volunteer is restored while that activity waits in the 回收站
    THEN the restore refuses, naming the activity (the hours are a record of their own: never dropped early);
    once the activity is purged, the volunteer comes back with the other record, and the message says one was left."""
    from tests.factories import ServiceRecordFactory, VolunteerFactory
    from volunteers.models import ServiceRecord, Volunteer

    volunteer = VolunteerFactory(organization=world.dept_a, name="张志愿")
    kept_activity = ServiceActivityFactory(organization=world.dept_a, title="保留的活动")
    gone_activity = ServiceActivityFactory(organization=world.dept_a, title="后来删除的活动")
    kept = ServiceRecordFactory(volunteer=volunteer, activity=kept_activity)
    ServiceRecordFactory(volunteer=volunteer, activity=gone_activity)
    office = world.user("a_office")
    dv = trash_services.trash_delete(obj=volunteer, actor=office)
    da = trash_services.trash_delete(obj=ServiceActivity.objects.get(pk=gone_activity.pk), actor=office)

    with pytest.raises(trash_services.TrashError, match=r"后来删除的活动.*仍在回收站中"):
        trash_services.deletion_restore(deletion=dv, actor=office)
    assert not Volunteer.objects.filter(pk=volunteer.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        trash_services._purge(Deletion.objects.get(pk=da.pk), None, "测试")
    notes = trash_services.deletion_restore(deletion=Deletion.objects.get(pk=dv.pk), actor=office)
    assert notes == ["未恢复 1 条服务时长记录（对方记录已删除）。"]
    assert list(ServiceRecord.objects.filter(volunteer_id=volunteer.pk).values_list("pk", flat=True)) == [kept.pk]
