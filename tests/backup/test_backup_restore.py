"""backup → a fresh empty database and media root → restore: every table's row count and every file's SHA-256.

The commands run as subprocesses, as an operator runs them, pointed by DATABASE_URL and MEDIA_ROOT at the
database and folders of the test."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backups import database
from ledger.models import Event

from .conftest import ROOT, manage, model_tables, pg_counts, pg_url, sqlite_counts, tree_hashes
from .populate import populate


def _check_manifest(bk: Path, counts: dict[str, int], hashes: dict[str, str]) -> dict:
    manifest = json.loads((bk / "manifest.json").read_text(encoding="utf-8"))
    assert model_tables() <= set(manifest["tables"]), "a model's table is missing from the manifest"
    historical = [t for t in manifest["tables"] if "historical" in t]
    assert historical and any(manifest["tables"][t] for t in historical), "history tables are counted"
    through = [f.m2m_db_table() for f in Event._meta.local_many_to_many]
    assert all(manifest["tables"][t] > 0 for t in through)
    assert manifest["tables"] == counts
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == hashes
    assert all(e["size"] > 0 for e in manifest["files"])
    assert manifest["app"]["version"] and manifest["created_at"]
    assert "backups" in manifest["migrations"] and "ledger" in manifest["migrations"]
    assert not bk.with_name(bk.name + ".partial").exists()
    return manifest


@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_then_restore_into_an_empty_database_is_identical(tmp_path, empty_pg_database):
    """GIVEN one object of every model, many-to-many links, history rows and files of every file field
    WHEN backup runs, and restore runs into a new empty database and an empty media root
    THEN every table has the same row count and every file the same SHA-256; restore refuses a non-empty target."""
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL（DATABASE_URL）")
    populate()
    source_db = connection.settings_dict["NAME"]
    counts = pg_counts(source_db)
    hashes = tree_hashes(Path(settings.MEDIA_ROOT))
    assert len(hashes) >= 8 and sum(counts.values()) > 500

    bk = tmp_path / "backup"
    done = manage("backup", "-o", str(bk), database_url=pg_url(source_db), media_root=settings.MEDIA_ROOT)
    assert done.returncode == 0, done.stderr
    assert "备份完成" in done.stdout
    manifest = _check_manifest(bk, counts, hashes)
    assert manifest["database"]["vendor"] == "postgresql"
    assert (bk / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    media2 = tmp_path / "media-restored"
    done = manage("restore", str(bk), database_url=pg_url(empty_pg_database), media_root=media2)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "恢复完成" in done.stdout and "与清单一致" in done.stdout

    assert pg_counts(empty_pg_database) == counts
    assert tree_hashes(media2) == hashes

    # A second restore finds the database (and the media root) in use and changes nothing.
    again = manage("restore", str(bk), database_url=pg_url(empty_pg_database), media_root=media2)
    assert again.returncode != 0 and "当前数据库不是空的" in again.stderr
    assert pg_counts(empty_pg_database) == counts
    # The backup folder is never overwritten.
    again = manage("backup", "-o", str(bk), database_url=pg_url(source_db), media_root=settings.MEDIA_ROOT)
    assert again.returncode != 0 and "已存在且不为空" in again.stderr


def test_sqlite_backup_then_restore_into_an_empty_database_is_identical(tmp_path, migrated_sqlite):
    """The same on SQLite: the copy is made with the sqlite3 backup API, restored into a database file that
    does not exist yet, and a non-empty media root is refused."""
    src, dst = migrated_sqlite, tmp_path / "dst.sqlite3"
    media, media2 = tmp_path / "media-src", tmp_path / "media-dst"
    url = f"sqlite:///{src}"
    script = "from tests.backup.populate import populate; populate()"
    done = manage("shell", "-c", script, database_url=url, media_root=media)
    assert done.returncode == 0, done.stderr
    counts, hashes = sqlite_counts(src), tree_hashes(media)
    assert len(hashes) >= 8 and sum(counts.values()) > 500

    bk = tmp_path / "backup"
    done = manage("backup", "-o", str(bk), database_url=url, media_root=media)
    assert done.returncode == 0, done.stderr
    manifest = _check_manifest_sqlite(bk, counts, hashes)
    assert manifest["database"]["vendor"] == "sqlite"

    media2.mkdir()
    (media2 / "stray.txt").write_text("已有文件")
    refused = manage("restore", str(bk), database_url=f"sqlite:///{dst}", media_root=media2)
    assert refused.returncode != 0 and "上传文件目录不是空的" in refused.stderr
    assert not dst.exists() or sqlite_counts(dst) == {}
    (media2 / "stray.txt").unlink()

    done = manage("restore", str(bk), database_url=f"sqlite:///{dst}", media_root=media2)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "恢复完成" in done.stdout
    assert sqlite_counts(dst) == counts
    assert tree_hashes(media2) == hashes


def _check_manifest_sqlite(bk: Path, counts: dict[str, int], hashes: dict[str, str]) -> dict:
    manifest = json.loads((bk / "manifest.json").read_text(encoding="utf-8"))
    assert model_tables() <= set(manifest["tables"])
    assert manifest["tables"] == counts
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == hashes
    return manifest


def test_a_restore_whose_result_differs_from_the_manifest_exits_non_zero(tmp_path, migrated_sqlite):
    """A manifest that promises one more row than the backup holds: restore loads it, compares, names the table
    in Chinese and exits non-zero."""
    src, dst = migrated_sqlite, tmp_path / "dst.sqlite3"
    media = tmp_path / "media"
    bk = tmp_path / "backup"
    assert manage("backup", "-o", str(bk), database_url=f"sqlite:///{src}", media_root=media).returncode == 0
    manifest = json.loads((bk / "manifest.json").read_text(encoding="utf-8"))
    manifest["tables"]["ledger_event"] += 1
    (bk / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    done = manage("restore", str(bk), database_url=f"sqlite:///{dst}", media_root=tmp_path / "media2")
    assert done.returncode != 0
    assert "表 ledger_event：清单 1 行，恢复后 0 行" in done.stdout
    assert "恢复结果与清单不一致" in done.stderr


@pytest.mark.django_db
def test_a_backup_failing_midway_leaves_no_backup_folder(tmp_path):
    """GIVEN a stored file that cannot be read (a dangling link in the media root), read after the database dump
    WHEN backup runs
    THEN it fails with a Chinese message and leaves neither DIR nor DIR.partial."""
    media = Path(settings.MEDIA_ROOT)
    (media / "ledger").mkdir()
    (media / "ledger" / "a.txt").write_text("第一份")
    (media / "ledger" / "z-broken.txt").symlink_to(tmp_path / "nowhere")
    bk = tmp_path / "backup"
    done = manage("backup", "-o", str(bk), database_url=_url(), media_root=media)
    assert done.returncode != 0
    assert "备份失败：无法读取文件 ledger/z-broken.txt" in done.stderr
    assert not bk.exists()
    assert not bk.with_name("backup.partial").exists()


def test_a_killed_backup_leaves_no_folder_and_the_next_run_completes(tmp_path, migrated_sqlite):
    """GIVEN a backup killed (SIGKILL) while it copies the media
    THEN there is no DIR (only DIR.partial), and the next run removes the stale partial and completes."""
    media = tmp_path / "media"
    url = f"sqlite:///{migrated_sqlite}"
    (media / "big").mkdir(parents=True)
    for i in range(60):
        (media / "big" / f"{i:02d}.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    bk = tmp_path / "backup"
    partial = tmp_path / "backup.partial"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    env["MEDIA_ROOT"] = str(media)
    proc = subprocess.Popen([sys.executable, "manage.py", "backup", "-o", str(bk)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while not (partial / "media" / "big").exists():
        assert proc.poll() is None, "the backup ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not bk.exists() and partial.exists()

    done = manage("backup", "-o", str(bk), database_url=url, media_root=media)
    assert done.returncode == 0, done.stderr
    assert not partial.exists()
    manifest = json.loads((bk / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 60 and tree_hashes(bk / "media") == tree_hashes(media)


def _url() -> str:
    if connection.vendor == "postgresql":
        return pg_url(connection.settings_dict["NAME"])
    return f"sqlite:///{connection.settings_dict['NAME']}"


def test_counts_come_from_every_table_of_the_database(db):
    """The manifest's tables are the database's tables: the models', the through tables, django_migrations."""
    names = set(database.table_names())
    assert model_tables() <= names and "django_migrations" in names


