"""notify(): one outbox row per (rule, object, recipient, channel, period), written before anything is sent."""

from datetime import timedelta

import pytest
from django.db import transaction

from notifications import services
from notifications.models import Channel, Kind, Notice, Outbox, OutboxStatus
from tests.factories import NotificationPreferenceFactory, OrganizationFactory, RobotConfigFactory, UserFactory

from .conftest import WORKING_NOW

pytestmark = pytest.mark.django_db


def _notify(obj, users, **kw):
    args = {
        "rule": "task.due_soon",
        "obj": obj,
        "recipients": users,
        "title": "任务“文明单位创建”3天后到期",
        "body": "请及时报送进展。",
        "url": "/campaigns/",
        "period": "2026-12-01",
        "now": WORKING_NOW,
    }
    args.update(kw)
    return services.notify(**args)


def test_a_second_call_sends_nothing():
    org = OrganizationFactory()
    users = [UserFactory(), UserFactory()]
    first = _notify(org, users)
    assert (first.created, first.skipped, first.held) == (2, 0, 0)
    assert Notice.objects.filter(user__in=users, title__contains="3天后到期").count() == 2
    second = _notify(org, users)
    assert (second.created, second.skipped) == (0, 2)
    assert Outbox.objects.count() == 2
    assert Notice.objects.count() == 2
    # Another period, object or rule is another message.
    assert _notify(org, users, period="2026-12-02").created == 2
    assert _notify(OrganizationFactory(), users).created == 2
    assert _notify(org, users, rule="task.overdue").created == 2


def test_in_app_notice_is_sent_at_once_and_email_follows_the_preference():
    """GIVEN defaults THEN email only for the digest; a user who turns email on for reminders gets an email row."""
    org = OrganizationFactory()
    plain, keen = UserFactory(), UserFactory()
    NotificationPreferenceFactory(user=keen, kind=Kind.REMINDER, channel=Channel.EMAIL, enabled=True)
    result = _notify(org, [plain, keen])
    assert result.by_channel == {Channel.IN_APP: 2, Channel.EMAIL: 1}
    assert Outbox.objects.get(recipient=keen, channel=Channel.EMAIL).status == OutboxStatus.PENDING
    assert set(Outbox.objects.filter(channel=Channel.IN_APP).values_list("status", flat=True)) == {OutboxStatus.SENT}

    digest = _notify(None, [plain], rule="digest.weekly", kind=Kind.DIGEST, period="2026-W49")
    assert digest.by_channel == {Channel.IN_APP: 1, Channel.EMAIL: 1}
    NotificationPreferenceFactory(user=plain, kind=Kind.DIGEST, channel=Channel.EMAIL, enabled=False)
    again = _notify(None, [plain], rule="digest.weekly", kind=Kind.DIGEST, period="2026-W50")
    assert again.by_channel == {Channel.IN_APP: 1}


def test_one_row_per_enabled_robot_of_each_organisation():
    unit = OrganizationFactory()
    on = RobotConfigFactory(organization=unit, enabled=True)
    RobotConfigFactory(organization=unit, enabled=False)
    result = _notify(unit, [UserFactory()], robot_organizations=[unit])
    assert result.by_channel == {Channel.IN_APP: 1, Channel.WECOM: 1}
    assert Outbox.objects.get(channel=Channel.WECOM).robot == on
    assert _notify(unit, [], robot_organizations=[unit]).skipped == 1


def test_outside_working_time_rows_are_held_until_the_morning():
    evening = WORKING_NOW.replace(hour=20)
    user = UserFactory()
    result = _notify(None, [user], kind=Kind.DIGEST, rule="digest", now=evening)
    assert result.held == 1
    row = Outbox.objects.get(channel=Channel.EMAIL)
    assert row.status == OutboxStatus.HELD and row.held_for_working_time
    assert row.next_attempt_at == (WORKING_NOW + timedelta(days=1)).replace(hour=8, minute=30)
    assert Notice.objects.filter(user=user).count() == 1  # the bell does not wait


def test_rows_roll_back_with_the_callers_transaction():
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(None, [user])
        raise RuntimeError("the caller's write failed")
    assert not Outbox.objects.exists() and not Notice.objects.exists()


def test_notify_many_costs_the_same_queries_for_ten_or_two_hundred_objects(django_assert_max_num_queries):
    users = [UserFactory() for _ in range(3)]
    orgs = [OrganizationFactory() for _ in range(200)]

    def batch(objs, period):
        return [services.Message(rule="r", obj=o, recipients=users, title="t", body="", period=period) for o in objs]

    services.is_working_day(WORKING_NOW.date())  # the calendar is read once per process, not per call
    with django_assert_max_num_queries(8) as small:
        services.notify_many(batch(orgs[:10], "p1"), now=WORKING_NOW)
    with django_assert_max_num_queries(8) as large:
        result = services.notify_many(batch(orgs, "p2"), now=WORKING_NOW)
    assert result.created == 600
    assert len(large.captured_queries) == len(small.captured_queries)
