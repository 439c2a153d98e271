"""Jobs through real Celery workers on Redis: SIGKILL mid-job, the reaper, max attempts, enqueue on commit."""

from __future__ import annotations

import hashlib
import signal
import time
import zipfile
from pathlib import Path

import pytest
from celery.signals import task_prerun
from django.conf import settings
from django.db import transaction

from jobs import services
from jobs.models import Job, JobStatus
from ledger.jobs import ZIP
from tests.conftest import SERVICE_NOTES

from .conftest import build_year, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DOSSIERS = 300


def _job(pk: int) -> Job:
    return Job.objects.get(pk=pk)


def _kill_mid_job(proc, job_pk: int, attempt: int) -> int:
    """Wait until the worker is well into `attempt` of the job, then SIGKILL it; returns the progress it reached."""

    def mid_job():
        job = _job(job_pk)
        return job.status == JobStatus.RUNNING and job.attempt == attempt and 10 <= job.progress < 90 and job

    try:
        job = wait_for(mid_job, timeout=60, what=f"attempt {attempt} to be half-way")
    except AssertionError:
        raise AssertionError(Path(proc.log_path).read_text(errors="replace")[-3000:]) from None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return job.progress


def _reap_after_heartbeat_stops(job_pk: int) -> dict[str, int]:
    """The heartbeat of a killed worker stops: after JOBS_HEARTBEAT_TIMEOUT the reaper acts on it."""
    beat = _job(job_pk).heartbeat_at
    time.sleep(0.5)
    assert _job(job_pk).heartbeat_at == beat, "a killed worker still beats"
    assert services.job_reap() == {"requeued": 0, "failed": 0, "resent": 0, "expired": 0}, "reaped before the timeout"
    time.sleep(settings.JOBS_HEARTBEAT_TIMEOUT + 0.5)
    return services.job_reap()


def test_sigkilled_zip_job_is_requeued_by_the_reaper_and_completes_once(world, worker_process):
    """GIVEN the annual ZIP of 300 dossiers running in a real worker process
    WHEN the worker is SIGKILLed half-way, the reaper runs and a new worker starts
    THEN the job completes once, on attempt 2, with one result file whose SHA-256 is the stored one."""
    campaign, _events = build_year(world, dossiers=DOSSIERS)
    first = worker_process()
    started = time.monotonic()
    job = services.job_start(
        kind=ZIP, user=world.user("a_office"), organization=world.unit_a, params={"campaign": campaign.pk, "year": 2026}
    )
    reached = _kill_mid_job(first, job.pk, attempt=1)
    assert _job(job.pk).status == JobStatus.RUNNING  # nobody else ends it: the heartbeat must

    assert _reap_after_heartbeat_stops(job.pk) == {"requeued": 1, "failed": 0, "resent": 0, "expired": 0}
    assert _job(job.pk).status in {JobStatus.QUEUED, JobStatus.RUNNING}
    # A second reaper finds nothing to do.
    assert services.job_reap() == {"requeued": 0, "failed": 0, "resent": 0, "expired": 0}

    second = worker_process()
    wait_for(lambda: _job(job.pk).status == JobStatus.DONE, timeout=120, interval=0.2, what="the job to finish")
    elapsed = time.monotonic() - started
    job = _job(job.pk)
    assert job.attempt == 2 and job.progress == 100 and not job.error
    assert job.result_name == "甲单位-2026年度台账档案.zip"
    stored = Path(job.result.path)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == job.result_sha256
    assert stored.stat().st_size == job.result_size
    assert sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "jobs").rglob("*") if p.is_file()) == [stored.name]
    with zipfile.ZipFile(stored) as zf:
        assert zf.testzip() is None
        sums = zf.read("SHA256SUMS").decode().splitlines()
        assert len([n for n in zf.namelist() if n.startswith("2026年/")]) == DOSSIERS
        assert len(sums) == DOSSIERS + 2  # the files, the workbook and index.html
    assert second.poll() is None
    SERVICE_NOTES.append(
        f"jobs: ZIP of {DOSSIERS} dossiers SIGKILLed at {reached}% of attempt 1, requeued by the reaper, "
        f"completed on attempt 2 ({job.result_size} bytes) in {elapsed:.1f} s overall"
    )


def test_job_killed_more_often_than_max_attempts_ends_failed_with_the_message(world, worker_process):
    campaign, _events = build_year(world, dossiers=DOSSIERS)
    job = services.job_start(
        kind=ZIP, user=world.user("a_office"), organization=world.unit_a, params={"campaign": campaign.pk, "year": 2026}
    )
    Job.objects.filter(pk=job.pk).update(max_attempts=2)

    _kill_mid_job(worker_process(), job.pk, attempt=1)
    assert _reap_after_heartbeat_stops(job.pk)["requeued"] == 1
    _kill_mid_job(worker_process(), job.pk, attempt=2)
    assert _reap_after_heartbeat_stops(job.pk) == {"requeued": 0, "failed": 1, "resent": 0, "expired": 0}

    job = _job(job.pk)
    assert job.status == JobStatus.FAILED and job.attempt == 2
    assert job.error == "后台进程中断，请重试"
    assert job.finished_at is not None and not job.result
    assert not (Path(settings.MEDIA_ROOT) / "jobs").exists()


def test_job_started_in_a_transaction_that_rolls_back_is_never_delivered(world, celery_worker, broker):
    """GIVEN a real worker WHEN job_start runs inside a transaction that rolls back, then another job commits
    THEN the worker receives only the committed job's task (tasks run in order, so the first would have come first)."""
    campaign, _events = build_year(world, dossiers=3, file_bytes=100)
    received: list[int] = []

    def record(sender=None, task_id=None, task=None, args=None, **kw):
        if sender is not None and sender.name == "jobs.tasks.run_job":
            received.append(args[0])

    task_prerun.connect(record, weak=False)
    try:
        params = {"campaign": campaign.pk, "year": 2026}
        with pytest.raises(RuntimeError), transaction.atomic():
            ghost = services.job_start(kind=ZIP, user=world.user("a_admin"), organization=world.unit_a, params=params)
            raise RuntimeError("保存失败，整个事务回滚")
        assert not Job.objects.filter(pk=ghost.pk).exists()
        job = services.job_start(kind=ZIP, user=world.user("a_office"), organization=world.unit_a, params=params)
        wait_for(lambda: _job(job.pk).status == JobStatus.DONE, timeout=60, interval=0.1, what="the committed job")
        time.sleep(0.5)
    finally:
        task_prerun.disconnect(record)
    assert received == [job.pk]
