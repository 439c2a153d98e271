"""The database half of a backup: a dump and the row count of every table, taken from the same moment.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the counts are taken inside it and `pg_dump
--snapshot` dumps exactly that state, so the counts in the manifest are the dump's, whatever is written meanwhile.
SQLite: the sqlite3 backup API copies the database page by page into a new file; the counts are read from the copy.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection, transaction

PG_DUMP_NAME = "database.dump"
SQLITE_NAME = "database.sqlite3"


class DatabaseError(Exception):
    """A dump or a restore that could not be done; the message is Chinese and says why."""


def vendor() -> str:
    return connection.vendor


def _pg_env_and_args(binary: str) -> tuple[list[str], dict[str, str]]:
    path = shutil.which(binary)
    if path is None:
        raise DatabaseError(f"找不到 {binary}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）。")
    s = connection.settings_dict
    args = [path]
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return args, env


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_names() -> list[str]:
    """Every table of the database (every model's, the many-to-many through tables, history tables, migrations)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def count_rows(tables: list[str] | None = None) -> dict[str, int]:
    tables = table_names() if tables is None else tables
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
            counts[table] = cursor.fetchone()[0]
        return counts


def applied_migrations() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        found: dict[str, list[str]] = {}
        for app, name in cursor.fetchall():
            found.setdefault(app, []).append(name)
        return found


def dump(target_dir: Path) -> tuple[str, dict[str, int], dict[str, list[str]]]:
    """Writes the dump into target_dir; returns (file name, row counts, applied migrations) of the dumped state."""
    if connection.vendor == "postgresql":
        return _dump_postgresql(target_dir)
    if connection.vendor == "sqlite":
        return _dump_sqlite(target_dir)
    raise DatabaseError(f"不支持的数据库：{connection.vendor}（只支持 PostgreSQL 与 SQLite）。")


def _dump_postgresql(target_dir: Path) -> tuple[str, dict[str, int], dict[str, list[str]]]:
    args, env = _pg_env_and_args("pg_dump")
    out = target_dir / PG_DUMP_NAME
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = count_rows()
        migrations = applied_migrations()
        # The snapshot stays importable while this transaction is open, i.e. for the whole pg_dump run.
        done = subprocess.run(
            [*args, "--format=custom", f"--snapshot={snapshot}", "--file", str(out), connection.settings_dict["NAME"]],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise DatabaseError(f"pg_dump 失败（退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
    return PG_DUMP_NAME, counts, migrations


def _sqlite_counts(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, list[str]]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    return counts, migrations


def _dump_sqlite(target_dir: Path) -> tuple[str, dict[str, int], dict[str, list[str]]]:
    connection.ensure_connection()
    out = target_dir / SQLITE_NAME
    copy = sqlite3.connect(out)
    try:
        # One consistent copy even while the site writes (the backup API restarts on a change by another process).
        connection.connection.backup(copy)
        counts, migrations = _sqlite_counts(copy)
    finally:
        copy.close()
    return SQLITE_NAME, counts, migrations


def is_empty() -> bool:
    """True when the database has no tables at all (a fresh database, before `migrate`)."""
    return not table_names()


def load(source_file: Path) -> None:
    """Loads a dump into the (empty) database of this connection, in one transaction."""
    if connection.vendor == "postgresql":
        args, env = _pg_env_and_args("pg_restore")
        connection.close()
        done = subprocess.run(
            [
                *args,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                connection.settings_dict["NAME"],
                str(source_file),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise DatabaseError(f"pg_restore 失败（退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
        return
    raise DatabaseError(f"不支持的数据库：{connection.vendor}（只支持 PostgreSQL 与 SQLite）。")
