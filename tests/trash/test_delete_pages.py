"""The 删除 pages of a task, a volunteer and a service activity: a confirmation page in Chinese saying what goes
with it, POST moves it (and what hangs from it) into the unit's 回收站, the 创建办 restores identical rows, the
管理员 empties, the purge removes them after TRASH_RETENTION_DAYS; liaisons, leaders, the city office and unit B
cannot delete; unique values of deleted rows can be reused, and the old row then refuses to come back."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ProgressReport, Task
from ledger import services as ledger_services
from ledger.models import Event
from tests.factories import (
    CampaignFactory,
    EventFactory,
    EvidenceFileFactory,
    MediaReportFactory,
    ProgressReportFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    TaskFactory,
    VolunteerFactory,
)
from trash import services as trash_services
from trash.models import Deletion
from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def _client(world, actor: str) -> Client:
    c = Client()
    c.force_login(world.user(actor))
    return c


def _task_tree(world):
    """A task with two subtasks, three progress reports, lead units, and two dossiers that cite it."""
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位回收站测试创建")
    task = TaskFactory(campaign=campaign, title="思想道德建设", number="一、", lead_units=[world.dept_a])
    subs = [
        TaskFactory(campaign=campaign, parent=task, title=f"专题学习{i}", lead_units=[world.dept_a]) for i in (1, 2)
    ]
    for sub, text in ((subs[0], "已完成一半"), (subs[0], "已全部完成"), (subs[1], "已开始")):
        ProgressReportFactory(task=sub, organization=world.dept_a, text=text)
    dossiers = [EventFactory(campaign=campaign, organization=world.dept_a, title=f"学习档案{i}") for i in (1, 2)]
    dossiers[0].tasks.add(task)
    dossiers[1].tasks.add(subs[1])
    return campaign, task, subs, dossiers


def _task_rows(campaign) -> dict:
    tasks = Task.objects.filter(campaign=campaign)
    return {
        "tasks": sorted(tasks.values_list(*[f.attname for f in Task._meta.concrete_fields])),
        "leads": sorted(Task.lead_units.through.objects.filter(task__campaign=campaign).values_list()),
        "reports": sorted(
            ProgressReport.objects.filter(task__campaign=campaign).values_list(
                *[f.attname for f in ProgressReport._meta.concrete_fields]
            )
        ),
        "dossier_links": sorted(Event.tasks.through.objects.filter(task__campaign=campaign).values_list()),
    }


# ----------------------------------------------------------------------------------------------
# Tasks
# ----------------------------------------------------------------------------------------------
def test_task_delete_page_says_what_goes_with_it_then_post_moves_it_and_a_restore_gives_identical_rows(world):
    campaign, task, _subs, dossiers = _task_tree(world)
    before = _task_rows(campaign)
    office = _client(world, "a_office")
    url = reverse("campaigns:task_delete", args=[task.pk])

    detail = office.get(reverse("campaigns:task_detail", args=[task.pk])).content.decode()
    assert url in detail  # the 删除 button
    page = office.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "删除任务" in text and "思想道德建设" in text
    assert "2 条下级任务" in text and "3 条进展报告" in text
    assert "2 个活动档案的“关联任务”中去掉此项（活动档案本身保留）" in text
    assert "删除任务不会删除任何档案" in text
    assert Task.objects.filter(pk=task.pk).exists()  # a GET changes nothing

    response = office.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("campaigns:tasks", args=[campaign.pk])
    shown = response.content.decode()
    assert "已将任务“思想道德建设”移入" in shown and f'href="{reverse("trash:index")}"' in shown

    assert not Task.objects.filter(campaign=campaign).exists()
    assert not ProgressReport.objects.filter(task__campaign=campaign).exists()
    # the dossiers stay, without the link
    assert Event.objects.filter(pk__in=[d.pk for d in dossiers]).count() == 2
    assert not Event.tasks.through.objects.filter(event__in=dossiers).exists()
    deletion = Deletion.objects.get(model="campaigns.Task", object_id=str(task.pk))
    assert deletion.unit == world.unit_a and deletion.deleted_by == world.user("a_office")
    assert deletion.counts == {"任务": 3, "进展报告": 3}
    assert "思想道德建设" in office.get(reverse("trash:index")).content.decode()

    restore = office.post(reverse("trash:restore", args=[deletion.pk]))
    assert restore.status_code == 302
    assert _task_rows(campaign) == before
    assert not Deletion.objects.filter(pk=deletion.pk).exists()


def test_task_delete_is_post_only_for_changes_and_answers_other_methods_405(world):
    _campaign, task, _subs, _dossiers = _task_tree(world)
    url = reverse("campaigns:task_delete", args=[task.pk])
    office = _client(world, "a_office")
    assert office.put(url).status_code == 405
    assert office.delete(url).status_code == 405
    assert Task.objects.filter(pk=task.pk).exists() and not Deletion.objects.exists()


@pytest.mark.parametrize(
    ("actor", "status"),
    [("a_liaison", 403), ("a_leader", 403), ("city_admin", 403), ("city_office", 403), ("b_admin", 404)],
)
def test_only_the_units_office_and_admin_delete_a_task(world, actor, status):
    _campaign, task, _subs, _dossiers = _task_tree(world)
    url = reverse("campaigns:task_delete", args=[task.pk])
    client = _client(world, actor)
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    assert Task.objects.filter(pk=task.pk).exists() and not Deletion.objects.exists()
    if status == 403:
        assert url not in client.get(reverse("campaigns:task_detail", args=[task.pk])).content.decode()


def test_a_task_cited_by_an_archived_dossier_is_not_deleted(world):
    _campaign, task, subs, dossiers = _task_tree(world)
    archived = ledger_services.event_archive(
        event=ledger_services.event_submit(event=dossiers[1], actor=None), actor=None
    )
    assert archived.tasks.filter(pk=subs[1].pk).exists()  # cites a subtask: the parent's delete would unlink it
    admin = _client(world, "a_admin")
    url = reverse("campaigns:task_delete", args=[task.pk])
    page = admin.get(url).content.decode()
    assert "关联了 1 份已归档的档案，不能删除" in page and "确认删除" not in page
    response = admin.post(url, follow=True)
    assert "不能删除" in response.content.decode()
    assert Task.objects.filter(pk=task.pk).exists() and not Deletion.objects.exists()
    with pytest.raises(trash_services.TrashError, match="已归档"):
        trash_services.trash_delete(obj=task, actor=world.user("a_admin"))
    # the other subtask, cited only by a draft, may go
    assert admin.post(reverse("campaigns:task_delete", args=[subs[0].pk])).status_code == 302
    assert not Task.objects.filter(pk=subs[0].pk).exists()


def test_a_deleted_tasks_number_can_be_reused_and_both_then_live_side_by_side(world):
    """Task numbers are the plan's own numbering (no unique constraint): reusing one never blocks a restore."""
    campaign, task, _subs, _dossiers = _task_tree(world)
    deletion = trash_services.trash_delete(obj=task, actor=world.user("a_office"))
    again = TaskFactory(campaign=campaign, number="一、", title="思想道德建设（重建）")
    trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    assert set(Task.objects.filter(campaign=campaign, number="一、").values_list("pk", flat=True)) == {
        task.pk,
        again.pk,
    }


