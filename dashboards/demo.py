"""Demo reminders for `manage.py seed_demo`: reminder rules on both demo campaigns, one group robot (sending
off) on one unit, and notices for the demo users so the bell shows something on first sign-in.

The notices are the real ones: the reminder runner is run for today (without delivering email or robots),
so the demo's overdue and due-soon tasks appear in the bell. Idempotent: the outbox never writes a message twice.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import ReminderSettings
from demo.context import DemoContext

# Unit code → reminder rules different from the defaults (the other demo campaign keeps them).
DEMO_SETTINGS = {"scjgj": {}, "sthjj": {"due_soon_days": "5,2,1", "overdue_repeat_days": 2}}
ROBOT_UNIT = "scjgj"


def seed(ctx: DemoContext) -> dict:
    from notifications.demo import seed_demo_robot, seed_notifications

    from .reminders import run_reminders

    campaigns = ctx.extra.get("campaigns", {})
    rows = []
    for code, campaign in campaigns.items():
        row, _ = ReminderSettings.objects.get_or_create(campaign=campaign, defaults=DEMO_SETTINGS.get(code, {}))
        rows.append({"campaign_id": campaign.pk, "unit_code": code, "due_soon_days": row.due_soon_days})
    robots = []
    if ROBOT_UNIT in ctx.organizations:
        robot = seed_demo_robot(ctx.organizations[ROBOT_UNIT])
        robots.append({"unit_code": ROBOT_UNIT, "name": robot.name, "enabled": robot.enabled})
    seed_notifications(list(ctx.users.values()))
    result = run_reminders(now=timezone.now(), deliver=False)
    # 动态管理 reads snapshots: take today's, so the city page has its table on first sign-in.
    from .services import snapshot_units

    snapshot_units()
    # And the last day of last month: the city page shows a month's change, and last month's 月度通报 (the form's
    # default month) can be compiled on first sign-in.
    snapshot_units(day=timezone.localdate().replace(day=1) - datetime.timedelta(days=1))
    return {"reminder_settings": rows, "robots": robots, "reminders": [result.as_json()]}


def reset(ctx: DemoContext) -> None:
    ReminderSettings.objects.filter(campaign__unit__code__in=list(DEMO_SETTINGS)).delete()
