"""The volunteer list and detail pages count only 已确认 hours, with 待确认 and 已退回 records beside them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import lxml.html
import pytest
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone

from tests.factories import ServiceActivityFactory, ServiceRecordFactory, VolunteerFactory
from volunteers.models import RecordStatus, ServiceRecord, Volunteer, star_level


@pytest.fixture
def volunteer(world) -> Volunteer:
    """A volunteer of unit A's department with confirmed, pending and returned hours this year and last year.

    The unconfirmed hours are large enough to change every figure (this year's, the total and the star level)
    if they were counted.
    """
    this_year = timezone.localdate().year
    person = VolunteerFactory(organization=world.dept_a, name="王晓红")
    for when, hours, status in (
        (datetime.date(this_year, 3, 5), "60.0", RecordStatus.CONFIRMED),
        (datetime.date(this_year - 1, 3, 5), "50.0", RecordStatus.CONFIRMED),
        (datetime.date(this_year, 4, 1), "300.0", RecordStatus.PENDING),
        (datetime.date(this_year, 5, 1), "250.0", RecordStatus.RETURNED),
        (datetime.date(this_year - 1, 6, 1), "400.0", RecordStatus.PENDING),
    ):
        activity = ServiceActivityFactory(organization=world.dept_a, date=when)
        ServiceRecordFactory(volunteer=person, activity=activity, hours=Decimal(hours), status=status)
    return person


def _confirmed(volunteer: Volunteer, **filters) -> Decimal:
    total = ServiceRecord.objects.filter(volunteer=volunteer, status=RecordStatus.CONFIRMED, **filters).aggregate(
        total=Sum("hours")
    )["total"]
    return total or Decimal("0")


@pytest.mark.parametrize("actor", ["a_admin", "a_office", "city_office"])
def test_list_shows_only_confirmed_hours(client, world, volunteer, actor):
    """GIVEN pending and returned records WHEN the list is opened THEN this year's hours, the total and the star
    level come from confirmed records only (expected values computed from the database)."""
    year = timezone.localdate().year
    expected_year = _confirmed(volunteer, activity__date__year=year)
    expected_total = _confirmed(volunteer)
    assert expected_total < sum((r.hours for r in volunteer.records.all()), Decimal("0"))  # the fixture bites
    client.force_login(world.user(actor))
    response = client.get(reverse("volunteers:index"), {"year": year})
    assert response.status_code == 200
    row = next(v for v in response.context["page"] if v.pk == volunteer.pk)
    assert (row.year_hours, row.total_hours, row.star) == (expected_year, expected_total, star_level(expected_total))
    doc = lxml.html.fromstring(response.content)
    cells = [
        td.text_content().strip()
        for tr in doc.iter("tr")
        if volunteer.name in tr.text_content()
        for td in tr.iter("td")
    ]
    assert cells[5:8] == [
        floatformat(expected_year, "-1"),
        floatformat(expected_total, "-1"),
        star_level(expected_total) or "—",
    ]


@pytest.mark.parametrize("actor", ["a_admin", "a_liaison", "city_leader"])
def test_detail_shows_only_confirmed_total(client, world, volunteer, actor):
    """GIVEN pending and returned records WHEN the volunteer's page is opened THEN 累计已确认时长 and the star
    count confirmed records only; the unconfirmed records are still listed with their status."""
    expected_total = _confirmed(volunteer)
    client.force_login(world.user(actor))
    response = client.get(reverse("volunteers:volunteer_detail", args=[volunteer.pk]))
    assert response.status_code == 200
    assert response.context["total"] == expected_total
    assert response.context["star"] == star_level(expected_total)
    doc = lxml.html.fromstring(response.content)
    total = doc.xpath('//*[@data-testid="total"]')[0].text_content().strip()
    assert total == f"{floatformat(expected_total, '-1')} 小时"
    stars = doc.xpath('//*[@data-testid="star"]')
    assert [s.text_content().strip() for s in stars] == (
        [f"{star_level(expected_total)}志愿者"] if star_level(expected_total) else []
    )
    assert len(response.context["records"]) == volunteer.records.count()
