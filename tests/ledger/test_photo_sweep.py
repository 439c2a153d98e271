"""The photo sweep (ledger.tasks.sweep_pending_photos): thumbnails and checks whose send was lost are sent again —
only after EVIDENCE_SWEEP_AFTER, only within EVIDENCE_SWEEP_MAX_AGE, once per window, never for a done photo."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from ledger.evidence_services import photo_check_run, photos_sweep_pending
from ledger.models import EvidenceFile, PhotoCheck, Slot
from ledger.tasks import check_photo_ocr, sweep_pending_photos

from . import samples

pytestmark = pytest.mark.django_db


def _lost_photo(event, seed: int) -> EvidenceFile:
    """A photo as an upload leaves it when the broker was down: stored, no thumbnail, no check."""
    data = samples.jpeg(size=(320, 240), seed=seed)
    row = EvidenceFile(
        event=event,
        slot=Slot.PHOTO,
        original_name=f"合影{seed}.jpg",
        size=len(data),
        detected_type="jpg",
        content_type="image/jpeg",
        sha256=hashlib.sha256(data).hexdigest(),
    )
    row.file.save(f"ledger/sweep-{seed}.jpg", ContentFile(data), save=True)
    return row


@override_settings(EVIDENCE_SWEEP_AFTER=300, EVIDENCE_SWEEP_MAX_AGE=3600, EVIDENCE_OCR_ENABLED=False)
def test_the_sweep_sends_lost_work_once_and_only_in_its_window(event_a):
    lost = _lost_photo(event_a, 1)
    now = timezone.now()
    assert photos_sweep_pending(now=now) == {"thumbnails": 0, "checks": 0}, "swept before EVIDENCE_SWEEP_AFTER"
    later = now + datetime.timedelta(seconds=301)
    # Tasks run in-process in the suite: sending them does the work.
    assert photos_sweep_pending(now=later) == {"thumbnails": 1, "checks": 1}
    lost.refresh_from_db()
    assert lost.thumbnail and PhotoCheck.objects.filter(evidence_file=lost).exists()
    assert photos_sweep_pending(now=later) == {"thumbnails": 0, "checks": 0}

    old = _lost_photo(event_a, 2)
    EvidenceFile.objects.filter(pk=old.pk).update(uploaded_at=now - datetime.timedelta(hours=2))
    assert photos_sweep_pending(now=later) == {"thumbnails": 0, "checks": 0}, "swept past EVIDENCE_SWEEP_MAX_AGE"


@override_settings(EVIDENCE_SWEEP_AFTER=0, EVIDENCE_OCR_ENABLED=False)
def test_a_swept_check_leaves_a_photo_checked_meanwhile_alone(event_a):
    photo = _lost_photo(event_a, 3)
    first = photo_check_run(evidence_id=photo.pk)
    assert check_photo_ocr(photo.pk, only_if_pending=True) == "skipped"
    assert PhotoCheck.objects.get(evidence_file=photo).checked_at == first.checked_at
    assert sweep_pending_photos() == {"thumbnails": 1, "checks": 0}
