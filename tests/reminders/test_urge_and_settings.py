"""催办 (once per object per day, at once on every channel) and the 提醒规则 page."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from campaigns.models import ReminderSettings, TaskStatus, Urge
from campaigns.urging import UrgeError, task_urge
from evaluation.urging import rectification_urge
from notifications.models import Notice, Outbox
from notifications.services import preference_set
from tests.factories import RectificationItemFactory

from .conftest import D

pytestmark = pytest.mark.django_db
day = datetime.timedelta(days=1)
NOW = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def test_urge_reaches_the_lead_liaison_and_responsible_people_at_once_on_their_channels(town):
    task = town.task(due_date=D - 2 * day, title="开展文明交通志愿服务")
    task.responsible_people.set([town.liaison2])
    preference_set(user=town.liaison, choices={"urgent": {"email": True}})
    urge = task_urge(task=task, user=town.office, text="请今天内填报\n进展", now=NOW)
    assert urge.text == "请今天内填报 进展" and urge.recipient_count == 2 and urge.on_date == D
    notices = Notice.objects.filter(kind="urgent")
    assert {n.user.username for n in notices} == {"rm_liaison", "rm_liaison2"}
    assert all("请今天内填报 进展" in n.body and n.url == f"/campaigns/tasks/{task.pk}/" for n in notices)
    assert Outbox.objects.filter(rule="urge.task", channel="email", recipient=town.liaison, urgent=True).exists()


def test_urge_once_per_day_and_only_overdue_open_tasks_by_the_office(town):
    task = town.task(due_date=D - day)
    task_urge(task=task, user=town.office, now=NOW)
    with pytest.raises(UrgeError, match="今天已经催办过了"):
        task_urge(task=task, user=town.office, now=NOW + datetime.timedelta(hours=3))
    assert Urge.objects.count() == 1
    task_urge(task=task, user=town.office, now=NOW + day)  # the next day is fine
    with pytest.raises(PermissionDenied):
        task_urge(task=task, user=town.liaison, now=NOW + 2 * day)
    with pytest.raises(UrgeError, match="已逾期且未完成"):
        task_urge(task=town.task(due_date=D + day), user=town.office, now=NOW)
    done = town.task(due_date=D - day, status=TaskStatus.DONE)
    with pytest.raises(UrgeError, match="已逾期且未完成"):
        task_urge(task=done, user=town.office, now=NOW)
    with pytest.raises(UrgeError, match="最多 200 字"):
        task_urge(task=town.task(due_date=D - day), user=town.office, text="催" * 201, now=NOW)


def test_rectification_urge_to_the_named_person(town):
    item = RectificationItemFactory(campaign=town.campaign, responsible_person="李联络", deadline=D - day)
    rectification_urge(item=item, user=town.office, text="本周内完成", now=NOW)
    assert list(Notice.objects.values_list("user__username", flat=True)) == ["rm_liaison2"]
    with pytest.raises(UrgeError, match="今天已经催办过了"):
        rectification_urge(item=item, user=town.office, now=NOW)


def test_urge_views_record_on_the_task_page_and_refuse_in_chinese(town, client):
    from django.utils import timezone

    task = town.task(due_date=timezone.localdate() - day)
    client.force_login(town.office)
    url = reverse("campaigns:task_urge", args=[task.pk])
    response = client.post(url, {"text": "请抓紧"}, follow=True)
    assert response.status_code == 200 and "已催办，1 人已收到通知。" in response.content.decode()
    assert "请抓紧" in response.content.decode() and 'data-testid="urge-button"' not in response.content.decode()
    again = client.post(url, {"text": "再催"})
    assert again.status_code == 409 and "今天已经催办过了" in again.content.decode()
    assert client.get(url).status_code == 405
    client.force_login(town.liaison)
    page = client.get(reverse("campaigns:task_detail", args=[task.pk])).content.decode()
    assert "请抓紧" in page and 'data-testid="urge-button"' not in page


def _post(**overrides) -> dict:
    data = {
        "due_soon_days": "7,3,1",
        "overdue_repeat_days": 3,
        "escalate_office_days": 3,
        "escalate_leaders_days": 10,
        "dossier_incomplete_days": 7,
        "returned_days": 5,
        "hours_unconfirmed_days": 3,
        "due_soon_enabled": "on",
        "digest_enabled": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_saves_and_rejects_bad_input_in_chinese(town, client):
    url = reverse("campaigns:reminder_settings", args=[town.campaign.pk])
    client.force_login(town.office)
    assert "到期前提醒（天）" in client.get(url).content.decode()
    response = client.post(url, _post(due_soon_days="10，5、2"))
    assert response.status_code == 302
    row = ReminderSettings.objects.get(campaign=town.campaign)
    assert row.due_soon_days == "10,5,2" and row.due_soon_list == [10, 5, 2] and not row.overdue_enabled
    assert row.updated_by == town.office
    for bad, message in (
        ({"due_soon_days": "七天"}, "不是天数"),
        ({"due_soon_days": "0"}, "天数应在 1 到 90 之间"),
        ({"due_soon_days": ""}, "这个字段是必填项"),
        ({"escalate_leaders_days": 2}, "不能少于告知创建办的天数"),
        ({"overdue_repeat_days": -1}, "确保该值大于或等于"),
    ):
        response = client.post(url, _post(**bad))
        assert response.status_code == 400 and message in response.content.decode(), (bad, message)
    assert ReminderSettings.objects.get(campaign=town.campaign).due_soon_days == "10,5,2"
    client.force_login(town.liaison)
    page = client.get(url)
    assert page.status_code == 200 and "disabled" in page.content.decode()
    assert client.post(url, _post()).status_code == 403