# ----------------------------------------------------------------------------------------------
# Volunteers and service activities
# ----------------------------------------------------------------------------------------------
def _volunteer_with_records(world):
    volunteer = VolunteerFactory(organization=world.dept_a, name="张志愿", number="330100000001")
    activities = [
        ServiceActivityFactory(organization=world.dept_a, title=f"学雷锋活动{i}", date=datetime.date(2026, 3, i))
        for i in (1, 2, 3)
    ]
    ServiceRecordFactory(
        volunteer=volunteer,
        activity=activities[0],
        hours=Decimal("3"),
        status=RecordStatus.CONFIRMED,
        confirmed_by=world.user("a_office"),
        confirmed_at=timezone.now(),
    )
    ServiceRecordFactory(volunteer=volunteer, activity=activities[1], hours=Decimal("2.5"))
    ServiceRecordFactory(volunteer=volunteer, activity=activities[2], hours=Decimal("1.5"))
    return volunteer, activities


def _record_rows(**filters) -> list[tuple]:
    return sorted(
        ServiceRecord.objects.filter(**filters).values_list(*[f.attname for f in ServiceRecord._meta.concrete_fields])
    )


def _row(model, pk) -> tuple:
    return model.objects.filter(pk=pk).values_list(*[f.attname for f in model._meta.concrete_fields]).get()


