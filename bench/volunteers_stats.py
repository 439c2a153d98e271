"""Benchmark: volunteer statistics and the hours import at a big unit's size (run on demand).

`python bench/volunteers_stats.py [--volunteers 2000] [--activities 100] [--import-rows 2000]` builds one unit
with 20 departments, the volunteers, a year of activities with ~40% attendance (bulk-inserted, confirmed) in a
throw-away SQLite database (or the DATABASE_URL given), then times:

- `volunteer_statistics` for the unit and for one department (with the number of queries),
- parsing, matching and saving an hours workbook of `--import-rows` rows (all or nothing, one transaction).

Results go to bench/results/volunteers_stats.json.
Target: unit statistics < 1 s, import of 2,000 rows < 10 s (2 cores, shared).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
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
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/wenming-volunteers-bench.sqlite3"

UNIT_CODE = "bench-vol"
YEAR = 2026


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--activities", type=int, default=100)
    parser.add_argument("--import-rows", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from openpyxl import Workbook

    from organizations.models import Organization, OrganizationKind
    from organizations.services import organization_create
    from volunteers import services
    from volunteers.imports import TEMPLATE_HEADERS, parse_hours_workbook, plan_hours_import
    from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord, StaffCount, Volunteer
    from volunteers.selectors import volunteer_statistics

    call_command("migrate", verbosity=0)
    old = Organization.objects.filter(code=UNIT_CODE).first()
    if old is not None:
        subtree = {"organization__path__startswith": old.path}
        ServiceActivity.objects.filter(**subtree).delete()
        Volunteer.objects.filter(**subtree).delete()
        StaffCount.objects.filter(**subtree).delete()
        for org in Organization.objects.filter(path__startswith=old.path).order_by("-depth"):
            org.delete()

    rng = random.Random(7)
    unit = organization_create(name="基准测试局", code=UNIT_CODE, kind=OrganizationKind.UNIT)
    departments = [
        organization_create(name=f"第{i}科", code=f"{UNIT_CODE}-{i}", kind=OrganizationKind.DEPARTMENT, parent=unit)
        for i in range(20)
    ]
    StaffCount.objects.create(organization=unit, year=YEAR, count=int(args.volunteers * 1.2))
    StaffCount.objects.bulk_create(
        StaffCount(organization=d, year=YEAR, count=int(args.volunteers * 1.2 / 20)) for d in departments
    )
    volunteers = Volunteer.objects.bulk_create(
        Volunteer(
            organization=departments[i % 20],
            name=f"志愿者{i:05d}",
            phone=f"139{i:08d}",
            is_registered=i % 8 != 0,
            number=f"B{i:08d}" if i % 8 else "",
        )
        for i in range(args.volunteers)
    )
    activities = ServiceActivity.objects.bulk_create(
        ServiceActivity(
            organization=unit if a % 3 else departments[a % 20],
            title=f"志愿服务活动{a:04d}",
            date=datetime.date(YEAR, 1 + a % 12, 1 + a % 28),
        )
        for a in range(args.activities)
    )
    records = [
        ServiceRecord(
            volunteer=v, activity=a, hours=Decimal(rng.choice(("2", "2.5", "3", "4"))), status=RecordStatus.CONFIRMED
        )
        for a in activities
        for v in volunteers
        if rng.random() < 0.4
    ]
    ServiceRecord.objects.bulk_create(records, batch_size=5000)
    with connection.cursor() as cursor:  # as autovacuum would after a bulk load
        cursor.execute("ANALYZE")

    results: dict[str, object] = {
        "database": connection.vendor,
        "volunteers": args.volunteers,
        "activities": args.activities,
        "records": len(records),
    }
    volunteer_statistics(organization=departments[1], year=YEAR)  # warm the connection and the caches
    for label, org in (("unit", unit), ("department", departments[0])):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            stats = volunteer_statistics(organization=org, year=YEAR)
            elapsed = time.perf_counter() - start
        results[f"stats_{label}_seconds"] = round(elapsed, 3)
        results[f"stats_{label}_queries"] = len(queries)
        results[f"stats_{label}_confirmed_hours"] = float(stats.confirmed_hours)

    wb = Workbook()
    wb.active.append(TEMPLATE_HEADERS)
    for i in range(args.import_rows):
        v = volunteers[i % len(volunteers)]
        wb.active.append([v.name, v.phone[-4:], f"导入活动{i // len(volunteers)}", f"{YEAR}-11-0{1 + i % 5}", 2])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    start = time.perf_counter()
    parsed = parse_hours_workbook(data)
    parsed_at = time.perf_counter()
    plan = plan_hours_import(
        parsed,
        volunteers=Volunteer.objects.filter(organization__path__startswith=unit.path),
        activities=ServiceActivity.objects.filter(organization__path__startswith=unit.path),
    )
    planned_at = time.perf_counter()
    outcome = services.hours_import(plan=plan, organizer=unit, created_by=None)
    done = time.perf_counter()
    results.update(
        import_rows=args.import_rows,
        import_errors=len(plan.errors),
        import_saved=outcome.records,
        import_parse_seconds=round(parsed_at - start, 3),
        import_match_seconds=round(planned_at - parsed_at, 3),
        import_save_seconds=round(done - planned_at, 3),
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "volunteers_stats.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
