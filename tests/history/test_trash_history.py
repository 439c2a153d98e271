"""The 历史 of what went through the 回收站: a delete writes a "-" row (reason 移入回收站) for every removed row, by
the deleter; a restore writes a "+" row (reason 从回收站恢复) for every restored row, by the restorer; a reference
the delete cleared and the restore put back is a "~" row each time. The 历史 tab shows them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import ProgressReport, Task
from ledger import services as ledger_services
from ledger.models import Event
from organizations.history import object_history
from tests.factories import (
    CampaignFactory,
    EventFactory,
    ProgressReportFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    TaskFactory,
    VolunteerFactory,
)
from trash import services as trash_services
from trash.models import Deletion
from volunteers.models import ServiceActivity, ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db

DELETED, RESTORED = "移入回收站", "从回收站恢复"


def _client(world, actor: str) -> Client:
    c = Client()
    c.force_login(world.user(actor))
    return c


def _task(world) -> tuple[Task, Task, list[ProgressReport]]:
    campaign = CampaignFactory(unit=world.unit_a)
    task = TaskFactory(campaign=campaign, title="志愿服务常态化", lead_units=[world.dept_a])
    child = TaskFactory(campaign=campaign, parent=task, title="每月一次学雷锋")
    reports = [ProgressReportFactory(task=child, organization=world.dept_a, text=f"第{i}次") for i in (1, 2)]
    return task, child, reports


def test_a_task_deleted_through_the_page_and_restored_shows_both_on_its_history_tab(world):
    task, child, reports = _task(world)
    office, admin = world.user("a_office"), world.user("a_admin")

    assert _client(world, "a_office").post(reverse("campaigns:task_delete", args=[task.pk])).status_code == 302
    for model, pk in ((Task, task.pk), (Task, child.pk), *((ProgressReport, r.pk) for r in reports)):
        row = model.history.filter(id=pk).latest("history_date", "history_id")
        assert (row.history_type, row.history_change_reason, row.history_user) == ("-", DELETED, office), model

    deletion = Deletion.objects.get()
    assert _client(world, "a_admin").post(reverse("trash:restore", args=[deletion.pk])).status_code == 302
    for model, pk in ((Task, task.pk), (Task, child.pk), *((ProgressReport, r.pk) for r in reports)):
        row = model.history.filter(id=pk).latest("history_date", "history_id")
        assert (row.history_type, row.history_change_reason, row.history_user) == ("+", RESTORED, admin), model
        assert row.instance.__class__.objects.filter(pk=pk).exists()
    # one row per restored object, not more
    assert Task.history.filter(history_change_reason=RESTORED).count() == 2
    assert ProgressReport.history.filter(history_change_reason=RESTORED).count() == 2

    # The entries, newest first: restored (no field changed since the delete), deleted, created.
    entries = [e for e in object_history(Task, id=task.pk)]
    assert [(e.kind, e.reason, e.user) for e in entries[:2]] == [("+", RESTORED, admin), ("-", DELETED, office)]
    assert entries[0].changes == []

    page = _client(world, "a_office").get(reverse("history:task", args=[task.pk])).content.decode()
    assert RESTORED in page and DELETED in page
    assert admin.display_name in page and office.display_name in page
    # the restore entry sits above the delete entry on the tab
    assert page.index(RESTORED) < page.index(DELETED)


def test_a_volunteer_and_their_records_restored_are_recorded_by_the_restorer(world):
    volunteer = VolunteerFactory(organization=world.dept_a, name="王志愿")
    activity = ServiceActivityFactory(organization=world.dept_a, date=datetime.date(2026, 4, 1))
    record = ServiceRecordFactory(volunteer=volunteer, activity=activity, hours=Decimal("2"))
    _client(world, "a_admin").post(reverse("volunteers:volunteer_delete", args=[volunteer.pk]))
    assert not Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert ServiceRecord.history.filter(id=record.pk, history_type="-", history_change_reason=DELETED).exists()

    trash_services.deletion_restore(deletion=Deletion.objects.get(), actor=world.user("a_office"))
    for model, pk in ((Volunteer, volunteer.pk), (ServiceRecord, record.pk)):
        row = model.history.filter(id=pk).latest("history_date", "history_id")
        assert (row.history_type, row.history_change_reason) == ("+", RESTORED)
        assert row.history_user == world.user("a_office")
    page = _client(world, "a_office").get(reverse("history:volunteer", args=[volunteer.pk])).content.decode()
    assert page.count(RESTORED) == 2 and page.count(DELETED) == 2  # the volunteer and their record


def test_a_reference_the_delete_cleared_is_a_change_in_the_history_both_ways(world):
    """A service activity's dossier (SET_NULL): deleting the dossier clears the link ("~", 移入回收站), the restore
    puts it back ("~", 从回收站恢复), each with the old and new value."""
    campaign = CampaignFactory(unit=world.unit_a)
    event = EventFactory(campaign=campaign, organization=world.dept_a, title="学雷锋档案")
    activity = ServiceActivityFactory(organization=world.dept_a, title="学雷锋活动", event=event)
    ledger_services.event_delete(event=event, actor=world.user("a_liaison"))
    assert ServiceActivity.objects.get(pk=activity.pk).event_id is None
    assert Event.history.filter(id=event.pk, history_type="-", history_change_reason=DELETED).exists()
    cleared = ServiceActivity.history.filter(id=activity.pk).latest("history_date", "history_id")
    assert (cleared.history_type, cleared.event_id, cleared.history_change_reason) == ("~", None, DELETED)
    assert cleared.history_user == world.user("a_liaison")

    trash_services.deletion_restore(deletion=Deletion.objects.get(), actor=world.user("a_office"))
    assert ServiceActivity.objects.get(pk=activity.pk).event_id == event.pk
    back = ServiceActivity.history.filter(id=activity.pk).latest("history_date", "history_id")
    assert (back.history_type, back.event_id, back.history_change_reason) == ("~", event.pk, RESTORED)
    change = next(c for c in object_history(ServiceActivity, id=activity.pk)[0].changes if c.name == "event")
    assert (change.old, change.new) == ("（空）", "学雷锋档案")


def test_a_refused_restore_writes_no_history(world):
    volunteer = VolunteerFactory(organization=world.dept_a, number="330100009999")
    deletion = trash_services.trash_delete(obj=volunteer, actor=world.user("a_office"))
    VolunteerFactory(organization=world.dept_a, number="330100009999")
    with pytest.raises(trash_services.TrashError):
        trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    assert not Volunteer.history.filter(history_change_reason=RESTORED).exists()