def test_volunteer_delete_takes_their_service_records_and_a_restore_gives_them_back(world):
    volunteer, activities = _volunteer_with_records(world)
    before = (_row(Volunteer, volunteer.pk), _record_rows(volunteer=volunteer))
    office = _client(world, "a_office")
    url = reverse("volunteers:volunteer_delete", args=[volunteer.pk])
    assert url in office.get(reverse("volunteers:volunteer_detail", args=[volunteer.pk])).content.decode()
    text = office.get(url).content.decode()
    assert "删除志愿者" in text and "张志愿" in text and "3 条服务时长记录" in text
    assert "已确认的服务时长共 3 小时" in text

    response = office.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("volunteers:index")
    assert "已将志愿者“张志愿”移入" in response.content.decode()
    assert not Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert not ServiceRecord.objects.filter(volunteer_id=volunteer.pk).exists()
    assert ServiceActivity.objects.filter(pk__in=[a.pk for a in activities]).count() == 3  # activities stay

    deletion = Deletion.objects.get(model="volunteers.Volunteer")
    assert deletion.counts == {"志愿者": 1, "服务时长记录": 3}
    assert office.post(reverse("trash:restore", args=[deletion.pk])).status_code == 302
    assert (_row(Volunteer, volunteer.pk), _record_rows(volunteer_id=volunteer.pk)) == before


def test_service_activity_delete_takes_its_records_and_comes_back(world):
    volunteer, activities = _volunteer_with_records(world)
    other = VolunteerFactory(organization=world.dept_a, name="李志愿")
    ServiceRecordFactory(volunteer=other, activity=activities[0], hours=Decimal("2"))
    activity = activities[0]
    before = (_row(ServiceActivity, activity.pk), _record_rows(activity=activity))
    admin = _client(world, "a_admin")
    url = reverse("volunteers:activity_delete", args=[activity.pk])
    assert url in admin.get(reverse("volunteers:activity_detail", args=[activity.pk])).content.decode()
    text = admin.get(url).content.decode()
    assert "删除志愿服务活动" in text and "2 条服务时长记录" in text and "志愿者本身保留" in text

    assert admin.post(url).status_code == 302
    assert not ServiceActivity.objects.filter(pk=activity.pk).exists()
    assert not ServiceRecord.objects.filter(activity_id=activity.pk).exists()
    assert Volunteer.objects.filter(pk__in=[volunteer.pk, other.pk]).count() == 2
    deletion = Deletion.objects.get(model="volunteers.ServiceActivity")
    trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    assert (_row(ServiceActivity, activity.pk), _record_rows(activity_id=activity.pk)) == before


@pytest.mark.parametrize(
    ("actor", "status"),
    [("a_liaison", 403), ("a_leader", 403), ("city_admin", 403), ("b_office", 404), ("b_admin", 404)],
)
def test_only_the_units_office_and_admin_delete_volunteers_and_activities(world, actor, status):
    volunteer, activities = _volunteer_with_records(world)
    client = _client(world, actor)
    for name, obj in (("volunteers:volunteer_delete", volunteer), ("volunteers:activity_delete", activities[0])):
        url = reverse(name, args=[obj.pk])
        assert client.get(url).status_code == status, name
        assert client.post(url).status_code == status, name
    assert Volunteer.objects.filter(pk=volunteer.pk).exists() and ServiceActivity.objects.count() == 3
    assert not Deletion.objects.exists()


def test_a_deleted_volunteers_number_can_be_reused_then_the_old_one_refuses_to_come_back(world):
    volunteer, _activities = _volunteer_with_records(world)
    deletion = trash_services.trash_delete(obj=volunteer, actor=world.user("a_office"))
    # the registration number (unique where filled in) is free while the old row is in the 回收站
    again = VolunteerFactory(organization=world.dept_a, name="张志愿（新登记）", number="330100000001")
    page = _client(world, "a_office").post(reverse("trash:restore", args=[deletion.pk]), follow=True)
    assert "志愿者的志愿者编号“330100000001”已被其他记录使用，无法恢复。" in page.content.decode()
    assert Deletion.objects.filter(pk=deletion.pk).exists()
    assert not Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert not ServiceRecord.objects.filter(volunteer_id=volunteer.pk).exists()  # nothing half-restored
    # once the new entry changes its number, the old one comes back
    Volunteer.objects.filter(pk=again.pk).update(number="330100000002")
    trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))
    assert Volunteer.objects.get(pk=volunteer.pk).number == "330100000001"
    assert ServiceRecord.objects.filter(volunteer_id=volunteer.pk).count() == 3


