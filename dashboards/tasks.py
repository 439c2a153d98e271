"""Operational tasks."""

from celery import shared_task
from django.db import connection

from organizations.models import Organization


@shared_task(name="dashboards.health_check", time_limit=30, soft_time_limit=20)
def health_check() -> dict:
    """Round trip through the broker, a worker and the database; used by ops checks and the worker test."""
    return {"database": connection.vendor, "organizations": Organization.objects.count()}
