"""Thin Celery tasks of the ledger: they take ids and call one service."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3, time_limit=120, soft_time_limit=100)
def make_thumbnail(evidence_id: int) -> bool:
    """Make the gallery thumbnail of one image (idempotent)."""
    evidence = services.evidence_make_thumbnail(evidence_id=evidence_id)
    return bool(evidence and evidence.thumbnail)


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
    # OCR is killed at EVIDENCE_OCR_TIMEOUT (20 s) in its child process; this covers hashing and the wait for a slot.
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def check_photo_ocr(evidence_id: int, only_if_pending: bool = False) -> str:
    """Evidence checks of one photo (hashes, capture time, banner OCR); routed to the "ocr" queue by its name.
    Sent again by the sweep with only_if_pending: a photo checked meanwhile is left alone."""
    from .evidence_services import photo_check_run
    from .models import PhotoCheck

    if only_if_pending and PhotoCheck.objects.filter(evidence_file_id=evidence_id).exists():
        return "skipped"
    check = photo_check_run(evidence_id=evidence_id)
    return check.ocr_status if check else "skipped"


@shared_task(name="ledger.sweep_pending_photos", time_limit=120, soft_time_limit=100)
def sweep_pending_photos() -> dict[str, int]:
    """Beat, every minute: send again the thumbnails and photo checks whose first send was lost."""
    from .evidence_services import photos_sweep_pending

    return photos_sweep_pending()
