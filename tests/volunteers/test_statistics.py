"""Statistics against the hand-computed fixture in tests/volunteers/conftest.py."""

import json
from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from volunteers.models import star_level
from volunteers.selectors import volunteer_statistics

D = Decimal


def test_unit_statistics_match_the_hand_computed_fixture(stats_world):
    """GIVEN the fixture WHEN the unit's 2026 statistics are computed THEN they are, by hand:

    staff 10; registered 甲乙丙戊 = 4 (丁 not registered, 己 only in 2027, 庚 left); rate 4/10 = 40.0%;
    confirmed hours 甲 8+8+6=22, 乙 4, 丁 2, 戊 6 (丙 pending, 戊's 4 returned, 2027 and other units excluded) = 34;
    34/4 = 8.5 per volunteer; 34/10 = 3.4 per staff member; only 甲 reaches 20 hours: 1/4 = 25.0%;
    activities act1 act2 act3 act6 = 4; March 28 hours, June 6; behind 丙 0, 乙 4, 戊 6;
    stars: 戊 104 (2025) + 6 = 110 cumulative → 一星, nobody else.
    """
    stats = volunteer_statistics(organization=stats_world.unit, year=2026)
    assert stats.staff == 10
    assert stats.registered == 4
    assert stats.rate == D("40.0")
    assert stats.confirmed_hours == D("34")
    assert stats.hours_per_volunteer == D("8.5")
    assert stats.hours_per_staff == D("3.4")
    assert stats.reaching_target == 1
    assert stats.share_reaching_target == D("25.0")
    assert stats.activities == 4
    assert stats.monthly_hours == [D(0), D(0), D(28), D(0), D(0), D(6), D(0), D(0), D(0), D(0), D(0), D(0)]
    assert [(p.volunteer.name, p.hours, p.gap) for p in stats.behind] == [
        ("丙", D(0), D(20)),
        ("乙", D(4), D(16)),
        ("戊", D(6), D(14)),
    ]
    assert stats.stars == [("一星", 1), ("二星", 0), ("三星", 0), ("四星", 0), ("五星", 0)]
    assert [(p.volunteer.name, p.total, p.star) for p in stats.starred] == [("戊", D(110), "一星")]
    assert stats.unregistered == 2  # 丁, and 己 who registers only in 2027
    assert (stats.targets.registration_rate, stats.targets.hours_per_volunteer) == (D(80), D(20))
    assert not stats.rate_met and not stats.hours_met and stats.activities_met


def test_department_breakdown_matches_the_fixture(stats_world):
    """一科: staff 6, registered 3 (50.0%), hours 22+4+2=28, 28/3=9.3, 1 of 3 reach → 33.3%, organises act1, act6.
    二科: staff 4, registered 1 (25.0%), hours 6, 6.0, 0.0%, organises act3 (2025 ones are another year)."""
    stats = volunteer_statistics(organization=stats_world.unit, year=2026)
    rows = {
        g.organization.name: (
            g.staff, g.registered, g.rate, g.confirmed_hours, g.hours_per_volunteer, g.share_reaching_target,
            g.activities,
        )
        for g in stats.departments
    }  # fmt: skip
    assert rows == {
        "一科": (6, 3, D("50.0"), D(28), D("9.3"), D("33.3"), 2),
        "二科": (4, 1, D("25.0"), D(6), D("6.0"), D("0.0"), 1),
    }


def test_department_statistics_on_their_own(stats_world):
    """一科 alone: act1 and act6 organised there, act2 and act3 count through 甲's confirmed hours → 4 activities."""
    stats = volunteer_statistics(organization=stats_world.d1, year=2026)
    assert stats.as_json() == {
        "staff": 6,
        "registered": 3,
        "rate": 50.0,
        "confirmed_hours": 28.0,
        "hours_per_volunteer": 9.3,
        "share_reaching_target": 33.3,
        "activities": 4,
    }


def test_staff_falls_back_to_the_sum_of_the_parts(stats_world):
    """No unit row for 2027: staff is the departments' rows (none either) → 0 and every rate is None."""
    stats = volunteer_statistics(organization=stats_world.unit, year=2027)
    assert stats.staff == 0
    assert stats.rate is None
    assert stats.registered == 5  # 己 is registered by 2027 (甲乙丙戊己)
    assert stats.confirmed_hours == D(8)


def test_volunteer_stats_command_prints_the_exact_keys(stats_world):
    out = StringIO()
    call_command("volunteer_stats", "--unit", "stat-unit", "--year", "2026", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "staff": 10,
        "registered": 4,
        "rate": 40.0,
        "confirmed_hours": 34.0,
        "hours_per_volunteer": 8.5,
        "share_reaching_target": 25.0,
        "activities": 4,
    }


def test_star_levels_at_each_threshold():
    assert [star_level(h) for h in (0, 99.5, 100, 299.5, 300, 600, 999.5, 1000, 1499.5, 1500, 5000)] == [
        "", "", "一星", "一星", "二星", "三星", "三星", "四星", "四星", "五星", "五星",
    ]  # fmt: skip
