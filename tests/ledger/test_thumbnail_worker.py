"""Thumbnails are made by a real Celery worker on Redis, after the upload commits."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from ledger import services
from ledger.models import EvidenceFile, Slot
from tests.conftest import build_world
from tests.factories import CampaignFactory, EventFactory

from . import samples


@pytest.mark.worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set")
@pytest.mark.django_db(transaction=True)
def test_upload_enqueues_thumbnail_on_commit_and_the_worker_makes_it(celery_worker):
    world = build_world()
    event = EventFactory(campaign=CampaignFactory(unit=world.unit_a), organization=world.dept_a)
    (row,) = services.evidence_add(
        event=event,
        slot=Slot.PHOTO,
        uploads=[services.Upload("合影.png", samples.image("PNG", size=(1200, 900)))],
        uploaded_by=None,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = EvidenceFile.objects.get(pk=row.pk)
        if row.thumbnail:
            break
        time.sleep(0.2)
    assert row.thumbnail.name.startswith("ledger/thumbs/")
    with row.thumbnail.open("rb") as fh:
        assert fh.read(3) == b"\xff\xd8\xff"
