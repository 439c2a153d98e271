"""Thin Celery task: the daily purge of the 回收站."""

from celery import shared_task


@shared_task(name="trash.purge_expired", time_limit=60 * 60, soft_time_limit=55 * 60)
def purge_expired() -> int:
    """Daily: what has been in the 回收站 longer than TRASH_RETENTION_DAYS goes for good, files included."""
    from .services import purge_expired as run

    return run()
