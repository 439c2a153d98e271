"""Benchmark: `manage.py seed_demo --scale large` at full size, on SQLite and on PostgreSQL (run on demand).

`python bench/seed_large.py [--postgres URL] [--no-postgres] [--units 50] [--factor 1]` migrates a throw-away SQLite
file and (when a server answers) a throw-away PostgreSQL database `wenming_seed_bench`, then times the whole command
(the demo world and the 50 city-scale units: 20,000 dossiers with 80,000 files, 200,000 service records,
18,250 snapshots) in a subprocess, as a user would run it. Migration time is reported apart.

Results go to bench/results/seed_large.json, with the machine and its load average at the start (the 2-core
machine is often shared: a high load means the numbers are upper bounds). Target (issue 12): at most 10 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/wenming_seed_bench"
LIMIT_S = 600


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command itself, its output). CPU time does not depend on the machine's
    load, wall time does; the database server's own CPU (PostgreSQL) is not in the CPU figure."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, cpu, done.stdout


def _pg_recreate(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL 不可用，跳过：{exc}", file=sys.stderr)
        return False
    return True


def _pg_drop(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def measure(database_url: str, media: Path, extra: list[str]) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    env.pop("REDIS_URL", None)  # the seed needs no broker; background work runs in-process
    python = sys.executable
    migrate_s, _cpu, _ = _run([python, "manage.py", "migrate", "-v0"], env)
    seed_s, seed_cpu, out = _run(
        [python, "manage.py", "seed_demo", "--scale", "large", "--json", "--force", *extra], env
    )
    info = json.loads(out)["large"]
    again_s, _cpu, out2 = _run([python, "manage.py", "seed_demo", "--scale", "large", "--json", "--force", *extra], env)
    inodes = {(p.stat().st_dev, p.stat().st_ino): p.stat().st_size for p in media.rglob("*") if p.is_file()}
    return {
        "migrate_s": round(migrate_s, 1),
        "seed_demo_scale_large_s": round(seed_s, 1),
        "seed_demo_scale_large_cpu_s": round(seed_cpu, 1),
        "large_part_s": info["seconds"],
        "second_run_s": round(again_s, 1),
        "second_run_skipped": json.loads(out2)["large"]["skipped"],
        "within_10_min": seed_s <= LIMIT_S,
        "counts": info["counts"],
        "media_files": sum(1 for p in media.rglob("*") if p.is_file()),
        "media_mb_on_disk": round(sum(inodes.values()) / 1048576, 1),  # hard links counted once
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=PG_DEFAULT, help="a throw-away database URL (it is dropped first)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--units", type=int, default=None)
    parser.add_argument("--factor", type=float, default=None)
    args = parser.parse_args()
    extra = [
        *(["--units", str(args.units)] if args.units else []),
        *(["--factor", str(args.factor)] if args.factor else []),
    ]
    context = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    results: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="wenming-seed-large-"))
    try:
        if not args.no_sqlite:
            results["sqlite"] = {**context, **measure(f"sqlite:///{tmp / 'db.sqlite3'}", tmp / "media-sqlite", extra)}
            print(json.dumps({"sqlite": results["sqlite"]}, ensure_ascii=False))
        if not args.no_postgres and _pg_recreate(args.postgres):
            try:
                results["postgresql"] = {**context, **measure(args.postgres, tmp / "media-pg", extra)}
                print(json.dumps({"postgresql": results["postgresql"]}, ensure_ascii=False))
            finally:
                _pg_drop(args.postgres)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "results" / "seed_large.json"
    out.parent.mkdir(exist_ok=True)
    # One database per run is allowed (--no-sqlite / --no-postgres): keep the other's last numbers.
    previous = json.loads(out.read_text()) if out.exists() else {}
    merged = {**previous, "limit_s": LIMIT_S, **results}
    out.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(merged, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