def test_a_volunteers_account_taken_meanwhile_refuses_the_restore(world):
    volunteer, _activities = _volunteer_with_records(world)
    Volunteer.objects.filter(pk=volunteer.pk).update(user=world.user("a_liaison"))
    deletion = trash_services.trash_delete(obj=Volunteer.objects.get(pk=volunteer.pk), actor=None)
    VolunteerFactory(organization=world.dept_a, user=world.user("a_liaison"), number="")
    with pytest.raises(trash_services.TrashError, match=r"平台账号.*已被其他记录使用"):
        trash_services.deletion_restore(deletion=deletion, actor=world.user("a_office"))


# ----------------------------------------------------------------------------------------------
# The 回收站 itself: unit B, restore by the 创建办, empty by the 管理员, the purge
# ----------------------------------------------------------------------------------------------
def test_unit_b_never_sees_unit_as_task_or_volunteer_in_the_trash(world):
    _campaign, task, _subs, _dossiers = _task_tree(world)
    volunteer, _activities = _volunteer_with_records(world)
    _client(world, "a_office").post(reverse("campaigns:task_delete", args=[task.pk]))
    _client(world, "a_admin").post(reverse("volunteers:volunteer_delete", args=[volunteer.pk]))
    assert Deletion.objects.count() == 2
    for actor in ("b_admin", "b_office", "b_liaison", "city_admin", "a_liaison", "a_leader"):
        client = _client(world, actor)
        page = client.get(reverse("trash:index")).content.decode()
        assert "思想道德建设" not in page and "张志愿" not in page, actor
        for d in Deletion.objects.all():
            assert client.post(reverse("trash:restore", args=[d.pk])).status_code == 404, actor
    assert Deletion.objects.count() == 2
    page = _client(world, "a_office").get(reverse("trash:index")).content.decode()
    assert "思想道德建设" in page and "张志愿" in page


def test_the_office_restores_and_only_the_admin_empties(world, django_capture_on_commit_callbacks):
    _campaign, task, _subs, _dossiers = _task_tree(world)
    volunteer, _activities = _volunteer_with_records(world)
    trash_services.trash_delete(obj=task, actor=world.user("a_office"))
    trash_services.trash_delete(obj=volunteer, actor=world.user("a_office"))
    task_deletion = Deletion.objects.get(model="campaigns.Task")
    assert _client(world, "a_office").post(reverse("trash:restore", args=[task_deletion.pk])).status_code == 302
    assert Task.objects.filter(pk=task.pk).exists()

    assert _client(world, "a_office").post(reverse("trash:empty"), {"unit": world.unit_a.pk}).status_code == 403
    assert _client(world, "a_liaison").post(reverse("trash:empty"), {"unit": world.unit_a.pk}).status_code == 403
    assert Deletion.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert _client(world, "a_admin").post(reverse("trash:empty"), {"unit": world.unit_a.pk}).status_code == 302
    assert not Deletion.objects.exists()
    assert not Volunteer.objects.filter(pk=volunteer.pk).exists()


def test_the_purge_after_the_retention_days_removes_deleted_tasks_volunteers_and_activities(world, settings):
    settings.TRASH_RETENTION_DAYS = 10
    _campaign, task, _subs, _dossiers = _task_tree(world)
    volunteer, activities = _volunteer_with_records(world)
    for obj in (task, volunteer, activities[1]):
        trash_services.trash_delete(obj=obj, actor=world.user("a_office"))
    assert Deletion.objects.count() == 3
    assert trash_services.purge_expired(now=timezone.now() + datetime.timedelta(days=9)) == 0
    assert trash_services.purge_expired(now=timezone.now() + datetime.timedelta(days=10, minutes=1)) == 3
    assert not Deletion.objects.exists()
    assert not Task.objects.filter(pk=task.pk).exists() and not Volunteer.objects.filter(pk=volunteer.pk).exists()
    assert not ServiceActivity.objects.filter(pk=activities[1].pk).exists()


