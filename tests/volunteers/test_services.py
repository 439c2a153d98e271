"""Recording activities with hours, the ledger dossier in the same step, confirmation by 创建办."""

import datetime
from decimal import Decimal

import pytest

from ledger.models import Event, EventCategory
from organizations.models import AuditEntry
from tests.factories import CampaignFactory, ServiceActivityFactory, VolunteerFactory
from volunteers import services
from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord
from volunteers.services import HoursEntry, VolunteerError


def _entries(*pairs):
    return [HoursEntry(volunteer=v, hours=Decimal(h)) for v, h in pairs]


def test_an_activity_with_several_volunteers_and_its_dossier_in_one_step(world):
    """GIVEN unit A's campaign WHEN the liaison records an activity with three people's hours and asks for the
    dossier THEN one activity, three pending records and one draft 志愿服务 dossier linked to it exist."""
    campaign = CampaignFactory(unit=world.unit_a, start_year=2026, end_year=2028)
    people = [VolunteerFactory(organization=world.dept_a) for _ in range(3)]
    activity = services.activity_record(
        organization=world.dept_a,
        title="“文明交通”劝导志愿服务",
        date=datetime.date(2026, 5, 12),
        category="traffic",
        place="人民路口",
        created_by=world.user("a_liaison"),
        entries=_entries((people[0], "2"), (people[1], "2.5"), (people[2], "8")),
        create_dossier=True,
    )
    assert sorted(activity.records.values_list("hours", flat=True)) == [Decimal("2"), Decimal("2.5"), Decimal("8")]
    assert set(activity.records.values_list("status", flat=True)) == {RecordStatus.PENDING}
    event = Event.objects.get()
    assert activity.event == event
    assert (event.campaign, event.organization, event.title, event.start_date, event.category) == (
        campaign,
        world.dept_a,
        "“文明交通”劝导志愿服务",
        datetime.date(2026, 5, 12),
        EventCategory.VOLUNTEER,
    )
    assert (event.place, event.participant_count, event.created_by) == ("人民路口", 3, world.user("a_liaison"))


def test_no_dossier_without_a_campaign_and_nothing_saved(world):
    person = VolunteerFactory(organization=world.dept_a)
    with pytest.raises(VolunteerError, match="还没有创建活动"):
        services.activity_record(
            organization=world.dept_a,
            title="活动",
            date=datetime.date(2026, 5, 12),
            category="other",
            created_by=None,
            entries=_entries((person, "2")),
            create_dossier=True,
        )
    assert (ServiceActivity.objects.count(), ServiceRecord.objects.count(), Event.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    ("hours", "message"),
    [("0", "必须大于 0"), ("-1", "必须大于 0"), ("1.25", "0.5 小时为单位"), ("8.5", "超过本活动上限 8 小时")],
)
def test_hours_in_half_steps_up_to_the_activity_maximum(world, hours, message):
    good, bad = VolunteerFactory(organization=world.dept_a), VolunteerFactory(organization=world.dept_a)
    activity = ServiceActivityFactory(organization=world.dept_a)
    with pytest.raises(VolunteerError, match=message):
        services.records_add(activity=activity, entries=_entries((good, "2"), (bad, hours)), created_by=None)
    assert ServiceRecord.objects.count() == 0


def test_the_maximum_is_per_activity(world):
    person = VolunteerFactory(organization=world.dept_a)
    activity = ServiceActivityFactory(organization=world.dept_a, max_hours=Decimal("12"))
    services.records_add(activity=activity, entries=_entries((person, "11.5")), created_by=None)
    assert ServiceRecord.objects.get().hours == Decimal("11.5")


def test_a_volunteer_of_another_unit_or_twice_is_refused(world):
    a, b = VolunteerFactory(organization=world.dept_a), VolunteerFactory(organization=world.dept_b)
    activity = ServiceActivityFactory(organization=world.dept_a)
    with pytest.raises(VolunteerError, match="不是本单位的志愿者"):
        services.records_add(activity=activity, entries=_entries((b, "2")), created_by=None)
    with pytest.raises(VolunteerError, match="重复登记"):
        services.records_add(activity=activity, entries=_entries((a, "2"), (a, "3")), created_by=None)
    services.records_add(activity=activity, entries=_entries((a, "2")), created_by=None)
    with pytest.raises(VolunteerError, match="已登记过"):
        services.records_add(activity=activity, entries=_entries((a, "2")), created_by=None)


def test_office_confirms_and_returns_others_may_not(world):
    people = [VolunteerFactory(organization=world.dept_a) for _ in range(2)]
    activity = services.activity_record(
        organization=world.dept_a,
        title="活动",
        date=datetime.date(2026, 5, 12),
        category="other",
        created_by=world.user("a_liaison"),
        entries=_entries((people[0], "2"), (people[1], "3")),
    )
    first, second = activity.records.order_by("hours")
    for actor in ("a_liaison", "a_leader", "city_office", "b_office"):
        with pytest.raises(VolunteerError, match="无权确认"):
            services.records_confirm(records=[first], by=world.user(actor))
    services.records_confirm(records=[first], by=world.user("a_office"))
    services.records_return(records=[second], by=world.user("a_office"), reason="签到表缺少签名")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.confirmed_by, first.confirmed_at is not None) == (
        RecordStatus.CONFIRMED,
        world.user("a_office"),
        True,
    )
    assert (second.status, second.return_reason) == (RecordStatus.RETURNED, "签到表缺少签名")
    audit = AuditEntry.objects.filter(object_type="volunteers.ServiceRecord").order_by("pk")
    assert [(e.action, e.actor.username, e.organization) for e in audit] == [
        ("create", "a_liaison", world.dept_a),
        ("confirm", "a_office", world.dept_a),
        ("return", "a_office", world.dept_a),
    ]
    assert audit.last().details == {"records": [second.pk], "reason": "签到表缺少签名"}
    with pytest.raises(VolunteerError, match="已确认"):
        services.records_return(records=[first], by=world.user("a_office"))
    services.record_update_hours(record=second, hours=Decimal("2.5"))
    second.refresh_from_db()
    assert (second.status, second.hours, second.return_reason) == (RecordStatus.PENDING, Decimal("2.5"), "")


def test_targets_and_staff_counts_are_settings(world):
    campaign = CampaignFactory(unit=world.unit_a)
    targets = services.targets_set(campaign=campaign, registration_rate=20, hours_per_volunteer=30)
    assert (targets.registration_rate, targets.hours_per_volunteer, targets.activities_per_year) == (20, 30, 4)
    services.staff_count_set(organization=world.unit_a, year=2026, count=80)
    row = services.staff_count_set(organization=world.unit_a, year=2026, count=82)
    assert row.count == 82
