"""Operational tasks."""

from celery import shared_task
from django.db import connection

from organizations.models import Organization


# The one task whose result is read (CELERY_TASK_IGNORE_RESULT is on for the rest).
@shared_task(name="dashboards.health_check", ignore_result=False, time_limit=30, soft_time_limit=20)
def health_check() -> dict:
    """Round trip through the broker, a worker and the database; used by ops checks and the worker test."""
    return {"database": connection.vendor, "organizations": Organization.objects.count()}


@shared_task(name="dashboards.send_reminders", time_limit=20 * 60, soft_time_limit=15 * 60)
def send_reminders(date: str | None = None, only: list[str] | None = None) -> dict:
    """Beat's daily 08:30 run (and the Monday digest with only=["digest."]); idempotent, see dashboards/reminders.py."""
    import datetime

    from .reminders import run_reminders

    today = datetime.date.fromisoformat(date) if date else None
    return run_reminders(today=today, only=only).as_json()


@shared_task(name="dashboards.snapshot_units", time_limit=60 * 60, soft_time_limit=55 * 60)
def snapshot_units(date: str | None = None, unit_ids: list[int] | None = None, fill_missing: bool = True) -> dict:
    """Nightly (00:30): every unit's measures for the day, and any missed day of the last weeks. Idempotent."""
    import datetime

    from .services import snapshot_units as take

    day = datetime.date.fromisoformat(date) if date else None
    units = list(Organization.objects.filter(pk__in=unit_ids).order_by("path")) if unit_ids is not None else None
    return take(day=day, units=units, fill_missing=fill_missing)
