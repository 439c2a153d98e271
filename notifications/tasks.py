"""Thin Celery tasks: the periodic delivery run."""

from celery import shared_task


@shared_task(name="notifications.tasks.deliver_due", ignore_result=True, time_limit=300, soft_time_limit=240)
def deliver_due() -> dict:
    """Send the due outbox rows (idempotent: a second concurrent run claims nothing the first one holds)."""
    from .delivery import deliver_due as run

    return run()
