"""Thin Celery tasks: the weekly file check."""

from celery import shared_task


@shared_task(name="backups.check_files", time_limit=60 * 60, soft_time_limit=55 * 60)
def check_files() -> dict:
    """Weekly (Sunday 03:00): missing, corrupted and orphaned files; the result is kept as a FileCheck row."""
    from .services import file_check_run

    row, result = file_check_run()
    return {"id": row.pk, **result.as_json()["counts"]}
