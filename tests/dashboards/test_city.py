"""动态管理 and the daily snapshots: the city page reads snapshots (same queries at 5 units or 50), lights follow the
office's thresholds, re-running a day replaces it, a missed day is filled, and ranking never uses activity counts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import services
from dashboards.city import city_table
from dashboards.measures import MEASURES
from dashboards.models import Threshold, UnitSnapshot
from organizations.models import OrganizationKind
from tests.dashboards.test_cockpit import build_unit
from tests.factories import OrganizationFactory, UnitSnapshotFactory

pytestmark = pytest.mark.django_db


def _measures(done: float, overdue: int = 0, **extra) -> dict:
    values = {m.key: None for m in MEASURES}
    values.update({"task_done_pct": done, "tasks_overdue": overdue, **extra})
    return values


def _units(world, n: int) -> list:
    return [
        OrganizationFactory(name=f"测试单位{n}-{i}", kind=OrganizationKind.UNIT, parent=world.city, code=f"u-{n}-{i}")
        for i in range(n)
    ]


def _city_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboards:city")).status_code == 200
    return len(ctx.captured_queries)


def test_city_page_costs_the_same_at_5_units_and_50(world, client):
    """GIVEN snapshots of 5 units, then of 50 WHEN the city page is opened THEN it runs the same number of queries."""
    today = timezone.localdate()
    client.force_login(world.user("city_office"))
    units = [*_units(world, 3), world.unit_a, world.unit_b]
    for i, unit in enumerate(units):
        UnitSnapshotFactory(unit=unit, date=today, measures=_measures(50 + i))
        UnitSnapshotFactory(unit=unit, date=today - datetime.timedelta(30), measures=_measures(40 + i))
    client.get(reverse("dashboards:city"))
    five = _city_queries(client)
    for i, unit in enumerate(_units(world, 45)):
        UnitSnapshotFactory(unit=unit, date=today, measures=_measures(i))
        UnitSnapshotFactory(unit=unit, date=today - datetime.timedelta(30), measures=_measures(i + 3))
    fifty = _city_queries(client)
    assert five == fifty
    body = client.get(reverse("dashboards:city")).content.decode()
    assert body.count('<tr data-unit="') == 50


def test_lights_ranking_and_change_since_last_month(world, client):
    """GIVEN the office's line for 任务完成率 at 80/50 and three units WHEN the page is sorted by it THEN ranks follow
    the value, lights are 绿/黄/红 against the office's lines, and the change since last month is shown."""
    today = timezone.localdate()
    Threshold.objects.create(office=world.city, measure="task_done_pct", green=Decimal("80"), red=Decimal("50"))
    third = OrganizationFactory(name="丙单位", kind=OrganizationKind.UNIT, parent=world.city, code="t-c")
    for unit, now, before in ((world.unit_a, 90.0, 70.0), (world.unit_b, 60.0, 65.0), (third, 30.0, None)):
        UnitSnapshotFactory(unit=unit, date=today, measures=_measures(now))
        if before is not None:
            UnitSnapshotFactory(unit=unit, date=today - datetime.timedelta(31), measures=_measures(before))
    table = city_table(office=world.city, sort="task_done_pct")
    assert [r.unit for r in table.rows] == [world.unit_a, world.unit_b, third]
    assert [r.rank for r in table.rows] == [1, 2, 3]
    lights = [r.cells[0].light for r in table.rows]
    assert lights == ["green", "yellow", "red"]
    assert [r.cells[0].delta for r in table.rows] == [20.0, -5.0, None]
    assert table.red_list == [table.rows[2]]
    # Lower is better for 逾期任务: ascending by default.
    asc = city_table(office=world.city, sort="tasks_overdue")
    assert asc.descending is False

    client.force_login(world.user("city_leader"))
    body = client.get(reverse("dashboards:city"), {"sort": "task_done_pct", "dir": "asc"}).content.decode()
    order = re.findall(r'<tr data-unit="(\d+)"', body)
    assert order == [str(third.pk), str(world.unit_b.pk), str(world.unit_a.pk)]
    assert reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk}) in body
    assert f"{reverse('ledger:index')}?organization={world.unit_a.pk}" in body
    # The 说明 says why logins and photos are never ranked.
    assert "打卡排名" in body and "留痕" in body
    # Nothing on the page measures activity on the platform.
    for word in ("登录次数排名", "在线时长排名", "照片数排名"):
        assert word not in body


