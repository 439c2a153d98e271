"""Working days and working hours come from the 法定节假日/调休 table (seeded from chinese-calendar)."""

from datetime import date, datetime

import pytest
from django.core.management import call_command

from notifications import services, workdays
from notifications.calendar_seed import package_days
from notifications.models import CalendarDay

from .conftest import TZ

pytestmark = pytest.mark.django_db


def test_the_table_is_seeded_at_install_from_the_package():
    """GIVEN a migrated database THEN the package's exceptions are in the table (National Day, a 调休 Sunday)."""
    assert CalendarDay.objects.count() == len(package_days())
    national_day = CalendarDay.objects.get(date=date(2026, 10, 1))
    assert (national_day.is_workday, national_day.name, national_day.source) == (False, "国庆节", "package")
    assert CalendarDay.objects.get(date=date(2026, 9, 20)).is_workday  # Sunday 9-20: 国庆节调休上班


def test_seed_calendar_is_idempotent_and_keeps_manual_edits():
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(is_workday=True, name="本地改为上班", source="manual")
    CalendarDay.objects.filter(date=date(2026, 10, 2)).delete()
    call_command("seed_calendar")
    call_command("seed_calendar")
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).is_workday  # the manual edit stands
    assert not CalendarDay.objects.get(date=date(2026, 10, 2)).is_workday  # the deleted day is back
    assert CalendarDay.objects.count() == len(package_days())


def test_saturday_is_off_and_a_weekday_holiday_is_off():
    assert not services.is_working_day(date(2026, 12, 5))  # Saturday, not in the table
    assert services.is_working_day(date(2026, 12, 4))  # Friday
    assert not services.is_working_day(date(2026, 10, 1))  # Thursday, 国庆节


def test_a_tiaoxiu_sunday_entered_in_the_table_is_a_working_day():
    """GIVEN Sunday 2027-01-10 entered by an admin as 调休 (the package does not know 2027) THEN it works."""
    sunday = date(2027, 1, 10)
    assert not services.is_working_day(sunday)
    services.calendar_day_set(day=sunday, is_workday=True, name="调休上班")
    assert services.is_working_day(sunday)
    assert services.is_working_time(datetime(2027, 1, 10, 9, 0, tzinfo=TZ))
    assert not services.is_working_time(datetime(2027, 1, 10, 18, 0, tzinfo=TZ))  # 18:00 is already after hours


def test_working_hours_and_the_next_working_morning():
    friday_evening = datetime(2026, 12, 4, 18, 30, tzinfo=TZ)
    assert not services.is_working_time(friday_evening)
    assert services.next_working_time(friday_evening) == datetime(2026, 12, 7, 8, 30, tzinfo=TZ)
    early = datetime(2026, 12, 7, 7, 0, tzinfo=TZ)
    assert services.next_working_time(early) == datetime(2026, 12, 7, 8, 30, tzinfo=TZ)
    inside = datetime(2026, 12, 7, 8, 30, tzinfo=TZ)
    assert services.next_working_time(inside) == inside
    # Before the National Day week: the next working morning is Thursday 10-08 (10-01…10-07 off).
    assert services.next_working_time(datetime(2026, 9, 30, 19, 0, tzinfo=TZ)) == datetime(
        2026, 10, 8, 8, 30, tzinfo=TZ
    )


def test_working_day_arithmetic_for_the_overdue_ladder():
    # Deadline Wednesday 2026-09-30: Thursday 10-08 is the first working day after it, Saturday 10-10 (调休) the third.
    assert services.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert services.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert services.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert services.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert services.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert services.add_working_days(date(2026, 12, 4), 0) == date(2026, 12, 4)


def test_the_table_is_read_once_not_per_question(django_assert_num_queries):
    workdays.clear_cache()
    with django_assert_num_queries(1):
        for day in range(1, 29):
            services.is_working_day(date(2026, 2, day))
        services.working_days_between(date(2026, 1, 1), date(2026, 12, 31))


def test_an_admin_edit_of_the_table_takes_effect_and_stays_manual(client):
    """GIVEN the admin's 节假日与调休 pages WHEN a 调休 Sunday is added and National Day is changed THEN both count."""
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:notifications_calendarday_add"),
        {"date": "2027-01-10", "is_workday": "on", "name": "春节调休上班", "source": "manual"},
    )
    assert response.status_code == 302
    assert services.is_working_day(date(2027, 1, 10))
    national = CalendarDay.objects.get(date=date(2026, 10, 1))
    response = client.post(
        reverse("admin:notifications_calendarday_change", args=[national.pk]),
        {"date": "2026-10-01", "is_workday": "on", "name": "本地上班", "source": "package"},
    )
    assert response.status_code == 302
    national.refresh_from_db()
    assert (national.is_workday, national.source) == (True, "manual")
    assert services.is_working_day(date(2026, 10, 1))
