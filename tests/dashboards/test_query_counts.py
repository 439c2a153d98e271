"""Every page the bench times runs the same number of queries at a small and at a larger size of data.

Issue 12's acceptance: query counts identical at demo scale and at city scale, asserted for each page — the unit
驾驶舱, the city 动态管理, the ledger list (unit and city; filtered; searched), the task list, the self-inspection
page and the volunteer statistics. The data here is built twice: a small city (unit A at scale 1), then a bigger one
(unit B at four times A, and more units with their own campaigns, dossiers, files, volunteers and photo findings).
Unit pages are compared between unit A's and unit B's people; city pages before and after the city grew.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from dashboards.services import snapshot_units
from evaluation.models import SelfAssessment
from ledger.models import Event, Slot
from organizations.models import OrganizationKind
from tests.dashboards.test_cockpit import build_unit
from tests.factories import EvidenceFileFactory, OrganizationFactory, PhotoCheckFactory, PhotoDuplicateFactory

pytestmark = pytest.mark.django_db


def add_files(unit, *, per_event: int) -> None:
    """Files on each of the unit's dossiers this year, and photo findings (a time mismatch and a duplicate pair)."""
    events = list(Event.objects.filter(organization__path__startswith=unit.path).order_by("pk"))
    photos = []
    for event in events:
        for _ in range(per_event):
            EvidenceFileFactory(event=event)
        photos.append(EvidenceFileFactory(event=event, slot=Slot.PHOTO))
    for photo in photos[::2]:
        PhotoCheckFactory(evidence_file=photo, unit=unit, time_mismatch=True)
    for first, second in zip(photos[1::4], photos[3::4], strict=False):
        PhotoCheckFactory(evidence_file=first, unit=unit)
        PhotoCheckFactory(evidence_file=second, unit=unit)
        PhotoDuplicateFactory(first=first, second=second)


def unit_urls(unit, dept) -> dict[str, str]:
    year = timezone.localdate().year
    campaign = Campaign.objects.filter(unit=unit, start_year=year).get()
    latest = SelfAssessment.objects.filter(campaign=campaign).order_by("-date", "-pk").first()
    ledger = reverse("ledger:index")
    return {
        "unit_cockpit": reverse("dashboards:unit_cockpit", kwargs={"pk": unit.pk}),
        "ledger_unit": ledger,
        "ledger_unit_filtered": f"{ledger}?year={year}&category=meeting&complete=yes&late=no&organization={dept.pk}",
        "ledger_unit_searched": f"{ledger}?q=志愿服务活动",
        "ledger_unit_gallery": f"{ledger}?view=gallery",
        "task_list": reverse("campaigns:tasks", kwargs={"pk": campaign.pk}),
        "task_list_filtered": reverse("campaigns:tasks", kwargs={"pk": campaign.pk}) + "?status=late",
        "self_inspection": reverse("evaluation:round_detail", kwargs={"pk": latest.pk}),
        "volunteer_stats": reverse("volunteers:statistics"),
        "bulletins": reverse("dashboards:bulletin_list"),
    }


def city_urls(world) -> dict[str, str]:
    ledger = reverse("ledger:index")
    return {
        "city": reverse("dashboards:city"),
        "city_sorted": reverse("dashboards:city") + "?sort=tasks_overdue&dir=desc",
        "ledger_city": ledger,
        "ledger_city_filtered": f"{ledger}?organization={world.unit_a.pk}&status=draft&sort=organization",
        "ledger_city_searched": f"{ledger}?q=志愿服务 活动",
        "volunteer_stats_city": reverse("volunteers:statistics"),
        "cockpit_from_city": reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk}),
        "supervision": reverse("dashboards:supervision_list"),
    }


def count_queries(user, urls: dict[str, str]) -> dict[str, int]:
    client = Client()
    client.force_login(user)
    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm per-process caches (content types, sessions)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def snapshot_all() -> None:
    today = timezone.localdate()
    snapshot_units(day=today - datetime.timedelta(days=30))
    snapshot_units(day=today)