def test_measures_are_outcomes_only():
    keys = {m.key for m in MEASURES}
    assert not any(w in k for k in keys for w in ("login", "online", "click", "photo", "visit"))


def test_snapshot_rerun_replaces_the_day_and_fills_a_missed_day(world):
    """GIVEN unit A snapshotted on day D-3 and D WHEN the run is repeated for D with fill_missing THEN D is replaced
    (one row) and D-2, D-1 are filled; days before the first snapshot are not invented."""
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    today = timezone.localdate()
    services.snapshot_units(day=today - datetime.timedelta(3), units=[world.unit_a])
    first = services.snapshot_units(day=today, units=[world.unit_a])
    assert first == {"units": 1, "written": 1, "filled": 0}
    row = UnitSnapshot.objects.get(unit=world.unit_a, date=today)
    assert row.measures["tasks_overdue"] == 2 and row.measures["veto"] is True
    UnitSnapshot.objects.filter(pk=row.pk).update(measures={"task_done_pct": 1})
    again = services.snapshot_units(day=today, units=[world.unit_a], fill_missing=True)
    assert again["filled"] == 2
    assert UnitSnapshot.objects.filter(unit=world.unit_a, date=today).count() == 1
    assert UnitSnapshot.objects.get(unit=world.unit_a, date=today).measures["tasks_overdue"] == 2
    dates = set(UnitSnapshot.objects.filter(unit=world.unit_a).values_list("date", flat=True))
    assert dates == {today - datetime.timedelta(d) for d in range(4)}


def test_snapshot_measures_equal_the_cockpit(world, client):
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    call_command("snapshot_units", "--no-fill")
    snap = UnitSnapshot.objects.get(unit=world.unit_a, date=timezone.localdate())
    client.force_login(world.user("a_office"))
    body = client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})).content.decode()
    shown = dict(re.findall(r'data-key="(\w+)">([^<]*)<', body))
    assert shown["tasks_overdue"] == str(snap.measures["tasks_overdue"])
    assert shown["task_done_pct"] == f"{snap.measures['task_done_pct']:g}%"
    # Every unit of the city got a row (B with no campaign too).
    assert UnitSnapshot.objects.filter(date=timezone.localdate()).count() == 2


def test_snapshot_command_refuses_a_bad_date(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="日期格式不对"):
        call_command("snapshot_units", "--date", "2026-13-01")


def test_beat_runs_the_snapshot_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-snapshot-units"]
    assert entry["task"] == "dashboards.snapshot_units"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {30}
    from config.celery import app

    assert "dashboards.snapshot_units" in app.tasks


def test_thresholds_are_checked_and_saved_all_or_nothing(world, client):
    client.force_login(world.user("city_office"))
    url = reverse("dashboards:city_thresholds")
    from tests.permissions.dashboards import THRESHOLD_POST

    bad = {**THRESHOLD_POST, "task_done_pct-green": "40", "task_done_pct-red": "60", "self_pct-green": "99"}
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "绿灯线（40.0）不能低于红灯线（60.0）" in response.content.decode()
    assert not Threshold.objects.exists()  # nothing saved, not even the good lines
    over = client.post(url, {**THRESHOLD_POST, "coverage_pct-green": "120"})
    assert over.status_code == 400 and "不能超过 100" in over.content.decode()
    ok = client.post(url, {**THRESHOLD_POST, "self_pct-green": "99"})
    assert ok.status_code == 302
    assert Threshold.objects.get(office=world.city, measure="self_pct").green == Decimal("99.0")
    assert Threshold.objects.filter(office=world.city).count() == len(MEASURES)


