"""Media through Django's default storage only, so a local folder and an S3-compatible store behave alike.

Nothing here reads MEDIA_ROOT: files are opened with storage.open(). Where a tool needs a real file on disk
(pdftoppm, WeasyPrint's fetcher), `local_copy` writes one into a folder the caller owns and removes. Import files
waiting between preview and confirm are kept in the storage too (`pending_*`), so a confirm answered by another
web replica than the preview finds them.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

TOKEN = re.compile(r"[0-9a-f]{32}")
COPY_CHUNK = 1 << 20


def has_local_paths(storage: Storage | None = None) -> bool:
    """Whether the storage's files are files on this machine (FileSystemStorage) rather than objects elsewhere."""
    try:
        (storage or default_storage).path("x")
    except NotImplementedError:
        return False
    return True


def local_copy(name: str, target: str | Path, *, storage: Storage | None = None) -> Path:
    """Copy the stored file `name` to `target` (a path in a folder the caller owns and cleans up)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (storage or default_storage).open(name, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, COPY_CHUNK)
    return target


def _pending_name(folder: str, token: str) -> str:
    return f"{folder}/{token}.xlsx"


def pending_save(folder: str, token: str, data: bytes) -> None:
    """Keep an uploaded import file under `folder/<token>.xlsx` until it is confirmed (token: 32 hex digits)."""
    if not TOKEN.fullmatch(token):
        raise ValueError("bad pending token")
    name = _pending_name(folder, token)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a random token never repeats; if it did, the other file is not ours to read back
        default_storage.delete(saved)
        raise FileExistsError(name)


def pending_read(folder: str, token: str) -> bytes | None:
    """The bytes kept under `token`, or None when the token is malformed or its file is gone (expired, confirmed)."""
    if not TOKEN.fullmatch(token or ""):
        return None
    try:
        with default_storage.open(_pending_name(folder, token), "rb") as fh:
            return fh.read()
    except (FileNotFoundError, OSError):
        return None


def pending_delete(folder: str, token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        default_storage.delete(_pending_name(folder, token))


def pending_sweep(folder: str, *, older_than: timedelta = timedelta(days=1)) -> int:
    """Drop pending files older than `older_than`; returns how many went."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    cutoff = timezone.now() - older_than
    dropped = 0
    for file in files:
        if not file.endswith(".xlsx"):
            continue
        name = f"{folder}/{file}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                dropped += 1
        except (FileNotFoundError, OSError):
            continue
    return dropped
