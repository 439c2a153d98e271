"""Benchmark: scoped organisation queries on a tree of 10,000 nodes (run on demand: `make bench`).

Builds an office → 100 units → 99 departments each in a throw-away SQLite database (or the DATABASE_URL
given), then times the subtree query for a unit admin and for the city office, and writes JSON to
bench/results/scoping.json.
"""

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
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from organizations import services  # noqa: E402
from organizations.models import Organization, OrganizationKind, Role  # noqa: E402
from organizations.scoping import organizations_visible_to  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    Organization.objects.filter(code__startswith="bench-").delete()
    root = services.organization_create(name="基准文明办", code="bench-root", kind=OrganizationKind.OFFICE)
    units = [
        services.organization_create(name=f"基准单位{i}", code=f"bench-u{i}", kind=OrganizationKind.UNIT, parent=root)
        for i in range(100)
    ]
    created = Organization.objects.bulk_create(
        Organization(kind=OrganizationKind.DEPARTMENT, parent=u, name=f"科室{j}", code=f"bench-{i}-{j}")
        for i, u in enumerate(units)
        for j in range(99)
    )
    for org in created:
        org.path = f"{org.parent.path}{org.pk:010d}/"
        org.depth = 2
    Organization.objects.bulk_update(created, ["path", "depth"], batch_size=1000)

    unit_admin = services.user_create(username="bench-unit", password=None)
    services.membership_grant(user=unit_admin, organization=units[50], role=Role.ADMIN, actor=None)
    city = services.user_create(username="bench-city", password=None)
    services.membership_grant(user=city, organization=root, role=Role.LEADER, actor=None)

    results = {"nodes": Organization.objects.filter(path__startswith=root.path).count(), "vendor": connection.vendor}
    for label, user in (("unit_admin", unit_admin), ("city_office", city)):
        runs = []
        for _ in range(20):
            if hasattr(user, "_wenming_scope"):
                del user._wenming_scope
            start = time.perf_counter()
            n = len(list(organizations_visible_to(user).values_list("pk", flat=True)))
            runs.append(time.perf_counter() - start)
        results[label] = {"rows": n, "median_ms": round(sorted(runs)[len(runs) // 2] * 1000, 2)}
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scoping.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
