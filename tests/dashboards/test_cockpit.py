"""The unit 驾驶舱: its numbers equal the same numbers counted from the ORM, in a fixed number of queries."""

from __future__ import annotations

import datetime
import html
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Task, TaskStatus
from evaluation.models import Consequence, Criterion, RectificationStatus
from ledger.models import Event, EventCategory
from organizations.models import OrganizationKind
from tests.factories import (
    CampaignFactory,
    CampaignSystemFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    EventFactory,
    IndicatorFactory,
    ItemFactory,
    NegativeDeclarationFactory,
    NegativeListItemFactory,
    OrganizationFactory,
    PhaseFactory,
    RectificationItemFactory,
    ScoreFactory,
    SelfAssessmentFactory,
    ServiceActivityFactory,
    ServiceRecordFactory,
    StaffCountFactory,
    TaskFactory,
    VolunteerFactory,
)
from volunteers.models import RecordStatus, ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db


def _today() -> datetime.date:
    return timezone.localdate()


def build_unit(world, unit, dept, *, scale: int) -> dict:
    """A hand-made unit: tasks in two departments, dossiers, two systems' worth of rounds, volunteers, rectifications.

    `scale` multiplies the rows (not their kinds), so the query count can be compared at two sizes.
    """
    today = _today()
    year = today.year
    dept2 = OrganizationFactory(
        name=f"{unit.name}宣传科", kind=OrganizationKind.DEPARTMENT, parent=unit, code=f"{unit.code}-xc"
    )
    campaign = CampaignFactory(unit=unit, start_year=year, end_year=year, status="active")
    PhaseFactory(
        campaign=campaign, name="全面创建", start=today - datetime.timedelta(60), end=today + datetime.timedelta(30)
    )
    PhaseFactory(
        campaign=campaign, name="迎检评估", start=today + datetime.timedelta(31), end=today + datetime.timedelta(90)
    )
    heading = TaskFactory(campaign=campaign, title="一、组织领导")
    for i in range(scale):
        TaskFactory(campaign=campaign, parent=heading, status=TaskStatus.DONE, lead_units=[dept])
        TaskFactory(campaign=campaign, parent=heading, status=TaskStatus.DONE, lead_units=[dept2])
        TaskFactory(
            campaign=campaign,
            parent=heading,
            status=TaskStatus.DOING,
            due_date=today - datetime.timedelta(3 + i),
            lead_units=[dept],
        )
        TaskFactory(
            campaign=campaign,
            parent=heading,
            status=TaskStatus.TODO,
            due_date=today - datetime.timedelta(1),
            lead_units=[dept2],
        )
        TaskFactory(
            campaign=campaign,
            parent=heading,
            status=TaskStatus.TODO,
            due_date=today + datetime.timedelta(10),
            lead_units=[dept],
        )
        TaskFactory(campaign=campaign, parent=heading, status=TaskStatus.TODO, due_date=today + datetime.timedelta(40))
        # Done although past its date: not late.
        TaskFactory(campaign=campaign, parent=heading, status=TaskStatus.DONE, due_date=today - datetime.timedelta(9))

    events = []
    for i in range(scale):
        start = datetime.date(year, 1 + (i % 10), 10)
        complete_at = timezone.make_aware(
            datetime.datetime.combine(start + datetime.timedelta(4 + i), datetime.time(10))
        )
        events.append(
            EventFactory(
                campaign=campaign, organization=dept, start_date=start, is_complete=True, completed_at=complete_at
            )
        )
        events.append(
            EventFactory(
                campaign=campaign,
                organization=dept2,
                start_date=start,
                end_date=start + datetime.timedelta(2),
                is_complete=True,
                completed_at=complete_at + datetime.timedelta(days=8),
                is_late_entry=True,
                category=EventCategory.VOLUNTEER,
            )
        )
        events.append(EventFactory(campaign=campaign, organization=dept, start_date=start, is_late_entry=(i % 2 == 0)))
    # Last year's dossier does not count this year.
    EventFactory(campaign=campaign, organization=dept, start_date=datetime.date(year - 1, 6, 1), is_late_entry=True)

    system = EvaluationSystemFactory()
    CampaignSystemFactory(campaign=campaign, system=system)
    criteria = []
    for _ in range(2):
        item = ItemFactory(system=system)
        for _ in range(2):
            indicator = IndicatorFactory(item=item)
            criteria += [CriterionFactory(indicator=indicator) for _ in range(2)]
    # Tag dossiers on half the criteria (and an other campaign's dossier on another criterion: it must not count).
    for n, criterion in enumerate(criteria[: len(criteria) // 2]):
        criterion.events.add(events[n % len(events)])
    other_campaign = CampaignFactory(unit=world.unit_b, start_year=year - 2, end_year=year - 2)
    other = EventFactory(organization=world.unit_b, campaign=other_campaign)
    criteria[-1].events.add(other)

    negative = NegativeListItemFactory(system=system, consequence=Consequence.VETO)
    for r in range(scale + 1):
        assessment = SelfAssessmentFactory(campaign=campaign, system=system, date=today - datetime.timedelta(100 - r))
        for n, criterion in enumerate(criteria):
            ScoreFactory(assessment=assessment, criterion=criterion, value=Decimal("2") if n % 4 else Decimal("1"))
        if r == scale:
            NegativeDeclarationFactory(assessment=assessment, item=negative, occurred=True)

    StaffCountFactory(organization=unit, year=year, count=10 * scale)
    volunteers = [
        VolunteerFactory(organization=dept if i % 2 else dept2, registered_on=datetime.date(year, 1, 1))
        for i in range(6 * scale)
    ]
    VolunteerFactory(organization=dept, is_registered=False, registered_on=None)
    activity = ServiceActivityFactory(organization=dept, date=datetime.date(year, 3, 5))
    activity2 = ServiceActivityFactory(organization=dept2, date=datetime.date(year, 7, 1))
    for i, v in enumerate(volunteers):
        ServiceRecordFactory(volunteer=v, activity=activity, hours=Decimal("8"), status=RecordStatus.CONFIRMED)
        ServiceRecordFactory(
            volunteer=v, activity=activity2, hours=Decimal(str(4 + i % 30)), status=RecordStatus.CONFIRMED
        )
    pending = ServiceActivityFactory(organization=dept, date=datetime.date(year, 8, 8))
    ServiceRecordFactory(volunteer=volunteers[0], activity=pending, hours=Decimal("5"))  # pending: not counted

    for _ in range(scale):
        RectificationItemFactory(
            campaign=campaign, status=RectificationStatus.PENDING, deadline=today - datetime.timedelta(2)
        )
        RectificationItemFactory(
            campaign=campaign, status=RectificationStatus.IN_PROGRESS, deadline=today + datetime.timedelta(5)
        )
        RectificationItemFactory(
            campaign=campaign, status=RectificationStatus.CLOSED, deadline=today - datetime.timedelta(9)
        )
    return {"campaign": campaign, "dept2": dept2, "criteria": criteria, "system": system}


def _page_numbers(content: str) -> dict[str, str]:
    return {k: html.unescape(v).strip() for k, v in re.findall(r'data-key="(\w+)">([^<]*)<', content)}


def _pct(part, whole) -> str:
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _one(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


def test_cockpit_numbers_equal_the_orm(world, client):
    """GIVEN a hand-made unit WHEN its 领导 opens the 驾驶舱 THEN each number equals the one counted from the ORM."""
    built = build_unit(world, world.unit_a, world.dept_a, scale=2)
    campaign = built["campaign"]
    today = _today()
    client.force_login(world.user("a_leader"))
    response = client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk}))
    assert response.status_code == 200
    page = _page_numbers(response.content.decode())

    leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
    done = leaves.filter(status=TaskStatus.DONE).count()
    overdue = leaves.exclude(status=TaskStatus.DONE).filter(due_date__lt=today).count()
    assert (page["tasks_done"], page["tasks_total"]) == (str(done), str(leaves.count()))
    assert page["task_done_pct"] == _pct(done, leaves.count())
    assert page["tasks_overdue"] == str(overdue) and overdue == 4
    within = (today, today + datetime.timedelta(14))
    soon = leaves.exclude(status=TaskStatus.DONE).filter(due_date__range=within).count()
    assert page["tasks_due_soon"] == str(soon)
    # Overdue by department: each department's badge equals its late leaves.
    for dept in (world.dept_a, built["dept2"]):
        late = leaves.filter(lead_units=dept).exclude(status=TaskStatus.DONE).filter(due_date__lt=today).count()
        assert f'data-dept="{dept.pk}">{late}<' in response.content.decode()

    events = Event.objects.filter(organization__path__startswith=world.unit_a.path, start_date__year=today.year)
    assert page["dossiers"] == str(events.count())
    assert page["late_entry_pct"] == _pct(events.filter(is_late_entry=True).count(), events.count())
    assert page["dossier_complete_pct"] == _pct(events.filter(is_complete=True).count(), events.count())
    days = [
        (timezone.localtime(e.completed_at).date() - (e.end_date or e.start_date)).days
        for e in events.filter(is_complete=True)
    ]
    assert page["evidence_days"] == _one(Decimal(sum(days)) / len(days))

    criteria = Criterion.objects.filter(system=built["system"])
    covered = criteria.filter(events__campaign=campaign).distinct().count()
    assert (page["criteria_covered"], page["criteria_total"]) == (str(covered), str(criteria.count()))
    assert page["coverage_pct"] == _pct(covered, criteria.count())

    registered = Volunteer.objects.filter(
        organization__path__startswith=world.unit_a.path, is_registered=True, is_active=True
    ).count()
    hours = ServiceRecord.objects.filter(
        volunteer__organization__path__startswith=world.unit_a.path,
        status=RecordStatus.CONFIRMED,
        activity__date__year=today.year,
    ).aggregate(h=Sum("hours"))["h"]
    assert page["hours_per_volunteer"] == _one(hours / registered)
    assert page["volunteer_rate"] == _pct(registered, 20)
    per_person = (
        ServiceRecord.objects.filter(
            status=RecordStatus.CONFIRMED,
            volunteer__is_registered=True,
            volunteer__organization__path__startswith=world.unit_a.path,
        )
        .values("volunteer")
        .annotate(h=Sum("hours"))
    )
    reaching = sum(1 for row in per_person if row["h"] >= 25)
    assert page["share_reaching_target"] == _pct(reaching, registered)

    # Latest round: every criterion scored, a quarter at half marks; the veto shows.
    full = sum(c.points for c in criteria)
    scored = sum(Decimal("1") if n % 4 == 0 else Decimal("2") for n in range(criteria.count()))
    assert page["self_pct"] == _pct(scored, full)
    assert "一票否决" in page["veto"]

    assert page["rect_open"] == "4" and page["rect_overdue"] == "2"


