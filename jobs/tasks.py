"""Thin Celery tasks of the jobs app: they take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=settings.JOBS_TIME_LIMIT,
    soft_time_limit=settings.JOBS_SOFT_TIME_LIMIT,
)
def run_job(self, job_id: int) -> str:
    """Run one job if this delivery can claim it (a redelivered or duplicate message exits at once)."""
    return services.job_run(job_id=job_id, heartbeat_thread=not self.request.is_eager)


@shared_task(time_limit=120, soft_time_limit=100)
def reap_jobs() -> dict[str, int]:
    """Requeue or fail the jobs whose heartbeat stopped (beat runs it every minute)."""
    return services.job_reap()