def test_refresh_takes_todays_snapshots(world, client, django_capture_on_commit_callbacks):
    client.force_login(world.user("city_admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboards:city_refresh"))
    assert response.status_code == 302
    assert set(UnitSnapshot.objects.values_list("unit_id", flat=True)) == {world.unit_a.pk, world.unit_b.pk}


def test_equal_values_share_a_rank_in_tree_order(world):
    today = timezone.localdate()
    third = OrganizationFactory(name="丙单位", kind=OrganizationKind.UNIT, parent=world.city, code="t-c")
    for unit, done in ((world.unit_b, 50.0), (world.unit_a, 50.0), (third, 70.0)):
        UnitSnapshotFactory(unit=unit, date=today, measures=_measures(done))
    table = city_table(office=world.city)
    assert [(r.unit, r.rank) for r in table.rows] == [(third, 1), (world.unit_a, 2), (world.unit_b, 2)]


def test_city_page_shows_each_units_photo_findings_to_the_office_only(world, client):
    """GIVEN photo findings in unit A (two time mismatches, one duplicate pair) and in unit B (one mismatch)
    WHEN the city office opens 动态管理 THEN each row shows the unit's counts, linked to its filtered ledger; the
    counts are not a ranking measure; a unit's people cannot open the page."""
    from ledger.models import PhotoCheck, PhotoDuplicate, Slot
    from tests.factories import EventFactory, EvidenceFileFactory, PhotoCheckFactory, PhotoDuplicateFactory

    today = timezone.localdate()
    for unit in (world.unit_a, world.unit_b):
        UnitSnapshotFactory(unit=unit, date=today, measures=_measures(50))
    photos = {}
    for unit, n in ((world.unit_a, 4), (world.unit_b, 1)):
        event = EventFactory(campaign__unit=unit, organization=unit)
        photos[unit.pk] = [EvidenceFileFactory(event=event, slot=Slot.PHOTO) for _ in range(n)]
    a = photos[world.unit_a.pk]
    PhotoCheckFactory(evidence_file=a[0], unit=world.unit_a, time_mismatch=True)
    PhotoCheckFactory(evidence_file=a[1], unit=world.unit_a, time_mismatch=True)
    PhotoCheckFactory(evidence_file=a[2], unit=world.unit_a)
    PhotoCheckFactory(evidence_file=a[3], unit=world.unit_a)
    PhotoDuplicateFactory(first=a[2], second=a[3])
    PhotoCheckFactory(evidence_file=photos[world.unit_b.pk][0], unit=world.unit_b, time_mismatch=True)

    client.force_login(world.user("city_leader"))
    body = client.get(reverse("dashboards:city")).content.decode()
    for unit in (world.unit_a, world.unit_b):
        row = re.search(rf'<tr data-unit="{unit.pk}">(.*?)</tr>', body, re.S).group(1)
        cell = re.search(r"<td[^>]*data-findings>(.*?)</td>", row, re.S).group(1)
        mismatches = PhotoCheck.objects.filter(unit=unit, time_mismatch=True).count()
        pairs = PhotoDuplicate.objects.filter(first__event__organization=unit)
        paired = [*pairs.values_list("first", flat=True), *pairs.values_list("second", flat=True)]
        duplicates = PhotoCheck.objects.filter(unit=unit, evidence_file__in=paired).count()
        assert f"重复 {duplicates}<" in cell and f"时间不符 {mismatches}<" in cell
        assert f"organization={unit.pk}&amp;evidence=duplicate" in cell
    assert 'data-sort="duplicates"' not in body and "图片疑点" in body
    client.force_login(world.user("a_office"))
    assert client.get(reverse("dashboards:city")).status_code == 404
