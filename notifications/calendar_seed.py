"""Seeding the working calendar from the `chinese-calendar` package (the years it knows).

Only exceptions to "Monday–Friday work" are stored: 法定节假日 on weekdays (and the named weekend days of a
holiday, so the table reads as the State Council notice does) and 调休 workdays on weekends.
Rows entered by hand (source "manual") are never overwritten: the table is the site's word.
"""

from __future__ import annotations

from datetime import date

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_days() -> list[tuple[date, bool, str]]:
    """(date, is_workday, name) for every exception the installed chinese-calendar knows."""
    import chinese_calendar

    days: list[tuple[date, bool, str]] = []
    for day, name in sorted(chinese_calendar.holidays.items()):
        days.append((day, False, HOLIDAY_NAMES.get(str(name), str(name))))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5:
            days.append((day, True, f"{HOLIDAY_NAMES.get(str(name), str(name))}调休上班"))
    return days


def seed(calendar_model: type) -> int:
    """Insert the package's days not yet in the table; returns how many rows were added."""
    present = set(calendar_model.objects.values_list("date", flat=True))
    rows = [
        calendar_model(date=day, is_workday=work, name=name, source="package")
        for day, work, name in package_days()
        if day not in present
    ]
    calendar_model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)
