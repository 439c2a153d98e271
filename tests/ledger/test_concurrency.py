"""Archive numbers under concurrent submissions (PostgreSQL: the counter row is locked)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from ledger import services
from ledger.models import Event
from tests.factories import CampaignFactory, EventFactory, OrganizationFactory

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_get_twenty_distinct_gapless_numbers():
    """GIVEN 20 draft dossiers of one unit and year
    WHEN 20 threads submit them at the same moment, each on its own database connection
    THEN they get 2026-<unit>-0001 … 0020, each once."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are what is tested; SQLite serialises every write anyway")
    unit = OrganizationFactory(code="conc", kind="unit")
    campaign = CampaignFactory(unit=unit)
    ids = [EventFactory(campaign=campaign, organization=unit).pk for _ in range(N)]
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []

    def submit(pk: int) -> None:
        try:
            event = Event.objects.get(pk=pk)
            barrier.wait(timeout=30)
            services.event_submit(event=event, actor=None)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Event.objects.filter(pk__in=ids).values_list("archive_number", flat=True))
    assert numbers == [f"2026-conc-{i:04d}" for i in range(1, N + 1)]


@pytest.mark.django_db(transaction=True)
def test_the_same_photo_uploaded_twice_at_once_is_kept_once(_media_root):
    """GIVEN one dossier WHEN two people upload the same photo at the same moment
    THEN one batch is kept and the other is refused as a duplicate, leaving exactly one row and one file."""
    from ledger.models import EvidenceFile, Slot
    from tests.ledger import samples
    from tests.ledger.conftest import files_under

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite's in-memory test database locks whole tables)")
    event = EventFactory()
    photo = samples.jpeg(seed=99)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            services.evidence_add(
                event=event, slot=Slot.PHOTO, uploads=[services.Upload(name, photo)], uploaded_by=None
            )
            outcomes.append("kept")
        except (services.LedgerError, ValueError) as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(n,)) for n in ("甲.jpg", "乙.jpg")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["kept", "refused"], outcomes
    assert "重复" in next(o for o in outcomes if o.startswith("refused"))
    assert EvidenceFile.objects.filter(event=event).count() == 1
    assert len([p for p in files_under(_media_root) if "thumbs" not in p.parts]) == 1
