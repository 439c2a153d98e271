"""`manage.py send_reminders`: exactly once across reruns, nothing stale, and a fixed number of queries."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import TaskStatus
from dashboards.reminders import run_reminders
from notifications.models import Notice, Outbox
from tests.factories import MembershipFactory, OrganizationFactory, TaskFactory, UserFactory

from .conftest import D, build_town

pytestmark = pytest.mark.django_db
day = datetime.timedelta(days=1)


def _run(*args: str) -> dict:
    out = StringIO()
    call_command("send_reminders", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_json_shape_and_second_run_sends_nothing(town):
    town.task(due_date=D - day)
    town.task(due_date=D + 3 * day)
    first = _run("--date", str(D))
    assert set(first) == {"date", "due", "sent", "skipped", "held", "failed", "by_kind", "by_channel"}
    assert first["date"] == str(D)
    assert first["by_kind"] == {"task.due_soon": 1, "task.overdue": 1, "digest.weekly": 2}
    assert first["due"] == 4 and first["sent"] >= 4 and first["by_channel"]["in_app"] == 4
    notices = Notice.objects.count()
    second = _run("--date", str(D))
    assert second["sent"] == 0 and second["skipped"] == first["sent"] and second["due"] == first["due"]
    assert Notice.objects.count() == notices == 4


def test_dry_run_writes_nothing(town):
    town.task(due_date=D - day)
    data = _run("--date", str(D), "--dry-run")
    assert data["due"] == 3 and data["dry_run"] is True and data["sent"] == 0
    assert not Outbox.objects.exists()


def test_bad_date_and_unknown_rule_are_chinese_errors(town):
    with pytest.raises(CommandError, match="日期格式"):
        _run("--date", "2026-13-01")
    with pytest.raises(CommandError, match="未知的提醒规则"):
        _run("--only", "nothing.")


def test_completed_between_two_runs_gets_no_overdue_notice(town):
    """GIVEN a task due on D+2, reminded on D  WHEN it is done on D+1  THEN D+3 (overdue) tells nobody."""
    task = town.task(due_date=D + 2 * day)
    assert _run("--date", str(D), "--only", "task.")["by_kind"] == {"task.due_soon": 1}
    task.status = TaskStatus.DONE
    task.save()
    after = _run("--date", str(D + 3 * day), "--only", "task.")
    assert after["due"] == 0 and after["sent"] == 0
    assert not Outbox.objects.filter(rule="task.overdue").exists()


def test_moved_deadline_produces_the_new_due_soon_notices(town):
    task = town.task(due_date=D + 3 * day)
    _run("--date", str(D), "--only", "task.")
    task.due_date = D + 10 * day
    task.save()
    assert _run("--date", str(D), "--only", "task.")["due"] == 0  # nothing due under the new deadline yet
    _run("--date", str(D + 3 * day), "--only", "task.")
    _run("--date", str(D + 7 * day), "--only", "task.")
    periods = sorted(Outbox.objects.filter(rule="task.due_soon", channel="in_app").values_list("period", flat=True))
    assert periods == [f"due-{D + 3 * day}:3", f"due-{D + 10 * day}:3", f"due-{D + 10 * day}:7"]


def _city(units: int, people_per_unit: int = 3) -> list:
    towns = []
    for u in range(units):
        town = build_town(f"q{u}")
        for _ in range(people_per_unit - 2):
            MembershipFactory(user=UserFactory(), organization=town.credit_dept, role="liaison")
        town.other = OrganizationFactory(name=f"第{u}科", code=f"q{u}-k", kind="department", parent=town.unit)
        towns.append(town)
    return towns


def _add_tasks(towns: list, per_unit: int) -> None:
    for town in towns:
        for i in range(per_unit):
            TaskFactory(
                campaign=town.campaign,
                lead_units=[town.office_dept if i % 2 else town.other],
                cooperating_units=[town.credit_dept],
                due_date=D + datetime.timedelta(days=(i % 20) - 12),
                start_date=D - datetime.timedelta(days=i % 9),
            )


def _queries(fn) -> int:
    from django.contrib.contenttypes.models import ContentType

    from notifications.workdays import clear_cache

    clear_cache()
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_tasks():
    """GIVEN three units  WHEN the whole run (rules, digest, notify, deliver) sees 6 and then 60 tasks per unit
    THEN it makes the same number of queries."""
    towns = _city(3)
    _add_tasks(towns, 6)
    small = _queries(lambda: run_reminders(today=D))
    small_rows = Outbox.objects.count()
    Notice.objects.all().delete()
    Outbox.objects.all().delete()
    _add_tasks(towns, 54)
    large = _queries(lambda: run_reminders(today=D))
    assert Outbox.objects.count() > 5 * small_rows
    assert small == large, (small, large)


def test_held_email_for_a_task_done_meanwhile_is_not_sent(town, mailoutbox):
    """GIVEN two overdue tasks reminded on a Saturday (email held for Monday 08:30, the 联络员 wants overdue email)
    WHEN one is completed on Sunday
    THEN Monday's delivery re-checks the rule: that row goes 已过时, the other is sent."""
    from notifications.models import OutboxStatus
    from notifications.services import preference_set

    preference_set(user=town.liaison, choices={"overdue": {"email": True}})
    saturday, monday = datetime.date(2026, 12, 12), datetime.date(2026, 12, 14)
    done = town.task(due_date=datetime.date(2026, 12, 10), title="已完成的任务")
    open_ = town.task(due_date=datetime.date(2026, 12, 10), title="仍未完成的任务")
    first = _run("--date", str(saturday), "--only", "task.")
    assert first["by_channel"] == {"email": 2, "in_app": 2} and first["held"] == 2 and not mailoutbox
    done.status = TaskStatus.DONE
    done.save()
    _run("--date", str(monday), "--only", "task.")
    emails = Outbox.objects.filter(channel="email", rule="task.overdue")
    assert emails.get(object_id=str(done.pk)).status == OutboxStatus.STALE
    assert emails.get(object_id=str(open_.pk)).status == OutboxStatus.SENT
    assert len(mailoutbox) == 1 and "仍未完成的任务" in mailoutbox[0].body and "已完成的任务" not in mailoutbox[0].body