def _queries(client, world, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_cockpit_query_count_does_not_grow_with_the_data(world, client):
    """GIVEN unit A with a small fixture and unit B with four times as much WHEN each 驾驶舱 is opened THEN the same
    number of queries is run."""
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    build_unit(world, world.unit_b, world.dept_b, scale=4)
    client.force_login(world.user("city_office"))
    client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk}))  # warm the per-process caches
    small = _queries(client, world, reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk}))
    large = _queries(client, world, reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_b.pk}))
    assert small == large
    assert small < 45


def test_cockpit_charts_have_tables_and_png_export(world, client):
    build_unit(world, world.unit_a, world.dept_a, scale=1)
    client.force_login(world.user("a_office"))
    body = client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})).content.decode()
    charts = re.findall(r'id="(chart-[a-z]+)"', body)
    # Six charts of the month and the trend from the snapshots, each with its table.
    assert len(charts) == 7
    assert body.count("<details") == 7 and body.count('data-testid="table-') == 7
    assert 'id="cockpit-data"' in body and "dashboards_cockpit.js" in body
    # The bar of a department opens its late tasks: the task list URL with its filters.
    assert f"?lead={world.dept_a.pk}&amp;status=late" in body or f"?lead={world.dept_a.pk}&status=late" in body


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("a_leader", 200),
        ("a_office", 200),
        ("a_admin", 200),
        ("city_office", 200),
        ("city_leader", 200),
        ("a_liaison", 404),
        ("b_leader", 404),
        ("b_office", 404),
    ],
)
def test_who_opens_unit_a_cockpit(world, client, actor, status):
    client.force_login(world.user(actor))
    assert client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})).status_code == status


def test_cockpit_entry_redirects_a_unit_leader_to_their_unit(world, client):
    client.force_login(world.user("a_leader"))
    response = client.get(reverse("dashboards:cockpit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})
    client.force_login(world.user("city_leader"))
    body = client.get(reverse("dashboards:cockpit")).content.decode()
    assert world.unit_a.name in body and world.unit_b.name in body


def test_trend_reads_the_units_own_snapshots(world, client):
    """GIVEN snapshots of both units WHEN unit A's 驾驶舱 is opened THEN its trend has A's values only."""
    from tests.factories import UnitSnapshotFactory

    day = _today() - datetime.timedelta(days=1)
    UnitSnapshotFactory(unit=world.unit_a, date=day, measures={"task_done_pct": 41.5})
    UnitSnapshotFactory(unit=world.unit_b, date=day, measures={"task_done_pct": 77.5})
    client.force_login(world.user("a_leader"))
    body = client.get(reverse("dashboards:unit_cockpit", kwargs={"pk": world.unit_a.pk})).content.decode()
    trend = re.search(r'<script id="cockpit-trend" type="application/json">(.*?)</script>', body).group(1)
    assert "41.5" in trend and "77.5" not in trend
    assert "41.5%" in body
