"""The media files: every stored file, every file a row refers to, and the check between them.

Files are read through Django's default storage (not MEDIA_ROOT directly), so the same code walks a local folder
or an S3-compatible bucket. A file row refers to its file through a FileField; its recorded SHA-256 is the
`<field>_sha256` field beside it, or `sha256` for a field named `file` (ledger.EvidenceFile, ledger.ArchiveBuild,
jobs.Job.result_sha256, evaluation.RectificationItem.proof_file_sha256). Rows are read through `_base_manager`, so a
row in the 回收站 (a default manager that hides it) still owns its file.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

from organizations.history import is_historical
from trash.selectors import held_file_names

CHUNK = 1024 * 1024
# Working folders inside the media root that no row owns and a backup need not keep: the archive PDF's photo
# cache (regenerated from the originals) and the import previews waiting for their confirmation.
TRANSIENT_PREFIXES = ("archive-cache/", "evaluation/pending/", "campaigns/pending/", "volunteers/imports/")
# How many problems of each kind a FileCheck row keeps for the admin page (the counts are always complete).
DETAIL_LIMIT = 200


def is_transient(name: str) -> bool:
    return any(name.startswith(p) for p in TRANSIENT_PREFIXES)


def walk_storage(storage: Storage | None = None, prefix: str = "") -> Iterator[str]:
    """Every file name in the storage (sorted, `/`-separated), transient working folders left out."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        full = f"{prefix}{name}"
        if not is_transient(full):
            yield full
    for name in sorted(dirs):
        sub = f"{prefix}{name}/"
        if not is_transient(sub):
            yield from walk_storage(storage, sub)


def hash_stream(stream: BinaryIO, sink: BinaryIO | None = None) -> tuple[str, int]:
    """SHA-256 and size of a stream, copying it into `sink` on the way when given."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def hash_stored(name: str, storage: Storage | None = None) -> tuple[str, int]:
    storage = storage or default_storage
    with storage.open(name, "rb") as stream:
        return hash_stream(stream)


@dataclass(frozen=True)
class FileRef:
    """One file a row refers to."""

    model: str
    pk: Any
    field: str
    name: str
    sha256: str


def _sha_field(model: type[models.Model], file_field: models.FileField) -> str | None:
    names = {f.name for f in model._meta.concrete_fields}
    if f"{file_field.name}_sha256" in names:
        return f"{file_field.name}_sha256"
    if file_field.name == "file" and "sha256" in names:
        return "sha256"
    return None


def file_fields() -> Iterator[tuple[type[models.Model], models.FileField, str | None]]:
    """Every FileField of every installed model (historical copies left out), with its SHA-256 field if any."""
    for model in apps.get_models():
        if is_historical(model) or model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                yield model, f, _sha_field(model, f)


def referenced_files() -> Iterator[FileRef]:
    """Every non-empty file name a row refers to, with the SHA-256 recorded for it ('' when none is kept)."""
    for model, f, sha in file_fields():
        columns = ["pk", f.name] + ([sha] if sha else [])
        rows = model._base_manager.exclude(**{f.name: ""}).exclude(**{f"{f.name}__isnull": True})
        for row in rows.values_list(*columns).iterator(chunk_size=2000):
            yield FileRef(model._meta.label, row[0], f.name, row[1], row[2] if sha else "")


@dataclass
class CheckResult:
    checked_at: Any = None
    seconds: float = 0.0
    files_referenced: int = 0
    files_on_disk: int = 0
    missing: list[dict] = field(default_factory=list)
    corrupted: list[dict] = field(default_factory=list)
    orphaned: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupted or self.orphaned)

    def as_json(self) -> dict:
        return {
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
            "seconds": round(self.seconds, 3),
            "files_referenced": self.files_referenced,
            "files_on_disk": self.files_on_disk,
            "missing": self.missing,
            "corrupted": self.corrupted,
            "orphaned": self.orphaned,
            "counts": {"missing": len(self.missing), "corrupted": len(self.corrupted), "orphaned": len(self.orphaned)},
        }


def check_files(storage: Storage | None = None) -> CheckResult:
    """Missing (a row's file is not stored), corrupted (its SHA-256 differs from the recorded one) and orphaned
    (stored, owned by no row) files. Each stored file is read once; files several rows share are hashed once."""
    storage = storage or default_storage
    started = time.monotonic()
    result = CheckResult(checked_at=timezone.now())
    on_disk = set(walk_storage(storage))
    result.files_on_disk = len(on_disk)
    owned: set[str] = set()
    hashes: dict[str, str] = {}
    for ref in referenced_files():
        result.files_referenced += 1
        owned.add(ref.name)
        where = {"model": ref.model, "pk": ref.pk, "field": ref.field, "path": ref.name}
        # A name under a transient folder or outside the walk: the storage itself answers.
        if ref.name not in on_disk and not storage.exists(ref.name):
            result.missing.append(where)
            continue
        if not ref.sha256:
            continue
        if ref.name not in hashes:
            hashes[ref.name] = hash_stored(ref.name, storage)[0]
        if hashes[ref.name] != ref.sha256:
            result.corrupted.append({**where, "expected": ref.sha256, "actual": hashes[ref.name]})
    # Files of what lies in the 回收站 belong to its Deletion rows until the purge: a restore needs them.
    owned |= held_file_names()
    for name in sorted(on_disk - owned):
        result.orphaned.append({"path": name, "size": storage.size(name)})
    result.seconds = time.monotonic() - started
    return result
