"""Jobs test helpers: a year of dossiers for the ZIP, the broker switched on, and worker subprocesses."""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ledger.models import Event, EventStatus, EvidenceFile, Slot
from tests.factories import CampaignFactory, EventFactory

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"


def build_year(world, *, dossiers: int, file_bytes: int = 64 * 1024) -> tuple[object, list[Event]]:
    """`dossiers` dossiers of unit A in 2026, each with one sign-in sheet of `file_bytes` bytes on disk."""
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度文明单位创建", start_year=2026, end_year=2026)
    events = Event.objects.bulk_create(
        EventFactory.build(
            campaign=campaign,
            organization=world.dept_a if i % 2 else world.unit_a,
            start_date=datetime.date(2026, 1 + i % 12, 1 + i % 28),
            title=f"第{i}次文明实践活动",
            # Submitted: what the annual workbook and ZIP take by default (drafts only on request).
            status=EventStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        for i in range(dossiers)
    )
    from django.core.files.base import ContentFile

    files = []
    for i, event in enumerate(events):
        # Incompressible but reproducible bytes, so the ZIP takes a measurable while and every file differs.
        content = hashlib.shake_256(f"签到表{i}".encode()).digest(file_bytes)
        ev = EvidenceFile(
            event=event,
            slot=Slot.SIGNIN,
            original_name=f"签到表{i}.txt",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            detected_type="txt",
        )
        ev.file.save(f"签到表{i}.txt", ContentFile(content), save=False)
        files.append(ev)
    EvidenceFile.objects.bulk_create(files)
    return campaign, events


@pytest.fixture
def broker():
    """Tasks go to the real Redis broker (not in-process) while the test runs."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set (with CI=true the suite refuses to start)")
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = eager


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_process(broker, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start real `celery worker` processes on this run's queue, using this test's database and media folder.

    The Celery command line does not know about pytest-django: it gets the test settings, the test database's
    name in DATABASE_URL and MEDIA_ROOT through the environment. Every process is stopped at the end.
    """
    if connection.vendor != "postgresql":
        pytest.skip("worker subprocesses need the PostgreSQL test database")
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }

    def start() -> subprocess.Popen:
        n = len(started) + 1
        log = (tmp_path / f"worker-{n}.log").open("wb")
        proc = subprocess.Popen(
            [
                str(CELERY) if CELERY.exists() else sys.executable,
                *([] if CELERY.exists() else ["-m", "celery"]),
                "-A",
                "config",
                "worker",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--pool=solo",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"jobs-test-{settings.TEST_RUN_ID}-{n}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = log.name  # type: ignore[attr-defined]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.02, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
