"""Benchmark: the annual 台账 workbook of a 20,000-dossier year against bare xlsxwriter (run on demand).

`python bench/ledger_workbook.py [--events 20000]` builds a year of dossiers (with evidence rows and task links)
in a throw-away SQLite database (or the DATABASE_URL given), then, each in a fresh child process so peak
memory is measured alone:

- "ours": `ledger.exports.write_workbook` (queries included), and
- "bare": the same rows and columns of 台账目录 written with bare xlsxwriter in constant_memory mode
  (rows fetched before the clock starts, so only writing is timed).

It records both times and both peak RSS values in bench/results/ledger_workbook.json.
Target: ours ≤ 2 × bare, peak < 150 MB.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/wenming-ledger-bench.sqlite3"

UNIT_CODE = "bench-ledger"


def _django() -> None:
    import django

    django.setup()


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM is reset on exec, unlike ru_maxrss, which a child inherits)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(n_events: int) -> int:
    """Create (once) a unit, a campaign with 40 tasks and `n_events` dossiers in 2026; return the campaign id."""
    from django.core.management import call_command
    from django.db import transaction

    from campaigns.models import Campaign, Task
    from ledger.models import Event, EventCategory, EvidenceFile, Slot
    from organizations import services as org_services
    from organizations.models import Organization, OrganizationKind

    call_command("migrate", verbosity=0)
    campaign = Campaign.objects.filter(unit__code=UNIT_CODE).first()
    if campaign and Event.objects.filter(campaign=campaign).count() == n_events:
        return campaign.pk
    with transaction.atomic():
        if campaign:
            EvidenceFile.objects.filter(event__campaign=campaign).delete()
            Event.objects.filter(campaign=campaign).delete()
            campaign.delete()
        Organization.objects.filter(code__startswith=UNIT_CODE).delete()
        unit = org_services.organization_create(name="基准测试局", code=UNIT_CODE, kind=OrganizationKind.UNIT)
        depts = [
            org_services.organization_create(
                name=f"基准科室{i}", code=f"{UNIT_CODE}-{i}", kind=OrganizationKind.DEPARTMENT, parent=unit
            )
            for i in range(12)
        ]
        campaign = Campaign.objects.create(unit=unit, title="基准测试2026年度创建", start_year=2026, end_year=2026)
        tasks = Task.objects.bulk_create(
            Task(campaign=campaign, number=f"{i + 1}.", title=f"基准任务{i + 1}", order=i) for i in range(40)
        )
        cats = EventCategory.values
        start = datetime.date(2026, 1, 1)
        events = Event.objects.bulk_create(
            (
                Event(
                    campaign=campaign,
                    organization=depts[i % len(depts)],
                    title=f"第{i}次“文明交通我先行”志愿服务活动" if i % 97 else f'=HYPERLINK("x",{i})',
                    start_date=start + datetime.timedelta(days=i % 365),
                    place="单位会议室",
                    category=cats[i % len(cats)],
                    archive_number=f"2026-{UNIT_CODE}-{i + 1:05d}",
                    status="archived",
                    is_complete=i % 3 != 0,
                    is_late_entry=i % 11 == 0,
                )
                for i in range(n_events)
            ),
            batch_size=2000,
        )
        slots = Slot.values
        EvidenceFile.objects.bulk_create(
            (
                EvidenceFile(
                    event=e,
                    slot=slots[(j + k) % len(slots)],
                    file=f"ledger/bench/{e.pk}-{k}.jpg",
                    original_name=f"{k}.jpg",
                    size=1000,
                    detected_type="jpg",
                    content_type="image/jpeg",
                    sha256=f"{e.pk:032d}{k:032d}",
                )
                for j, e in enumerate(events)
                for k in range(3)
            ),
            batch_size=5000,
        )
        through = Event.tasks.through
        through.objects.bulk_create(
            (through(event_id=e.pk, task_id=tasks[j % len(tasks)].pk) for j, e in enumerate(events)),
            batch_size=5000,
        )
    return campaign.pk


def run_ours(campaign_id: int, out: str) -> dict:
    from campaigns.models import Campaign
    from ledger.exports import write_workbook
    from ledger.models import Event

    campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
    before = peak_mb()
    t0 = time.perf_counter()
    rows = write_workbook(out, campaign=campaign, year=2026, events=Event.objects.all())
    return {"seconds": time.perf_counter() - t0, "rows": rows, "rss_before_mb": before, "peak_rss_mb": peak_mb()}


def run_bare(campaign_id: int, out: str) -> dict:
    import xlsxwriter

    from ledger.exports import CATALOGUE_HEADERS
    from ledger.models import Event

    rows = list(
        Event.objects.filter(campaign_id=campaign_id, start_date__year=2026)
        .order_by("start_date", "archive_number", "pk")
        .values_list("archive_number", "start_date", "title", "organization__name", "category", "status")
    )
    before = peak_mb()
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("台账目录")
    for col, h in enumerate(CATALOGUE_HEADERS):
        ws.write_string(0, col, h)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, (number, start, title, org, category, status) in enumerate(rows, start=1):
        ws.write_string(r, 0, number)
        ws.write_datetime(r, 1, datetime.datetime.combine(start, datetime.time()), date_fmt)
        ws.write_string(r, 2, title)
        ws.write_string(r, 3, org)
        ws.write_string(r, 4, category)
        ws.write_string(r, 5, "1")
        for c in range(6):
            ws.write_number(r, 6 + c, 1)
        ws.write_string(r, 12, "齐全")
        ws.write_string(r, 13, "")
        ws.write_string(r, 14, status)
    wb.close()
    return {"seconds": time.perf_counter() - t0, "rows": len(rows), "rss_before_mb": before, "peak_rss_mb": peak_mb()}


def child(mode: str, campaign_id: int) -> None:
    _django()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, f"{mode}.xlsx")
        result = (run_ours if mode == "ours" else run_bare)(campaign_id, out)
        result["bytes"] = os.path.getsize(out)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--child", choices=["ours", "bare"])
    parser.add_argument("--campaign", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.campaign)
        return
    _django()
    from django.db import connection

    t0 = time.perf_counter()
    campaign_id = build(args.events)
    build_seconds = time.perf_counter() - t0
    results = {}
    for mode in ("bare", "ours"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--campaign", str(campaign_id)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    ratio = results["ours"]["seconds"] / results["bare"]["seconds"]
    report = {
        "benchmark": "ledger annual workbook",
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "events": args.events,
        "build_seconds": round(build_seconds, 2),
        "ours_seconds": round(results["ours"]["seconds"], 3),
        "bare_xlsxwriter_seconds": round(results["bare"]["seconds"], 3),
        "ratio": round(ratio, 2),
        "ours_peak_rss_mb": round(results["ours"]["peak_rss_mb"], 1),
        "bare_peak_rss_mb": round(results["bare"]["peak_rss_mb"], 1),
        "ours_rss_before_write_mb": round(results["ours"]["rss_before_mb"], 1),
        "rows": results["ours"]["rows"],
        "target": {"ratio_at_most": 2.0, "peak_rss_mb_below": 150},
        "meets_target": ratio <= 2.0 and results["ours"]["peak_rss_mb"] < 150,
    }
    out = ROOT / "bench" / "results" / "ledger_workbook.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
