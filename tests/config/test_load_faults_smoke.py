"""A short run of bench/load_faults.py: 4 clients, 8 s per phase, the sweeps in seconds (`--quick`).

The bench starts its own gunicorn, Celery worker and beat and a private redis-server on 127.0.0.1, copies the
template database it seeded once (`manage.py seed_demo`; the first run builds it, ~2 minutes more) and kills Redis
and then the worker mid-phase. Zero 5xx, every upload stored with the client's SHA-256, and all the work queued
around the faults done after they end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.worker,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.skipif(shutil.which("psql") is None, reason="psql (PostgreSQL) is not installed"),
]


def test_the_load_and_faults_bench_smoke_run_has_no_5xx_and_catches_up(tmp_path):
    out = tmp_path / "load_faults.json"
    proc = subprocess.run(
        [
            sys.executable,
            "bench/load_faults.py",
            "--duration",
            "8",
            "--clients",
            "4",
            "--quick",
            "--catch-up",
            "45",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["totals"]["status_5xx"] == 0 and result["totals"]["errors"] == 0, result["totals"]
    assert result["uploads"]["uploaded"] > 0 and result["uploads"]["all_present_and_right"], result["uploads"]
    for phase in ("redis_down", "worker_killed"):
        catch_up = result["phases"][phase]["catch_up"]
        assert catch_up["all_done"], (phase, catch_up)
        assert all(job["status"] == "done" for job in catch_up["jobs"]), (phase, catch_up["jobs"])
    assert proc.returncode == 0
