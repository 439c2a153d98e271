"""config/worker_watchdog.py with real workers on a private Redis: a worker that does not answer its own ping while
the broker answers exits with status 70 (its supervisor starts a new one); a healthy one stays up; off by default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from config.worker_watchdog import EXIT_STATUS

from .test_redis_outage import REDIS_SERVER, PrivateRedis

ROOT = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).with_name("celery")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
]


def _worker(url: str, folder: Path, **env: str) -> subprocess.Popen:
    log = (folder / "worker.log").open("ab")
    return subprocess.Popen(
        [
            *([str(CELERY)] if CELERY.exists() else [sys.executable, "-m", "celery"]),
            *("-A", "config", "worker", "-Q", "watchdog-test", "--pool=prefork", "--concurrency=1", "-l", "INFO"),
            *("--without-gossip", "--without-mingle", "-n", f"watchdog-{os.getpid()}@%h"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "REDIS_URL": url,
            "PYTHONUNBUFFERED": "1",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def test_a_worker_that_stops_answering_exits_for_its_supervisor(redis_server, tmp_path):
    """GIVEN a worker whose consumer never answers control messages (remote control off: what a consumer stuck after
    a Redis outage looks like from outside) and the broker up WHEN the watchdog's 4 s pass THEN it exits with 70."""
    proc = _worker(redis_server.url, tmp_path, CELERY_WORKER_WATCHDOG="4", CELERY_WORKER_ENABLE_REMOTE_CONTROL="0")
    try:
        status = proc.wait(timeout=60)
    finally:
        _stop(proc)
    log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert status == EXIT_STATUS, log[-3000:]
    assert "has not answered its own ping" in log


def test_a_healthy_worker_and_a_worker_without_the_watchdog_stay_up(redis_server, tmp_path):
    healthy = _worker(redis_server.url, tmp_path, CELERY_WORKER_WATCHDOG="3")
    off = _worker(redis_server.url, tmp_path, CELERY_WORKER_ENABLE_REMOTE_CONTROL="0")
    try:
        time.sleep(15)
        assert healthy.poll() is None and off.poll() is None
    finally:
        _stop(healthy)
        _stop(off)
    log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert "worker watchdog on" in log and "has not answered its own ping" not in log