# ----------------------------------------------------------------------------------------------
# Dossiers: a numbered (submitted) one is the 创建办's to delete; an archived one is only withdrawn
# ----------------------------------------------------------------------------------------------
def test_a_submitted_dossier_is_deleted_by_the_office_into_the_trash_and_comes_back_with_its_number(world):
    campaign = CampaignFactory(unit=world.unit_a)
    event = ledger_services.event_submit(
        event=EventFactory(campaign=campaign, organization=world.dept_a, title="重复提交的档案"), actor=None
    )
    number = event.archive_number
    assert number
    detail = reverse("ledger:detail", args=[event.pk])
    url = reverse("ledger:delete", args=[event.pk])
    # the liaison who may change drafts is refused a numbered one, in Chinese, and the dossier stays
    liaison = _client(world, "a_liaison")
    assert url not in liaison.get(detail).content.decode()
    refused = liaison.post(url, follow=True)
    assert "已编档号的档案只能由本单位的创建办或管理员删除。" in refused.content.decode()
    assert Event.objects.filter(pk=event.pk).exists()

    office = _client(world, "a_office")
    assert url in office.get(detail).content.decode()
    done = office.post(url, follow=True)
    assert "档案已移入" in done.content.decode() and f'href="{reverse("trash:index")}"' in done.content.decode()
    assert not Event.objects.filter(pk=event.pk).exists()
    deletion = Deletion.objects.get(model="ledger.Event")
    assert office.post(reverse("trash:restore", args=[deletion.pk])).status_code == 302
    assert Event.objects.get(pk=event.pk).archive_number == number


def test_an_archived_dossier_has_no_delete_button_only_withdraw(world):
    campaign = CampaignFactory(unit=world.unit_a)
    event = ledger_services.event_archive(
        event=ledger_services.event_submit(
            event=EventFactory(campaign=campaign, organization=world.dept_a), actor=None
        ),
        actor=None,
    )
    admin = _client(world, "a_admin")
    page = admin.get(reverse("ledger:detail", args=[event.pk])).content.decode()
    assert reverse("ledger:delete", args=[event.pk]) not in page
    assert reverse("ledger:withdraw", args=[event.pk]) in page
    refused = admin.post(reverse("ledger:delete", args=[event.pk]), follow=True)
    assert "已归档的档案不能删除，只能由管理员撤档。" in refused.content.decode()
    assert Event.objects.filter(pk=event.pk).exists() and not Deletion.objects.exists()


def test_a_dossier_delete_asks_first_and_says_what_goes_with_it(world):
    """GIVEN a submitted dossier with 2 files and a media report
    WHEN the 创建办 opens 删除
    THEN a page (no change yet) says files and the report go into the 回收站 and the number comes back on restore;
    the liaison's page for the same dossier shows the refusal and no button; POST then moves it."""
    campaign = CampaignFactory(unit=world.unit_a)
    event = EventFactory(campaign=campaign, organization=world.dept_a, title="有材料的档案")
    EvidenceFileFactory.create_batch(2, event=event)
    MediaReportFactory(event=event)
    event = ledger_services.event_submit(event=event, actor=None)
    url = reverse("ledger:delete", args=[event.pk])

    office = _client(world, "a_office")
    assert url in office.get(reverse("ledger:detail", args=[event.pk])).content.decode()
    page = office.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "同时移入回收站" in text and "2 个文件" in text and "媒体报道" in text
    assert "档号随档案进入回收站" in text and 'data-testid="delete-submit"' in text
    assert Event.objects.filter(pk=event.pk).exists() and not Deletion.objects.exists()

    liaison = _client(world, "a_liaison")
    refused = liaison.get(url).content.decode()
    assert (
        "已编档号的档案只能由本单位的创建办或管理员删除。" in refused and 'data-testid="delete-submit"' not in refused
    )

    assert _client(world, "b_office").get(url).status_code == 404
    assert office.post(url).status_code == 302
    assert not Event.objects.filter(pk=event.pk).exists()
    assert Deletion.objects.get(model="ledger.Event").object_id == str(event.pk)
