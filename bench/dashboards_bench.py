"""Benchmark: the unit 驾驶舱, the city 动态管理 and the nightly snapshots at city scale (run on demand).

`python bench/dashboards_bench.py [--units 50] [--small 5] [--repeat 20]` builds, in a throw-away SQLite database (or
the DATABASE_URL given), a city with `--units` units × 12 departments, 150 tasks per unit, 400 dossiers per unit,
100 volunteers per unit with 40 confirmed records each, three self-inspection rounds per unit over a 60-criterion
system, rectifications, and 12 months of daily snapshots (bulk-inserted). Then, for the first `--small` units
only and for all units, it times (server side, through the Django test client, no cache):

- the unit 驾驶舱 of one unit (p50, p95, queries),
- the city 动态管理 page (p50, p95, queries),
- the nightly snapshot of every unit (seconds).

Results go to bench/results/dashboards.json. Target (issue 12): city p95 ≤ 300 ms, unit pages p95 ≤ 200 ms on
PostgreSQL; query counts identical at both sizes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/wenming-dashboards-bench.sqlite3"

CITY_CODE = "bench-dash-city"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def build(units: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Campaign, Phase, Task, TaskStatus
    from dashboards.models import UnitSnapshot
    from evaluation.models import (
        CampaignSystem,
        Criterion,
        EvaluationSystem,
        Indicator,
        Item,
        RectificationItem,
        Score,
        SelfAssessment,
    )
    from ledger.models import Event
    from organizations.models import Membership, OrganizationKind, Role, User
    from organizations.services import organization_create
    from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord, StaffCount, Volunteer

    rng = random.Random(12)
    today = timezone.localdate()
    year = today.year
    with transaction.atomic():
        city = organization_create(kind=OrganizationKind.OFFICE, name="基准测试市文明办", code=CITY_CODE)
        user = User.objects.create_user("bench-city", password="Passw0rd!bench")
        Membership.objects.create(user=user, organization=city, role=Role.OFFICE)
        system = EvaluationSystem.objects.create(name="基准测评体系")
        criteria = []
        for i in range(6):
            item = Item.objects.create(system=system, code=str(i + 1), name=f"测评项目{i + 1}", order=i)
            for j in range(5):
                ind = Indicator.objects.create(system=system, item=item, code=f"{i + 1}.{j + 1}", order=j)
                for k in range(2):
                    criteria.append(
                        Criterion.objects.create(
                            system=system,
                            indicator=ind,
                            code=f"{i + 1}.{j + 1}.{k + 1}",
                            text="标准",
                            points=Decimal("2"),
                            order=k,
                        )
                    )
        for u in range(units):
            unit = organization_create(kind=OrganizationKind.UNIT, name=f"基准单位{u}", code=f"bench-u{u}", parent=city)
            depts = [
                organization_create(
                    kind=OrganizationKind.DEPARTMENT, name=f"科室{d}", code=f"bench-u{u}-d{d}", parent=unit
                )
                for d in range(12)
            ]
            campaign = Campaign.objects.create(
                unit=unit, title=f"基准创建{u}", start_year=year, end_year=year, status="active"
            )
            Phase.objects.create(
                campaign=campaign,
                name="全面创建",
                start=today - datetime.timedelta(90),
                end=today + datetime.timedelta(60),
            )
            tasks = Task.objects.bulk_create(
                Task(
                    campaign=campaign,
                    title=f"任务{t}",
                    order=t,
                    status=rng.choice([TaskStatus.DONE, TaskStatus.DOING, TaskStatus.TODO]),
                    due_date=today + datetime.timedelta(rng.randint(-60, 60)),
                )
                for t in range(150)
            )
            Task.lead_units.through.objects.bulk_create(
                Task.lead_units.through(task_id=t.pk, organization_id=depts[i % 12].pk) for i, t in enumerate(tasks)
            )
            events = Event.objects.bulk_create(
                Event(
                    campaign=campaign,
                    organization=depts[e % 12],
                    title=f"活动{e}",
                    start_date=datetime.date(year, 1 + e % 12, 1 + e % 27),
                    category=rng.choice(["meeting", "study", "volunteer"]),
                    is_complete=e % 3 != 0,
                    is_late_entry=e % 7 == 0,
                    completed_at=timezone.now() if e % 3 != 0 else None,
                )
                for e in range(400)
            )
            Criterion.events.through.objects.bulk_create(
                Criterion.events.through(criterion_id=c.pk, event_id=events[i].pk) for i, c in enumerate(criteria[::2])
            )
            CampaignSystem.objects.create(campaign=campaign, system=system)
            for r in range(3):
                a = SelfAssessment.objects.create(
                    campaign=campaign, system=system, name=f"第{r + 1}轮", date=today - datetime.timedelta(90 - 30 * r)
                )
                Score.objects.bulk_create(
                    Score(assessment=a, criterion=c, value=Decimal(rng.choice([1, 2]))) for c in criteria
                )
            RectificationItem.objects.bulk_create(
                RectificationItem(
                    campaign=campaign,
                    problem=f"问题{i}",
                    deadline=today + datetime.timedelta(rng.randint(-20, 20)),
                    status=rng.choice(["pending", "in_progress", "done"]),
                )
                for i in range(20)
            )
            StaffCount.objects.create(organization=unit, year=year, count=110)
            volunteers = Volunteer.objects.bulk_create(
                Volunteer(
                    organization=depts[v % 12],
                    name=f"志愿者{u}-{v}",
                    is_registered=True,
                    registered_on=datetime.date(year, 1, 1),
                )
                for v in range(100)
            )
            acts = ServiceActivity.objects.bulk_create(
                ServiceActivity(organization=depts[a % 12], title=f"服务{a}", date=datetime.date(year, 1 + a % 11, 5))
                for a in range(40)
            )
            ServiceRecord.objects.bulk_create(
                ServiceRecord(volunteer=v, activity=a, hours=Decimal("1.5"), status=RecordStatus.CONFIRMED)
                for v in volunteers
                for a in acts
            )
            UnitSnapshot.objects.bulk_create(
                UnitSnapshot(
                    unit=unit,
                    date=today - datetime.timedelta(d),
                    measures={
                        "task_done_pct": rng.uniform(20, 95),
                        "tasks_overdue": rng.randint(0, 20),
                        "self_pct": rng.uniform(60, 95),
                    },
                )
                for d in range(1, 366)
            )


def time_pages(client, urls: dict[str, str], repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name, url in urls.items():
        client.get(url)
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                status = client.get(url).status_code
            timings.append((time.perf_counter() - start) * 1000)
            assert status == 200, (url, status)
        out[name] = {"p50_ms": _pct(timings, 0.5), "p95_ms": _pct(timings, 0.95), "queries": len(ctx.captured_queries)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboards.services import snapshot_units
    from organizations.models import Organization, OrganizationKind, User

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(code=CITY_CODE).exists():
        start = time.perf_counter()
        build(args.units)
        print(f"built {args.units} units in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":
        # Bulk inserts leave the planner's statistics stale (the volunteer hours query then takes a bad plan).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    city = Organization.objects.get(code=CITY_CODE)
    units = list(Organization.objects.filter(path__startswith=city.path, kind=OrganizationKind.UNIT).order_by("path"))
    client = Client()
    client.force_login(User.objects.get(username="bench-city"))
    today = timezone.localdate()
    results: dict = {
        "database": connection.vendor,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
    }

    start = time.perf_counter()
    snapshot_units(day=today, units=units)
    results["snapshot_all_units_s"] = round(time.perf_counter() - start, 2)

    cockpit = {
        "unit_cockpit": reverse("dashboards:unit_cockpit", kwargs={"pk": units[0].pk}),
        "city": reverse("dashboards:city"),
    }
    results[f"{len(units)}_units"] = time_pages(client, cockpit, args.repeat)
    # The small city: the same office with only its first units (the others briefly not units), same snapshots.
    hidden = [u.pk for u in units[args.small :]]
    Organization.objects.filter(pk__in=hidden).update(kind=OrganizationKind.AFFILIATE)
    try:
        results[f"{args.small}_units"] = time_pages(client, {"city": reverse("dashboards:city")}, args.repeat)
    finally:
        Organization.objects.filter(pk__in=hidden).update(kind=OrganizationKind.UNIT)
    results["same_city_queries"] = (
        results[f"{args.small}_units"]["city"]["queries"] == results[f"{len(units)}_units"]["city"]["queries"]
    )
    out = ROOT / "bench" / "results" / "dashboards.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
