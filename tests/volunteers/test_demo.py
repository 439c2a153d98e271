"""The volunteers' demo data: both units, a year of hours with a realistic spread, idempotent, deterministic."""

from decimal import Decimal

from campaigns.models import Campaign
from demo.context import DemoContext
from organizations import demo as organizations_demo
from volunteers import demo
from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord, StaffCount, Volunteer, VolunteerTargets
from volunteers.selectors import volunteer_statistics


def _seed() -> tuple[DemoContext, dict]:
    ctx = DemoContext()
    organizations_demo.seed(ctx)
    return ctx, demo.seed(ctx)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Volunteer, ServiceActivity, ServiceRecord, StaffCount, VolunteerTargets))


def test_demo_seeds_both_units_with_some_people_under_target(db):
    ctx, out = _seed()
    rows = out["volunteers"]
    assert {r["unit_code"] for r in rows} == {"scjgj", "sthjj"}
    assert all(set(r) == {"name", "number", "unit_code"} for r in rows)
    assert len(rows) == Volunteer.objects.count() >= 40
    for code in ("scjgj", "sthjj"):
        stats = volunteer_statistics(organization=ctx.organizations[code], year=demo.DEMO_YEAR)
        assert stats.staff > stats.registered > 0
        assert stats.activities >= 10
        assert stats.behind, "some registered volunteers are under the hours target"
        assert stats.reaching_target > 0, "and some reach it"
        assert sum(count for _, count in stats.stars) > 0, "veterans have a star level"
        assert sum(1 for h in stats.monthly_hours if h > 0) >= 8
    statuses = set(ServiceRecord.objects.values_list("status", flat=True))
    assert statuses == {RecordStatus.CONFIRMED, RecordStatus.PENDING, RecordStatus.RETURNED}
    assert ServiceRecord.objects.filter(hours__gt=Decimal("8")).count() == 0
    liaison = ctx.users["scjgj_liaison"]
    assert Volunteer.objects.get(user=liaison).name == liaison.display_name


def test_demo_is_idempotent_and_deterministic(db):
    _, first = _seed()
    counts = _counts()
    _, second = _seed()
    assert _counts() == counts
    assert first == second
    demo.reset(DemoContext())
    assert _counts() == (0, 0, 0, 0, 0)
    _, third = _seed()
    assert third == first


def test_demo_sets_targets_on_the_units_campaign(db):
    """With campaigns.demo's campaigns (or any campaign of the unit) the targets differ by place."""
    ctx = DemoContext()
    organizations_demo.seed(ctx)
    campaign = Campaign.objects.create(unit=ctx.organizations["sthjj"], title="创建", start_year=2025, end_year=2027)
    demo.seed(ctx)
    targets = VolunteerTargets.objects.get(campaign=campaign)
    assert (targets.registration_rate, targets.hours_per_volunteer, targets.activities_per_year) == (90, 20, 6)
