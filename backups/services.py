"""Backup, restore and the file check: every write of this app.

A backup is a folder: the database dump (pg_dump custom format, or an SQLite copy), `media/` with every stored
file, and `manifest.json` (every file's SHA-256 and size, every table's row count, the applied migrations, the app
version and the time). It is written into `<DIR>.partial` and renamed to DIR only when complete, so a backup that
fails or is killed never leaves a DIR behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from organizations.media import has_local_paths

from . import database, files
from .models import FileCheck

MANIFEST = "manifest.json"
MEDIA_DIR = "media"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore refused or failed; the message is Chinese and says why."""


def app_version() -> str:
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _file_sha256(path: Path) -> tuple[str, int]:
    with open(path, "rb") as f:
        return files.hash_stream(f)


def _partial_for(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def _claim_partial(partial: Path) -> None:
    """Creates `<DIR>.partial`; one left by a killed run (its process gone) is removed first."""
    if partial.exists():
        pid_file = partial / ".pid"
        try:
            pid = int(pid_file.read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            shutil.rmtree(partial)
        else:
            raise BackupError(f"另一个备份（进程 {pid}）正在写入 {partial}，请等它结束。")
    partial.mkdir(parents=True)
    (partial / ".pid").write_text(str(os.getpid()))


def backup_create(*, output: Path) -> dict:
    """Writes a complete backup to `output` (which must not exist or be empty) and returns its manifest."""
    target = Path(output).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"目标目录 {target} 已存在且不为空：备份不会覆盖已有内容，请换一个目录。")
    partial = _partial_for(target)
    _claim_partial(partial)
    try:
        manifest = _write_backup(partial)
        (partial / ".pid").unlink()
        if target.exists():
            target.rmdir()
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _write_backup(partial: Path) -> dict:
    started = timezone.now()
    try:
        db_name, counts, migrations = database.dump(partial)
    except database.DatabaseError as exc:
        raise BackupError(f"备份失败：{exc}") from exc
    db_sha, db_size = _file_sha256(partial / db_name)
    media = partial / MEDIA_DIR
    media.mkdir()
    entries = []
    vanished = []
    for name in files.walk_storage():
        dest = media / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(name, "rb") as src, open(dest, "wb") as sink:
                sha, size = files.hash_stream(src, sink)
        except OSError as exc:
            if not default_storage.exists(name):
                # Listed, then removed before it was read (a 回收站 purge, a replaced thumbnail): the site goes on
                # while the backup runs. Not an unreadable disk: note it and go on.
                dest.unlink(missing_ok=True)
                vanished.append(name)
                continue
            raise BackupError(f"备份失败：无法读取文件 {name}（{exc.strerror or exc}），未生成备份。") from exc
        entries.append({"path": name, "size": size, "sha256": sha})
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "app": {"version": app_version(), "django": django.get_version()},
        "database": {"vendor": database.vendor(), "file": db_name, "size": db_size, "sha256": db_sha},
        "migrations": migrations,
        "tables": counts,
        "files": entries,
        # Files deleted by the running site between the listing and their copy; the restore names them.
        "vanished": vanished,
        "totals": {
            "tables": len(counts),
            "rows": sum(counts.values()),
            "files": len(entries),
            "bytes": sum(e["size"] for e in entries),
        },
    }
    with open(partial / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    return manifest


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    count_mismatches: list[dict] = field(default_factory=list)
    file_mismatches: list[dict] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)  # deleted by the site while the backup ran (manifest)

    @property
    def ok(self) -> bool:
        return not (self.count_mismatches or self.file_mismatches)


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise BackupError(f"{source} 不是备份目录：找不到 {MANIFEST}。") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"无法读取 {path}：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}（本程序为 {FORMAT}）。")
    return manifest


def _verify_backup(source: Path, manifest: dict) -> None:
    """The backup itself matches its manifest (before anything is written)."""
    db = manifest["database"]
    if _file_sha256(source / db["file"]) != (db["sha256"], db["size"]):
        raise BackupError(f"备份已损坏：数据库文件 {db['file']} 的 SHA-256 与清单不符，未做任何恢复。")
    for entry in manifest["files"]:
        path = source / MEDIA_DIR / entry["path"]
        if not path.is_file() or _file_sha256(path) != (entry["sha256"], entry["size"]):
            raise BackupError(f"备份已损坏：文件 {entry['path']} 缺失或与清单不符，未做任何恢复。")


def backup_restore(*, source: Path) -> RestoreReport:
    """Restores a backup into an empty database and an empty media storage, then compares both with the manifest."""
    source = Path(source).absolute()
    manifest = read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != database.vendor():
        raise BackupError(f"备份来自 {vendor} 数据库，当前数据库是 {database.vendor()}：不能跨数据库类型恢复。")
    if not database.is_empty():
        raise BackupError("当前数据库不是空的（已有数据表）：恢复只写入新建的空数据库，请新建一个空库后再运行。")
    if next(files.walk_storage(), None) is not None:
        where = settings.MEDIA_ROOT if has_local_paths() else f"存储桶 {getattr(default_storage, 'bucket_name', '')}"
        raise BackupError(f"上传文件目录不是空的（{where}）：恢复只写入空的文件目录。")
    _verify_backup(source, manifest)
    try:
        database.load(source / manifest["database"]["file"])
    except database.DatabaseError as exc:
        raise BackupError(f"恢复失败：{exc}") from exc
    for entry in manifest["files"]:
        with open(source / MEDIA_DIR / entry["path"], "rb") as f:
            saved = default_storage.save(entry["path"], File(f))
        if saved != entry["path"]:
            raise BackupError(f"恢复失败：文件 {entry['path']} 被存为 {saved}。")
    return verify_restored(manifest)


def verify_restored(manifest: dict) -> RestoreReport:
    """Row counts of every table and SHA-256 of every file, now, against the manifest."""
    report = RestoreReport(vanished=list(manifest.get("vanished", [])))
    counts = database.count_rows()
    for table, expected in sorted(manifest["tables"].items()):
        actual = counts.get(table)
        if actual != expected:
            report.count_mismatches.append({"table": table, "expected": expected, "actual": actual})
    for table in sorted(set(counts) - set(manifest["tables"])):
        report.count_mismatches.append({"table": table, "expected": None, "actual": counts[table]})
    report.tables, report.rows = len(counts), sum(counts.values())
    for entry in manifest["files"]:
        try:
            sha, size = files.hash_stored(entry["path"])
        except OSError:
            sha, size = None, None
        if (sha, size) != (entry["sha256"], entry["size"]):
            report.file_mismatches.append({"path": entry["path"], "expected": entry["sha256"], "actual": sha})
        else:
            report.files += 1
            report.bytes += size
    return report


@transaction.atomic
def file_check_run() -> tuple[FileCheck, files.CheckResult]:
    """Runs the file check and records its result (shown on the admin index)."""
    result = files.check_files()
    limit = files.DETAIL_LIMIT
    row = FileCheck.objects.create(
        checked_at=result.checked_at,
        seconds=result.seconds,
        files_referenced=result.files_referenced,
        files_on_disk=result.files_on_disk,
        missing=len(result.missing),
        corrupted=len(result.corrupted),
        orphaned=len(result.orphaned),
        details={
            "missing": result.missing[:limit],
            "corrupted": result.corrupted[:limit],
            "orphaned": result.orphaned[:limit],
        },
    )
    return row, result