def grow_city(world, extra_units: int) -> None:
    for i in range(extra_units):
        unit = OrganizationFactory(name=f"扩展单位{i}", code=f"grow-{i}", kind=OrganizationKind.UNIT, parent=world.city)
        dept = OrganizationFactory(
            name=f"扩展单位{i}办公室", code=f"grow-{i}-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit
        )
        build_unit(world, unit, dept, scale=2)
        add_files(unit, per_event=2)


def test_every_page_runs_the_same_queries_at_two_sizes(world):
    """GIVEN a small city (unit A at scale 1) WHEN it grows (unit B at scale 4, three more units, more files and
    findings) THEN each unit page of B runs as many queries as A's, and each city page as many as before."""
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    add_files(world.unit_a, per_event=1)
    snapshot_all()
    small_unit = count_queries(world.user("a_office"), unit_urls(world.unit_a, world.dept_a))
    cockpit_a = {"cockpit": unit_urls(world.unit_a, world.dept_a)["unit_cockpit"]}
    small_leader = count_queries(world.user("a_leader"), cockpit_a)
    small_city = count_queries(world.user("city_office"), city_urls(world))
    small_reader = count_queries(world.user("city_leader"), city_urls(world))

    build_unit(world, world.unit_b, world.dept_b, scale=4)
    add_files(world.unit_b, per_event=3)
    grow_city(world, 3)
    snapshot_all()
    large_unit = count_queries(world.user("b_office"), unit_urls(world.unit_b, world.dept_b))
    cockpit_b = {"cockpit": unit_urls(world.unit_b, world.dept_b)["unit_cockpit"]}
    large_leader = count_queries(world.user("b_leader"), cockpit_b)
    large_city = count_queries(world.user("city_office"), city_urls(world))
    large_reader = count_queries(world.user("city_leader"), city_urls(world))

    assert large_unit == small_unit
    assert large_leader == small_leader
    assert large_city == small_city
    assert large_reader == small_reader


def test_volunteer_comparison_equals_each_units_statistics(world):
    """GIVEN units of different sizes and targets WHEN the city's 各单位对比 is computed in one go THEN every number
    equals the one `volunteer_statistics` gives for that unit alone."""
    from tests.factories import VolunteerTargetsFactory
    from volunteers.selectors import volunteer_comparison, volunteer_statistics

    built = build_unit(world, world.unit_a, world.dept_a, scale=1)
    VolunteerTargetsFactory(campaign=built["campaign"], hours_per_volunteer=12, activities_per_year=1)
    build_unit(world, world.unit_b, world.dept_b, scale=3)
    grow_city(world, 2)
    units = list(world.city.children.filter(kind=OrganizationKind.UNIT).order_by("path"))
    year = timezone.localdate().year
    fields = ("staff", "registered", "rate", "confirmed_hours", "hours_per_volunteer", "reaching_target")
    fields += ("share_reaching_target", "activities", "rate_met", "hours_met", "activities_met")
    together = volunteer_comparison(units=units, year=year)
    assert [s.organization for s in together] == units
    for unit, batched in zip(units, together, strict=True):
        alone = volunteer_statistics(organization=unit, year=year)
        assert batched.targets == alone.targets
        assert {f: getattr(batched, f) for f in fields} == {f: getattr(alone, f) for f in fields}, unit.name
    assert {s.reaching_target for s in together} != {0}


def test_city_page_runs_the_same_queries_without_snapshots_and_with_a_year_of_them(world):
    """GIVEN no snapshot at all, then a year of daily snapshots for every unit WHEN the city page is opened THEN it
    runs the same number of queries (a missing day is asked about, not skipped)."""
    from tests.factories import UnitSnapshotFactory

    url = {"city": reverse("dashboards:city")}
    empty = count_queries(world.user("city_office"), url)
    today = timezone.localdate()
    for unit in (world.unit_a, world.unit_b):
        for day in range(0, 365, 7):
            UnitSnapshotFactory(unit=unit, date=today - datetime.timedelta(days=day), measures={"task_done_pct": 50})
    assert count_queries(world.user("city_office"), url) == empty
