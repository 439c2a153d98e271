"""`manage.py seed_demo --scale large`: the city-scale data, at a small override (--units 2 --factor 0.05).

The full size (50 units, 20,000 dossiers, 200,000 service records) is measured by hand, never here (see README)."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max
from django.utils import timezone

from campaigns.models import Campaign, Task, TaskStatus
from dashboards.measures import MEASURES
from dashboards.models import UnitSnapshot
from demo import large
from evaluation.models import Criterion, RectificationItem, Score, SelfAssessment
from evaluation.services import compute_value
from ledger import services as ledger_services
from ledger.models import ArchiveCounter, Event, EventStatus, EvidenceFile
from organizations.models import Organization, OrganizationKind, User
from volunteers.models import RecordStatus, ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db

UNITS, FACTOR = 2, 0.05


def _seed(*args: str) -> dict:
    out = StringIO()
    call_command(
        "seed_demo", "--json", "--force", "--scale", "large", "--units", str(UNITS), "--factor", str(FACTOR), *args,
        stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


def _files_on_disk(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_shapes_counts_validity_idempotency_and_reset(_media_root, django_capture_on_commit_callbacks):
    """One test, so the demo world under the large units is seeded as few times as possible (it is slow)."""
    data = _seed()
    info = data["large"]
    shape = large.Shape.scaled(units=UNITS, factor=FACTOR)
    assert info["skipped"] is False and info["shape"] == shape.as_dict()
    n = shape.units
    expected = {
        "units": n,
        "departments": n * shape.departments,
        "users": n * len(large.PEOPLE),
        "tasks": n * shape.tasks,
        "dossiers": n * shape.dossiers,
        "evidence_files": n * shape.dossiers * 4,
        "volunteers": n * shape.volunteers,
        "service_activities": n * shape.activities,
        "service_records": n * shape.volunteers * shape.records,
        "self_assessments": n * shape.rounds,
        "snapshots": n * 365,
    }
    assert {k: info["counts"][k] for k in expected} == expected
    criteria = list(Criterion.objects.filter(system__campaign_links__campaign__unit__code="large01"))
    assert criteria and info["counts"]["scores"] == n * shape.rounds * len(criteria)

    today = timezone.localdate()
    city = Organization.objects.get(code="city")
    units = list(large.large_units())
    assert all(
        u.parent_id == city.pk and u.kind == OrganizationKind.UNIT and u.path.startswith(city.path) for u in units
    )
    assert User.objects.get(username="large01_office").check_password("Wenming@2026")

    # Tasks: statuses agree with progress; dates inside the campaign year.
    for campaign in Campaign.objects.filter(unit__in=units):
        year_start, year_end = datetime.date(campaign.start_year, 1, 1), datetime.date(campaign.end_year, 12, 31)
        leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
        assert leaves.count() == shape.tasks and not leaves.filter(lead_units__isnull=True).exists()
        for t in leaves:
            assert year_start <= t.due_date <= year_end
            assert (t.status == TaskStatus.DONE) == (t.progress == 100)
            assert (t.status == TaskStatus.TODO) == (t.progress == 0)
            assert t.progress_reports.count() == (1 if t.progress else 0)
        assert leaves.filter(status=TaskStatus.DONE).exists() and leaves.exclude(status=TaskStatus.DONE).exists()

        # Dossiers: completeness and 补录 as the ledger services compute them; 档号 gapless in submission order.
        events = list(Event.objects.filter(campaign=campaign).select_related("campaign"))
        assert EventStatus.ARCHIVED in {e.status for e in events}
        for e in events:
            assert year_start <= e.start_date <= today and e.created_at <= timezone.now()
            assert ledger_services.event_completeness(e).complete == e.is_complete
            assert (e.completed_at is not None) == e.is_complete
            if e.is_complete:
                assert e.is_late_entry == (
                    ledger_services.late_days(e, e.completed_at) > ledger_services.LATE_ENTRY_DAYS
                )
            numbered = e.status != EventStatus.DRAFT
            assert bool(e.archive_number) == numbered == (e.submitted_at is not None)
            if numbered:
                assert e.is_complete and e.submitted_at >= e.completed_at
            assert (e.archived_at is not None) == (e.status == EventStatus.ARCHIVED)
            assert bool(e.return_reason) == (e.status == EventStatus.RETURNED)
        seqs = sorted((e.submitted_at, e.archive_seq) for e in events if e.archive_seq)
        assert [s for _, s in seqs] == list(range(1, len(seqs) + 1))
        counter = ArchiveCounter.objects.get(unit=campaign.unit, year=campaign.start_year)
        assert counter.last == len(seqs)

    # Files: four per dossier, each row its own stored name whose bytes match its SHA-256; a few distinct blobs.
    files = EvidenceFile.objects.filter(event__campaign__unit__in=units)
    assert not files.values("event").annotate(n=Count("pk")).exclude(n=4).exists()
    names = list(files.values_list("file", flat=True))
    assert len(set(names)) == len(names)
    assert files.values("sha256").distinct().count() <= 16
    for f in files.order_by("pk")[:: max(1, len(names) // 40)]:
        with f.file.open("rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == f.sha256
        if f.is_image:
            assert f.thumbnail and f.thumbnail.storage.exists(f.thumbnail.name)
    on_disk = _files_on_disk(_media_root)
    assert set(names) <= on_disk

    # Scores are what the evaluation service computes; rounds over the year, the last one open.
    for s in Score.objects.filter(assessment__campaign__unit__in=units).select_related(
        "criterion", "assessment__system"
    ):
        kwargs = {"points": s.points, "grade": s.grade, "passed": s.passed, "deductions": s.deductions}
        value, _clean = compute_value(criterion=s.criterion, percents=s.assessment.system.grade_percents, **kwargs)
        assert value == s.value
    for unit in units:
        rounds = list(SelfAssessment.objects.filter(campaign__unit=unit).order_by("date"))
        assert [r.is_locked for r in rounds] == [True] * (shape.rounds - 1) + [False]
        assert all(r.date.year == today.year and r.date <= today for r in rounds)
    assert RectificationItem.objects.filter(campaign__unit__in=units, criterion__isnull=False).exists()

    # Volunteers: records per volunteer, hours positive in 0.5 steps, confirmed ones carry who and when.
    volunteers = Volunteer.objects.filter(organization__path__startswith=units[0].path)
    assert not volunteers.annotate(n=Count("records")).exclude(n=shape.records).exists()
    records = ServiceRecord.objects.filter(volunteer__in=volunteers).select_related("activity")
    for r in records:
        assert r.hours > 0 and (r.hours / Decimal("0.5")) % 1 == 0 and r.activity.date <= today
        assert (r.confirmed_at is not None) == (r.confirmed_by_id is not None) == (r.status == RecordStatus.CONFIRMED)
    assert records.filter(status=RecordStatus.CONFIRMED).exists()

    # Snapshots: a row per day for a year, today's as the nightly service writes it, every measure present.
    for unit in units:
        days = UnitSnapshot.objects.filter(unit=unit)
        assert days.aggregate(m=Max("date"))["m"] == today
        assert days.filter(date__gt=today - datetime.timedelta(days=365)).count() == 365
        keys = {m.key for m in MEASURES}
        for snap in days.order_by("date")[::30]:
            assert keys <= set(snap.measures)
            for key in ("task_done_pct", "dossier_complete_pct", "late_entry_pct", "rect_closure_pct"):
                value = snap.measures[key]
                assert value is None or 0 <= value <= 100
    from dashboards.measures import unit_cockpit

    stored = UnitSnapshot.objects.get(unit=units[0], date=today).measures
    assert stored == json.loads(json.dumps(unit_cockpit(units[0], today=today).measures()))

    # A second run finds the units and changes nothing.
    before = (large.counts(), EvidenceFile.objects.count(), UnitSnapshot.objects.count(), on_disk)
    again = _seed()
    assert again["large"]["skipped"] is True
    assert (large.counts(), EvidenceFile.objects.count(), UnitSnapshot.objects.count()) == before[:3]
    assert _files_on_disk(_media_root) == on_disk

    # --reset removes the large units with their files (after commit) and rebuilds the same shape.
    with django_capture_on_commit_callbacks(execute=True):
        rebuilt = _seed("--reset")
    assert rebuilt["large"]["skipped"] is False
    assert large.counts() == before[0]
    new = set(
        EvidenceFile.objects.filter(event__campaign__unit__code__startswith="large").values_list("file", flat=True)
    )
    now_on_disk = _files_on_disk(_media_root)
    assert new <= now_on_disk and not (set(names) & now_on_disk)


def test_bad_overrides_are_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="--units"):
        call_command("seed_demo", "--force", "--scale", "large", "--units", "0", stdout=StringIO())
    with pytest.raises(CommandError, match="--factor"):
        call_command("seed_demo", "--force", "--scale", "large", "--factor", "2", stdout=StringIO())
    assert not Organization.objects.exists()
