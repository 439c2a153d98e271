"""The hand-computed statistics fixture shared by the selector, command and page tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from organizations.models import OrganizationKind, Role
from tests.factories import (
    CampaignFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffCountFactory,
    UserFactory,
    VolunteerFactory,
    VolunteerTargetsFactory,
)
from volunteers import services
from volunteers.models import ServiceRecord, Volunteer
from volunteers.services import HoursEntry


@dataclass
class StatsWorld:
    unit: object
    d1: object
    d2: object
    office: object
    people: dict[str, Volunteer]


def _activity(org, title, date, entries, *, by, confirm=(), ret=()):
    activity = services.activity_record(
        organization=org,
        title=title,
        date=date,
        category="lei_feng",
        created_by=by,
        entries=[HoursEntry(volunteer=v, hours=Decimal(h)) for v, h in entries],
    )
    records = {r.volunteer.name: r for r in activity.records.select_related("volunteer", "volunteer__organization")}
    if confirm:
        services.records_confirm(records=[records[n] for n in confirm], by=by)
    if ret:
        services.records_return(records=[records[n] for n in ret], by=by, reason="照片不清")
    return activity


def build_stats_world() -> StatsWorld:
    """The fixture, by hand (year 2026, targets: 80% registered, 20 hours, 3 activities):

    unit 统计局 (staff 10) ├ 一科 D1 (staff 6): 甲 乙 丙 registered, 丁 not registered
                           └ 二科 D2 (staff 4): 戊 registered; 己 registered only on 2027-01-10; 庚 registered but left
    2026 activities: act1 (D1, 3月5日) 甲 8✓ 乙 4✓ 丙 3(待确认) 丁 2✓ · act2 (unit, 3月20日) 甲 8✓ 戊 6✓
                     act3 (D2, 6月1日) 甲 6✓ 戊 4(退回) · act6 (D1, 9月10日) nobody
    other years: 13 activities of D2 in 2025 with 8✓ each for 戊 (104 hours) · act7 (D1, 2027-01-05) 甲 8✓
    another unit's activity in 2026 with its own volunteer (must not count)
    """
    unit = OrganizationFactory(name="统计局", code="stat-unit", kind=OrganizationKind.UNIT)
    d1 = OrganizationFactory(name="一科", code="stat-d1", kind=OrganizationKind.DEPARTMENT, parent=unit)
    d2 = OrganizationFactory(name="二科", code="stat-d2", kind=OrganizationKind.DEPARTMENT, parent=unit)
    other = OrganizationFactory(name="他局", code="stat-other", kind=OrganizationKind.UNIT)
    office = MembershipFactory(user=UserFactory(username="stat_office"), organization=unit, role=Role.OFFICE).user
    campaign = CampaignFactory(unit=unit, start_year=2026, end_year=2028)
    VolunteerTargetsFactory(
        campaign=campaign,
        registration_rate=Decimal("80"),
        hours_per_volunteer=Decimal("20"),
        activities_per_year=3,
    )
    StaffCountFactory(organization=unit, year=2026, count=10)
    StaffCountFactory(organization=d1, year=2026, count=6)
    StaffCountFactory(organization=d2, year=2026, count=4)
    StaffCountFactory(organization=unit, year=2025, count=99)
    people = {
        "甲": VolunteerFactory(organization=d1, name="甲"),
        "乙": VolunteerFactory(organization=d1, name="乙"),
        "丙": VolunteerFactory(organization=d1, name="丙"),
        "丁": VolunteerFactory(organization=d1, name="丁", is_registered=False, number="", registered_on=None),
        "戊": VolunteerFactory(organization=d2, name="戊"),
        "己": VolunteerFactory(organization=d2, name="己", registered_on=datetime.date(2027, 1, 10)),
        "庚": VolunteerFactory(organization=d2, name="庚", is_active=False),
    }
    outsider = VolunteerFactory(organization=other, name="外")
    p = people
    _activity(
        d1, "act1", datetime.date(2026, 3, 5),
        [(p["甲"], "8"), (p["乙"], "4"), (p["丙"], "3"), (p["丁"], "2")], by=office, confirm=("甲", "乙", "丁"),
    )  # fmt: skip
    _activity(
        unit, "act2", datetime.date(2026, 3, 20), [(p["甲"], "8"), (p["戊"], "6")], by=office, confirm=("甲", "戊")
    )
    _activity(
        d2, "act3", datetime.date(2026, 6, 1), [(p["甲"], "6"), (p["戊"], "4")], by=office, confirm=("甲",), ret=("戊",)
    )
    _activity(d1, "act6", datetime.date(2026, 9, 10), [], by=office)
    for i in range(13):
        _activity(d2, f"old{i}", datetime.date(2025, 1 + i % 12, 1 + i), [(p["戊"], "8")], by=office, confirm=("戊",))
    _activity(d1, "act7", datetime.date(2027, 1, 5), [(p["甲"], "8")], by=office, confirm=("甲",))
    other_office = MembershipFactory(organization=other, role=Role.OFFICE).user
    _activity(other, "外局活动", datetime.date(2026, 3, 5), [(outsider, "8")], by=other_office, confirm=("外",))
    assert ServiceRecord.objects.count() == 4 + 2 + 2 + 13 + 1 + 1
    return StatsWorld(unit=unit, d1=d1, d2=d2, office=office, people=people)


@pytest.fixture
def stats_world(db) -> StatsWorld:
    return build_stats_world()
