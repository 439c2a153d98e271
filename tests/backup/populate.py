"""Data for the backup tests: one object of every model (every factory), a row in every many-to-many table,
history rows (the tracked models record their own saves), and real files of every file field.

Imported in the test process (PostgreSQL) and in a `manage.py shell` subprocess (SQLite)."""

import hashlib
import os

from django.core.files.base import ContentFile


def _blob(name: str, size: int) -> tuple[ContentFile, str, int]:
    data = os.urandom(size)
    return ContentFile(data, name=name), hashlib.sha256(data).hexdigest(), size


def populate() -> dict[str, int]:
    import tests.factories as f

    made = [getattr(f, name)() for name in f.__all__]
    # Every through table gets a row: each made object is linked to one object of the related model.
    for obj in made:
        for m2m in obj._meta.local_many_to_many:
            target = m2m.related_model._base_manager.first()
            if target is not None:
                getattr(obj, m2m.name).add(target)
    event = f.EventFactory()
    for _ in range(5):
        f.EvidenceFileFactory(event=event)
    photo, sha, size = _blob("ledger/test/photo.jpg", 300_000)
    f.EvidenceFileFactory(event=event, file=photo, sha256=sha, size=size, original_name="照片.jpg")
    proof, sha, size = _blob("evaluation/rectification/2026/proof.pdf", 40_000)
    f.RectificationItemFactory(proof_file=proof, proof_file_sha256=sha, proof_file_size=size)
    result, sha, size = _blob("jobs/2026/12/result.zip", 70_000)
    f.JobFactory(result=result, result_sha256=sha)
    return {"objects": len(made)}
