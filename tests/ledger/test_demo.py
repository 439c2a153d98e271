"""seed_demo's ledger part: ~60 dossiers per demo unit over two years, files on disk, idempotent."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from ledger.models import Event, EventStatus, EvidenceFile

from .conftest import files_under


@pytest.mark.django_db
def test_seed_demo_makes_dossiers_and_is_idempotent(settings, _media_root):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    data = json.loads(out.getvalue())
    events = data["events"]
    by_unit = {code: [e for e in events if e["unit_code"] == code] for code in ("scjgj", "sthjj")}
    assert len(by_unit["scjgj"]) == len(by_unit["sthjj"]) == 60
    assert set(events[0]) == {"id", "archive_number", "unit_code"}
    qs = Event.objects.filter(campaign__unit__code="scjgj")
    assert qs.dates("start_date", "year").count() == 2
    assert qs.filter(is_complete=False).exists()
    assert qs.filter(is_late_entry=True).exists()
    assert qs.filter(status=EventStatus.RETURNED).exclude(return_reason="").exists()
    assert qs.filter(status=EventStatus.ARCHIVED).exists()
    numbered = [e["archive_number"] for e in by_unit["scjgj"] if e["archive_number"]]
    assert len(numbered) == len(set(numbered)) and all("-scjgj-" in n for n in numbered)
    files = EvidenceFile.objects.count()
    assert files > 200
    assert len([p for p in files_under(_media_root) if "/thumbs/" not in str(p)]) == files

    again = io.StringIO()
    call_command("seed_demo", "--json", stdout=again)
    assert json.loads(again.getvalue())["events"] == events
    assert EvidenceFile.objects.count() == files