@pytest.mark.django_db(transaction=True)
def test_a_file_deleted_by_the_site_during_a_backup_is_noted_not_fatal(tmp_path, monkeypatch):
    """GIVEN a backup that has listed the media, and the site (a 回收站 purge) removing one file before it is copied
    WHEN the backup goes on
    THEN it completes, the manifest names the vanished file under "vanished" and not under "files", and a restore
    report carries it."""
    from backups import files as backup_files
    from backups import services as backup_services

    media = Path(settings.MEDIA_ROOT)
    (media / "ledger").mkdir(parents=True, exist_ok=True)
    (media / "ledger" / "a.txt").write_text("第一份")
    (media / "ledger" / "b.txt").write_text("第二份：备份途中被清除")
    listed = backup_files.walk_storage

    def walk_then_purge(storage=None, prefix=""):
        names = list(listed(storage, prefix))
        if not prefix:  # the whole listing is done (walk_storage recurses through this name)
            (media / "ledger" / "b.txt").unlink()  # between the listing and the copy, as a concurrent purge does
        yield from names

    monkeypatch.setattr(backup_files, "walk_storage", walk_then_purge)
    manifest = backup_services.backup_create(output=tmp_path / "backup")
    assert manifest["vanished"] == ["ledger/b.txt"]
    assert [e["path"] for e in manifest["files"]] == ["ledger/a.txt"]
    assert not (tmp_path / "backup" / "media" / "ledger" / "b.txt").exists()
    assert backup_services.RestoreReport(vanished=manifest["vanished"]).ok
    assert backup_services.verify_restored(manifest).vanished == ["ledger/b.txt"]
