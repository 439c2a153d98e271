"""Helpers for the backup tests: `manage.py` in a subprocess pointed at a given database and media root, and
throw-away PostgreSQL databases on the suite's server."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def manage(*args: str, database_url: str, media_root: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pg_url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _server() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.sqlite3"
    done = manage("migrate", "-v0", database_url=f"sqlite:///{path}", media_root=path.parent / "media")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def migrated_sqlite(_migrated_sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated SQLite database file of this test's own (migrating takes long: one migration per session)."""
    path = tmp_path / "src.sqlite3"
    shutil.copyfile(_migrated_sqlite_template, path)
    return path


@pytest.fixture
def empty_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (no tables) on the suite's server, dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL（DATABASE_URL）")
    name = f"wenming_restore_{settings.TEST_RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _server() as server:
        server.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _server() as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_counts(name: str) -> dict[str, int]:
    """Rows per table of a database, read independently of backups/ (information_schema, plain psycopg)."""
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        dbname=name,
    ) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under root, by its `/`-separated relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def model_tables() -> set[str]:
    """Every table of the Django models: concrete models, many-to-many through tables, history tables."""
    from django.apps import apps

    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return tables
