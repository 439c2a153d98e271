"""The demo: reminder rules on both demo campaigns, one robot switched off, and the bell shows something."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import ReminderSettings
from notifications.models import Notice, Outbox, RobotConfig
from organizations.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_rules_a_silent_robot_and_real_reminders_once():
    call_command("seed_demo", "--force", stdout=StringIO())
    rules = ReminderSettings.objects.select_related("campaign__unit")
    assert {r.campaign.unit.code: r.due_soon_days for r in rules} == {"scjgj": "7,3,1", "sthjj": "5,2,1"}
    robot = RobotConfig.objects.get()
    assert robot.organization.code == "scjgj" and robot.enabled is False
    for username in ("scjgj_liaison2", "sthjj_liaison2", "scjgj_office", "scjgj_leader"):
        user = User.objects.get(username=username)
        assert Notice.objects.filter(user=user, read_at__isnull=True).exists(), username
    # The demo's overdue tasks reach their 联络员 as real reminders, not only the welcome notices.
    assert Outbox.objects.filter(rule="task.overdue", recipient__username="scjgj_liaison2").exists()
    counts = (Notice.objects.count(), Outbox.objects.count())
    call_command("seed_demo", "--force", stdout=StringIO())
    assert (Notice.objects.count(), Outbox.objects.count()) == counts
