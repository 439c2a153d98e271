"""Working days and working hours, from the admin-editable table of 法定节假日 and 调休 workdays.

A day is a working day when the table says so; a day not in the table works Monday to Friday.
Working hours are settings.NOTIFY_WORK_START–NOTIFY_WORK_END (08:30–18:00) Asia/Shanghai.

The table's exceptions are read once (one query) and kept in the process for a short while, so the
reminder runner can ask about thousands of tasks without a query each; any change to the table clears it.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import CalendarDay

TZ = ZoneInfo("Asia/Shanghai")
_CACHE_SECONDS = 60
_lock = threading.Lock()
_cache: dict[str, object] = {"at": 0.0, "days": None}


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def work_start() -> time:
    return _parse_hhmm(getattr(settings, "NOTIFY_WORK_START", "08:30"))


def work_end() -> time:
    return _parse_hhmm(getattr(settings, "NOTIFY_WORK_END", "18:00"))


def _exceptions() -> dict[date, bool]:
    with _lock:
        days = _cache["days"]
        if days is not None and _time.monotonic() - float(_cache["at"]) < _CACHE_SECONDS:
            return days  # type: ignore[return-value]
    loaded = dict(CalendarDay.objects.values_list("date", "is_workday"))
    with _lock:
        _cache["days"] = loaded
        _cache["at"] = _time.monotonic()
    return loaded


def clear_cache() -> None:
    with _lock:
        _cache["days"] = None


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def _calendar_changed(**kwargs: object) -> None:
    # Cache invalidation only; no business logic here.
    clear_cache()


def is_working_day(day: date) -> bool:
    """True on a working day: the table's word if the day is in it, else Monday–Friday."""
    exceptions = _exceptions()
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def _local(dt: datetime) -> datetime:
    if timezone.is_naive(dt):
        raise ValueError("需要带时区的时间")
    return dt.astimezone(TZ)


def is_working_time(dt: datetime) -> bool:
    """True on a working day between the start (inclusive) and the end (exclusive) of working hours."""
    local = _local(dt)
    return is_working_day(local.date()) and work_start() <= local.time() < work_end()


def next_working_day(day: date) -> date:
    """The first working day strictly after `day`."""
    candidate = day + timedelta(days=1)
    for _ in range(400):
        if is_working_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    raise ValueError("一年多内没有工作日，请检查节假日表")


def next_working_time(dt: datetime) -> datetime:
    """`dt` itself when it is working time, else the start of the next working period (Asia/Shanghai)."""
    local = _local(dt)
    if is_working_time(local):
        return dt
    day = local.date()
    if not (is_working_day(day) and local.time() < work_start()):
        day = next_working_day(day)
    return datetime.combine(day, work_start(), tzinfo=TZ)


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end (0 when end <= start).

    The first working day after a deadline gives 1, so the overdue ladder reads "n working days late".
    """
    if end <= start:
        return 0
    exceptions = _exceptions()
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        work = exceptions.get(day, day.weekday() < 5)
        count += 1 if work else 0
        day += timedelta(days=1)
    return count


def add_working_days(day: date, n: int) -> date:
    """The date n working days after `day` (n > 0) or before it (n < 0); n == 0 gives `day`."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    exceptions = _exceptions()
    while remaining:
        current += timedelta(days=step)
        if exceptions.get(current, current.weekday() < 5):
            remaining -= 1
    return current


def local_today(now: datetime | None = None) -> date:
    return _local(now or timezone.now()).date()
