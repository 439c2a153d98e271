"""Benchmark: `send_reminders` for a city of 50 units × 150 tasks with 10 people each (7,500 tasks).

`python bench/reminders_bench.py [--units 50] [--tasks 150] [--people 10]` builds the city (bulk-inserted) in a
throw-away SQLite database (or the DATABASE_URL given), then runs the whole reminder run (every app's rules, the
digest, notify_many, deliver_due with email to a local in-memory backend) at two sizes: half the tasks per unit,
then all of them, each time on an empty outbox, and a rerun (which must send nothing). It records seconds and
the number of queries; the query count must be the same at both sizes.

Results go to bench/results/reminders.json. Target: < 30 s at 7,500 tasks (2 cores, shared).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/wenming-reminders-bench.sqlite3"

PREFIX = "bench-rm"
D = datetime.date(2026, 12, 8)  # a Tuesday


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=150, help="tasks per unit (the larger size)")
    parser.add_argument("--people", type=int, default=10, help="people per unit")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from campaigns.models import Campaign, CampaignStatus, LeadershipMember, LeadershipRole, Task
    from dashboards.reminders import run_reminders
    from notifications.models import Notice, Outbox
    from notifications.workdays import clear_cache
    from organizations.models import Membership, OrganizationKind, Role, User
    from organizations.services import organization_create

    call_command("migrate", verbosity=0)
    Notice.objects.all().delete()
    Outbox.objects.all().delete()
    # Earlier runs' cities stay in the database but leave the rules (their campaigns closed); each run builds anew.
    Campaign.objects.filter(unit__code__startswith=PREFIX).update(status=CampaignStatus.CLOSED)
    run = f"{PREFIX}{int(time.time())}"

    started = time.perf_counter()
    city = organization_create(name=f"基准市文明办{run[-6:]}", code=f"{run}-city", kind=OrganizationKind.OFFICE)
    units, depts = [], {}
    for u in range(args.units):
        unit = organization_create(name=f"基准局{u:02d}", code=f"{run}-{u}", kind=OrganizationKind.UNIT, parent=city)
        units.append(unit)
        depts[unit.pk] = [
            organization_create(name=f"第{d}科", code=f"{run}-{u}-{d}", kind=OrganizationKind.DEPARTMENT, parent=unit)
            for d in range(max(args.people - 2, 1))
        ]
    users = User.objects.bulk_create(
        User(username=f"{run}-{u}-{p}", real_name=f"人员{u}-{p}", email=f"{run}-{u}-{p}@example.cn")
        for u in range(args.units)
        for p in range(args.people)
    )
    memberships = []
    for i, unit in enumerate(units):
        people = users[i * args.people : (i + 1) * args.people]
        memberships.append(Membership(user=people[0], organization=unit, role=Role.OFFICE))
        memberships.append(Membership(user=people[1], organization=unit, role=Role.LEADER))
        for p, dept in zip(people[2:], depts[unit.pk], strict=False):
            memberships.append(Membership(user=p, organization=dept, role=Role.LIAISON))
    Membership.objects.bulk_create(memberships)
    campaigns = Campaign.objects.bulk_create(
        Campaign(unit=u, title=f"{u.name}2026年度创建", start_year=2026, end_year=2026, status=CampaignStatus.ACTIVE)
        for u in units
    )
    LeadershipMember.objects.bulk_create(
        LeadershipMember(campaign=c, name="局长", role=LeadershipRole.LEADER, user=users[i * args.people + 1])
        for i, c in enumerate(campaigns)
    )
    build_seconds = time.perf_counter() - started

    def add_tasks(first: int, last: int) -> None:
        tasks = Task.objects.bulk_create(
            Task(
                campaign=c,
                number=f"{i + 1}.",
                title=f"创建任务{i:03d}",
                order=i,
                due_date=D + datetime.timedelta(days=(i % 30) - 20),
                start_date=D - datetime.timedelta(days=i % 12),
            )
            for c in campaigns
            for i in range(first, last)
        )
        lead, coop = Task.lead_units.through, Task.cooperating_units.through
        by_campaign = {c.pk: depts[c.unit_id] for c in campaigns}
        lead.objects.bulk_create(
            lead(task_id=t.pk, organization_id=by_campaign[t.campaign_id][t.order % len(by_campaign[t.campaign_id])].pk)
            for t in tasks
        )
        coop.objects.bulk_create(
            coop(
                task_id=t.pk,
                organization_id=by_campaign[t.campaign_id][(t.order + 1) % len(by_campaign[t.campaign_id])].pk,
            )
            for t in tasks
        )

    def measure(label: str) -> dict:
        clear_cache()
        connection.queries_log.clear()  # the build filled the debug log (9,000 entries): count from empty
        with CaptureQueriesContext(connection) as q:
            t0 = time.perf_counter()
            result = run_reminders(today=D)
            seconds = time.perf_counter() - t0
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as q2:
            t1 = time.perf_counter()
            rerun = run_reminders(today=D)
            rerun_seconds = time.perf_counter() - t1
        return {
            "label": label,
            "tasks": Task.objects.filter(campaign__in=campaigns).count(),
            "seconds": round(seconds, 2),
            "queries": len(q.captured_queries),
            "result": result.as_json(),
            "rerun_seconds": round(rerun_seconds, 2),
            "rerun_queries": len(q2.captured_queries),
            "rerun_sent": rerun.sent,
            "outbox_rows": Outbox.objects.count(),
        }

    half = args.tasks // 2
    add_tasks(0, half)
    small = measure("half")
    Notice.objects.all().delete()
    Outbox.objects.all().delete()
    add_tasks(half, args.tasks)
    large = measure("full")
    out = {
        "database": connection.vendor,
        "units": args.units,
        "people_per_unit": args.people,
        "build_seconds": round(build_seconds, 2),
        "sizes": [small, large],
        "queries_equal": small["queries"] == large["queries"],
        "under_30_s": large["seconds"] < 30,
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "reminders.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
