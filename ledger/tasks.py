"""Thin Celery tasks of the ledger: they take ids and call one service."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3, time_limit=120, soft_time_limit=100)
def make_thumbnail(evidence_id: int) -> bool:
    """Make the gallery thumbnail of one image (idempotent)."""
    evidence = services.evidence_make_thumbnail(evidence_id=evidence_id)
    return bool(evidence and evidence.thumbnail)
