"""Redis down: pages keep serving, logins work, uploads are stored whole; the work they queue is sent again later.

Every test runs its own redis-server on a free port in a temp dir (the shared 127.0.0.1:6379 is never touched),
points the cache, the sessions and the Celery broker at it, and kills it. After it comes back, the beat sweeps
(ledger.tasks.sweep_pending_photos, jobs.tasks.reap_jobs) send the lost work again and a real worker does it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from jobs import services as job_services
from jobs.models import Job, JobStatus
from ledger.evidence_services import photos_sweep_pending
from ledger.models import EvidenceFile, PhotoCheck, Slot
from tests.conftest import build_world
from tests.factories import CampaignFactory, EventFactory, TaskFactory

REDIS_SERVER = shutil.which("redis-server")
ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"
PASSWORD = "Passw0rd!"  # tests/factories/organizations.py
# The cache under test; put django.core.cache.backends.redis.RedisCache here and the pages answer 500.
CACHE_BACKEND = "config.cache.ResilientRedisCache"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test only: no persistence, its own port and folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.folder / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@contextmanager
def site_on(url: str, backend: str = CACHE_BACKEND) -> Iterator[None]:
    """Cache, sessions and Celery publishing of this process on the Redis at `url` (as in production)."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager, app._pool)
    saved_backends = (app._backend_cache, getattr(app._local, "backend", None), app.amqp._producer_pool)
    with override_settings(
        CACHES={"default": {"BACKEND": backend, "LOCATION": url}},
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
        REDIS_URL=url,
        CELERY_TASK_ALWAYS_EAGER=False,
    ):
        app.conf.broker_url = app.conf.result_backend = url
        app.conf.task_always_eager = False
        app._pool = app._backend_cache = app._local.backend = app.amqp._producer_pool = None
        try:
            yield
        finally:
            if app._pool is not None:
                app._pool.force_close_all()
            app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager, app._pool = saved
            app._backend_cache, app._local.backend, app.amqp._producer_pool = saved_backends


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def worker_on(url: str, folder: Path) -> Iterator[subprocess.Popen]:
    """A real `celery worker` on this run's queue, on the private Redis, with the test database and media."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    log = (folder / "worker.log").open("wb")
    proc = subprocess.Popen(
        [
            *([str(CELERY)] if CELERY.exists() else [sys.executable, "-m", "celery"]),
            *("-A", "config", "worker", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--pool=solo", "-l", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("-n", f"outage-{settings.TEST_RUN_ID}@%h"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = log.name  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait(condition, *, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    log = Path(proc.log_path).read_text(errors="replace")[-3000:] if proc is not None else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log}")


def _photo(seed: int, size: tuple[int, int] = (900, 600)) -> bytes:
    img = Image.effect_noise(size, 40 + seed % 50).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def _login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _dossier(world):
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度文明单位创建", start_year=2026, end_year=2026)
    task = TaskFactory(campaign=campaign, title="开展志愿服务", lead_units=[world.dept_a])
    event = EventFactory(campaign=campaign, organization=world.dept_a, title="学雷锋志愿服务")
    return campaign, task, event


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_pages_logins_and_uploads_work_and_the_sweeps_catch_up_after(private_redis, tmp_path):
    """GIVEN the site on its own Redis, a liaison logged in
    WHEN Redis is killed
    THEN the pages answer 200, a new login works, a photo upload is stored whole (SHA-256) and shows 图片检查中…,
    an export job is 排队中, nothing is a 500 and nobody waits for the broker;
    AND WHEN Redis returns (empty: its queue was lost) and the beat sweeps run, a real worker makes the thumbnail,
    checks the photo and finishes the job."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker subprocess needs the PostgreSQL test database")
    world = build_world()
    campaign, task, event = _dossier(world)
    with site_on(private_redis.url):
        liaison = _login("a_liaison")
        assert liaison.get(reverse("dashboards:home")).status_code == 200

        private_redis.kill()

        pages = {
            "首页": reverse("dashboards:home"),
            "台账": reverse("ledger:index"),
            "档案": reverse("ledger:detail", args=[event.pk]),
            "我的任务": reverse("campaigns:my_tasks"),
            "任务": reverse("campaigns:task_detail", args=[task.pk]),
        }
        for name, url in pages.items():
            response = liaison.get(url)
            assert response.status_code == 200, f"{name} {url}: {response.status_code}"  # still logged in
        office = _login("a_office")  # a login while Redis is down
        assert office.get(reverse("ledger:index")).status_code == 200

        data = _photo(1)
        started = time.monotonic()
        response = liaison.post(
            reverse("ledger:upload", args=[event.pk]),
            {"slot": Slot.PHOTO, "files": [SimpleUploadedFile("活动合影.jpg", data, content_type="image/jpeg")]},
            HTTP_ACCEPT="application/json",
        )
        upload_seconds = time.monotonic() - started
        assert response.status_code == 200, response.content.decode()[:500]
        assert upload_seconds < 5, f"the upload waited {upload_seconds:.1f} s for the broker"
        (row,) = EvidenceFile.objects.filter(event=event)
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        with row.file.open("rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == row.sha256
        assert not row.thumbnail and not PhotoCheck.objects.filter(evidence_file=row).exists()
        assert "图片检查中" in liaison.get(reverse("ledger:detail", args=[event.pk])).content.decode()

        response = liaison.post(
            reverse("campaigns:task_report", args=[task.pk]),
            {f"t{task.pk}-text": "已组织志愿者开展服务", f"t{task.pk}-percent": "40"},
        )
        assert response.status_code == 302
        response = office.post(reverse("ledger:export_workbook"), {"campaign": campaign.pk, "year": "2026"})
        assert response.status_code == 302
        job = Job.objects.get()
        assert job.status == JobStatus.QUEUED and job.step == job_services.BROKER_DOWN_STEP
        page = office.get(reverse("jobs:detail", args=[job.pk])).content.decode()
        assert "排队中" in page and job_services.BROKER_DOWN_STEP in page

        private_redis.start()  # empty: the messages sent while it was down never existed
        time.sleep(getattr(caches["default"], "retry_after", 0) + 0.1)  # past the breaker's pause
        with worker_on(private_redis.url, tmp_path) as worker:
            later = timezone.now() + timedelta(seconds=settings.EVIDENCE_SWEEP_AFTER + 1)
            assert photos_sweep_pending(now=later) == {"thumbnails": 1, "checks": 1}
            assert photos_sweep_pending(now=later) == {"thumbnails": 0, "checks": 0}, "sent twice in one window"
            # Its send surely failed: the reaper's next run sends it again, not JOBS_QUEUED_RESEND_AFTER later.
            assert job_services.job_reap()["resent"] == 1
            _wait(
                lambda: (
                    EvidenceFile.objects.filter(pk=row.pk).exclude(thumbnail="").exists()
                    and PhotoCheck.objects.filter(evidence_file=row).exists()
                    and Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists()
                ),
                timeout=90,
                what="the worker to make the thumbnail, check the photo and finish the job",
                proc=worker,
            )
        assert "图片检查中" not in liaison.get(reverse("ledger:detail", args=[event.pk])).content.decode()


@pytest.mark.django_db
def test_the_cache_turns_an_outage_into_misses_and_logs_it_once(private_redis, caplog):
    """Reads miss, writes are dropped, add() says yes; one warning for many calls; back to normal after."""
    with site_on(private_redis.url):
        cache = caches["default"]
        cache.set("k", "v")
        assert cache.get("k") == "v"
        private_redis.kill()
        caplog.set_level(logging.WARNING, logger="config.cache")
        started = time.monotonic()
        for _ in range(200):
            assert cache.get("k", "miss") == "miss"
            cache.set("k", "w")
            assert cache.get_many(["k"]) == {}
            assert cache.add("a", 1) is True
            assert cache.delete("k") is False
            assert "k" not in cache
        assert time.monotonic() - started < 2
        warnings = [r for r in caplog.records if r.name == "config.cache"]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert not cache.available
        private_redis.start()
        time.sleep(cache.retry_after + 0.1)
        cache.set("k", "x")
        assert cache.get("k") == "x"


def test_a_full_redis_is_a_cache_outage_not_an_error(private_redis):
    """GIVEN the shared Redis at maxmemory with noeviction (compose: Celery's queue is never evicted)
    WHEN the cache writes
    THEN the write is dropped (OOM is an outage), reads miss, and nothing raises."""
    import redis

    with site_on(private_redis.url):
        cache = caches["default"]
        raw = redis.Redis.from_url(private_redis.url)
        raw.config_set("maxmemory", "2mb")
        raw.config_set("maxmemory-policy", "noeviction")
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            for i in range(10_000):
                raw.set(f"fill:{i}", "x" * 4096)
        cache.set("k", "v")
        assert cache.get("k", "miss") == "miss"
        assert cache.add("once", 1) is True
        raw.close()


@pytest.mark.django_db
def test_a_send_while_the_broker_is_down_fails_fast_and_quietly(private_redis):
    """An upload's thumbnail task cannot be sent: False at once, no exception. A send made while Redis was up
    leaves nothing behind that waits for it (with task results on, the result pub/sub would retry ~20 s)."""
    from config.enqueue import send_quietly
    from ledger.tasks import make_thumbnail

    with site_on(private_redis.url):
        assert send_quietly(make_thumbnail, 1)  # nobody consumes this run's queue on the private Redis
        private_redis.kill()
        started = time.monotonic()
        assert [send_quietly(make_thumbnail, 1) for _ in range(5)] == [False] * 5
        assert time.monotonic() - started < 5


def test_with_redis_url_the_site_uses_the_resilient_cache_db_sessions_and_fast_failing_sends():
    """The production wiring (a subprocess with REDIS_URL set), not the test settings."""
    import json

    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; from config.celery import app; "
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], 'sessions': s.SESSION_ENGINE, "
        "'ignore_result': app.conf.task_ignore_result, 'retries': app.conf.task_publish_retry_policy['max_retries'], "
        "'connect': app.conf.broker_connection_timeout, "
        "'sweep': s.CELERY_BEAT_SCHEDULE['ledger-sweep-pending-photos']['task']}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.local", "REDIS_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    conf = json.loads(out.stdout.strip().splitlines()[-1])
    assert conf == {
        "cache": CACHE_BACKEND,
        "sessions": "django.contrib.sessions.backends.cached_db",
        "ignore_result": True,
        "retries": 1,
        "connect": 2,
        "sweep": "ledger.sweep_pending_photos",
    }
