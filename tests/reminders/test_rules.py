"""Each rule's yield on a hand-made town, as of the Tuesday D = 2026-12-08."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import ReminderSettings, TaskStatus
from campaigns.reminders import load_context, still_due, task_reminders
from dashboards.reminders import digest_reminders, due_reminders
from evaluation.reminders import rectification_reminders
from ledger.models import EventStatus, LogAction
from ledger.reminders import ledger_reminders
from tests.factories import (
    EventFactory,
    EventLogFactory,
    PhaseFactory,
    RectificationItemFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    VolunteerFactory,
)
from volunteers.reminders import volunteer_reminders

from .conftest import D

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
day = datetime.timedelta(days=1)


def _due(fn, today=D):
    return [(d.rule, d.period, {u.username for u in d.recipients}) for d in fn(load_context(today))]


def test_task_start_by_phase_and_by_own_date_with_cooperating_departments(town):
    phase = PhaseFactory(campaign=town.campaign, start=D, end=D + 30 * day)
    town.task(phase=phase, cooperating_units=[town.credit_dept], due_date=D + 30 * day)
    town.task(start_date=D - 2 * day, due_date=D + 40 * day)
    town.task(start_date=D + day, due_date=D + 40 * day)  # not yet
    town.task(start_date=D - 20 * day, due_date=D + 40 * day)  # long ago: no catch-up after a week
    found = _due(task_reminders)
    assert sorted(found) == sorted(
        [
            ("task.start", f"start:{D}", {"rm_liaison"}),
            ("task.start.cooperating", f"start:{D}", {"rm_liaison2"}),
            ("task.start", f"start:{D - 2 * day}", {"rm_liaison"}),
        ]
    )


def test_due_soon_steps_and_a_missed_day_caught_up_once(town):
    town.task(due_date=D + 7 * day)
    town.task(due_date=D + 5 * day)  # between 7 and 3: the 7-days notice (late but once)
    town.task(due_date=D + 2 * day)  # 7 and 3 both passed: only the 3-days notice
    town.task(due_date=D)  # today: the 1-day notice
    town.task(due_date=D + 8 * day)  # not yet
    periods = sorted(p for rule, p, _ in _due(task_reminders) if rule == "task.due_soon")
    assert periods == sorted([f"due-{D + 7 * day}:7", f"due-{D + 5 * day}:7", f"due-{D + 2 * day}:3", f"due-{D}:1"])


def test_overdue_ladder_by_working_days_and_escalation(town):
    """GIVEN deadlines 1, 3, 4 and 10 working days before D (weekends skipped)
    THEN the ladder steps are 1, 1, 2, 4; the 创建办 hears from 3 days, the 组长 from 10."""
    from notifications.services import add_working_days

    late = {n: add_working_days(D, -n) for n in (1, 3, 4, 10)}
    assert late[1] == D - day and late[3] == datetime.date(2026, 12, 3)  # Thursday before: a weekend between
    tasks = {n: town.task(due_date=d) for n, d in late.items()}
    found = _due(task_reminders)
    ladder = {p for rule, p, _ in found if rule == "task.overdue"}
    assert ladder == {f"overdue-{late[1]}:1", f"overdue-{late[3]}:1", f"overdue-{late[4]}:2", f"overdue-{late[10]}:4"}
    office = {p for rule, p, who in found if rule == "task.overdue.office" and who == {"rm_office"}}
    assert office == {f"escalate-{late[n]}:office" for n in (3, 4, 10)}
    leaders = [(p, who) for rule, p, who in found if rule == "task.overdue.leaders"]
    assert leaders == [(f"escalate-{late[10]}:leaders", {"rm_leader"})]
    assert still_due("task.overdue", tasks[4], f"overdue-{late[4]}:2", today=D)
    assert not still_due("task.overdue", tasks[4], f"overdue-{late[4]}:1", today=D)  # an older step


def test_done_task_and_moved_deadline(town):
    task = town.task(due_date=D - day)
    assert [r for r, _, _ in _due(task_reminders)] == ["task.overdue"]
    assert still_due("task.overdue", task, f"overdue-{D - day}:1", town.liaison, today=D)
    task.status = TaskStatus.DONE
    task.save()
    assert _due(task_reminders) == []
    assert not still_due("task.overdue", task, f"overdue-{D - day}:1", today=D)
    task.status = TaskStatus.DOING
    task.due_date = D + 3 * day
    task.save()
    assert _due(task_reminders) == [("task.due_soon", f"due-{D + 3 * day}:3", {"rm_liaison"})]
    # reassigned: the old department's 联络员 is no longer a recipient
    task.lead_units.set([town.credit_dept])
    assert not still_due("task.due_soon", task, f"due-{D + 3 * day}:3", town.liaison, today=D)
    assert still_due("task.due_soon", task, f"due-{D + 3 * day}:3", town.liaison2, today=D)


def test_settings_switch_rules_off_and_change_days(town):
    town.task(due_date=D + 5 * day)
    town.task(due_date=D - day)
    ReminderSettings.objects.create(campaign=town.campaign, due_soon_days="5", overdue_enabled=False)
    assert _due(task_reminders) == [("task.due_soon", f"due-{D + 5 * day}:5", {"rm_liaison"})]


def test_task_without_liaison_goes_to_the_office_and_responsible_people_are_told(town):
    task = town.task(due_date=D - day, lead_units=[town.unit])
    assert _due(task_reminders)[0][2] == {"rm_office"}
    task.responsible_people.set([town.leader])
    assert _due(task_reminders)[0][2] == {"rm_leader"}


def test_rectification_due_and_overdue_to_the_named_person(town):
    RectificationItemFactory(campaign=town.campaign, responsible_person="张联络", deadline=D + 3 * day)
    item = RectificationItemFactory(campaign=town.campaign, responsible_person="无此人", deadline=D - day)
    item.responsible_units.set([town.credit_dept])
    RectificationItemFactory(campaign=town.campaign, responsible_person="", deadline=D - day, status="done")
    found = sorted(_due(rectification_reminders))
    assert found == [
        ("rectification.due_soon", f"due-{D + 3 * day}:3", {"rm_liaison"}),
        ("rectification.overdue", f"overdue-{D - day}:1", {"rm_liaison2"}),
    ]


def test_ledger_incomplete_after_seven_days_and_returned_after_five(town):
    EventFactory(campaign=town.campaign, organization=town.office_dept, start_date=D - 7 * day)
    EventFactory(campaign=town.campaign, organization=town.office_dept, start_date=D - 6 * day)  # not yet
    EventFactory(campaign=town.campaign, start_date=D - 30 * day, is_complete=True)
    returned = EventFactory(
        campaign=town.campaign, start_date=D - 30 * day, is_complete=True, status=EventStatus.RETURNED
    )
    log = EventLogFactory(event=returned, action=LogAction.RETURN)
    at = timezone.make_aware(datetime.datetime.combine(D - 5 * day, datetime.time(10)))
    type(log).objects.filter(pk=log.pk).update(at=at)
    found = sorted(_due(ledger_reminders))
    assert found == [
        ("ledger.incomplete", f"incomplete-{D - 7 * day}", {"rm_liaison"}),
        ("ledger.returned", f"returned-{D - 5 * day}", {"rm_office"}),
    ]
    type(log).objects.filter(pk=log.pk).update(at=at + day)
    assert [r for r, _, _ in _due(ledger_reminders)] == ["ledger.incomplete"]


def test_volunteer_hours_waiting_more_than_three_days_to_the_office(town):
    volunteer = VolunteerFactory(organization=town.office_dept)
    old = ServiceActivityFactory(organization=town.office_dept, date=D - 10 * day)
    fresh = ServiceActivityFactory(organization=town.office_dept, date=D - 2 * day)
    r1 = ServiceRecordFactory(volunteer=volunteer, activity=old)
    r2 = ServiceRecordFactory(volunteer=volunteer, activity=fresh)
    r1.__class__.objects.filter(pk=r1.pk).update(created_at=datetime.datetime(2026, 12, 4, 9, tzinfo=SHANGHAI))
    r2.__class__.objects.filter(pk=r2.pk).update(created_at=datetime.datetime(2026, 12, 5, 9, tzinfo=SHANGHAI))
    assert _due(volunteer_reminders) == [("volunteers.unconfirmed", "pending-since-2026-12-04", {"rm_office"})]


def test_weekly_digest_is_one_message_with_every_section(town):
    town.task(due_date=D - day)
    town.task(due_date=D - 2 * day, lead_units=[town.credit_dept])
    RectificationItemFactory(campaign=town.campaign, deadline=D + 2 * day)
    EventFactory(campaign=town.campaign, start_date=D - 30 * day)
    VolunteerFactory(organization=town.office_dept)
    digests = list(digest_reminders(load_context(D)))
    assert len(digests) == 1
    digest = digests[0]
    assert digest.period == "digest:2026-W50" and digest.kind == "digest"
    assert {u.username for u in digest.recipients} == {"rm_office", "rm_leader"}
    assert "办公室 1 项" in digest.body and "信用监管科 1 项" in digest.body
    assert "7 天内到期 1 项" in digest.body
    assert "材料不齐全的档案 1 份" in digest.body
    assert "注册志愿者 1 人" in digest.body and f"目标 {Decimal('25') * 1}" in digest.body
    ReminderSettings.objects.create(campaign=town.campaign, digest_enabled=False)
    assert list(digest_reminders(load_context(D))) == []


def test_only_active_campaigns(town):
    town.task(due_date=D - day)
    town.campaign.status = "closed"
    town.campaign.save()
    assert due_reminders(D) == []


def test_a_campaign_whose_years_are_over_sends_nothing_even_if_left_active(town):
    town.task(due_date=D - day)
    assert due_reminders(D) != []
    town.campaign.start_year, town.campaign.end_year = D.year - 6, D.year - 4
    town.campaign.save()
    assert town.campaign.status == "active"
    assert due_reminders(D) == []
