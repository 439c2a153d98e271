"""Job services: claim, run, progress, the reaper, max attempts, cancel, retry (through the real database)."""

from __future__ import annotations

import datetime
import hashlib
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from jobs import services
from jobs.context import JobContext, JobError, JobStopped
from jobs.models import Job, JobStatus
from jobs.registry import JobResult, get_kind, register
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


def _echo(ctx: JobContext) -> JobResult:
    """A test kind: reports progress in steps and returns the bytes it was asked for."""
    CALLS.append(dict(ctx.params))
    for i in range(1, 5):
        ctx.progress(i * 25, f"第 {i}/4 步", force=True)
    if ctx.params.get("fail") == "user":
        raise JobError("所选年度没有档案，无法生成。")
    if ctx.params.get("fail") == "bug":
        raise KeyError("internal detail")
    return JobResult(filename="结果.txt", content=ctx.params.get("text", "你好").encode())


register("test_echo", _echo, label="测试任务", max_attempts=2)


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def _start(world, **params) -> Job:
    return services.job_start(kind="test_echo", user=world.user("a_office"), organization=world.unit_a, params=params)


def _stale(job: Job, *, attempt: int, seconds: float = 3600) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempt=attempt, heartbeat_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


def test_start_records_the_row_and_enqueues_only_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _start(world, text="甲")
    assert job.status == JobStatus.QUEUED and job.attempt == 0 and job.max_attempts == 2
    assert job.title == "测试任务" and job.organization == world.unit_a
    assert len(callbacks) == 1 and CALLS == []
    callbacks[0]()  # the commit: the task runs (in-process under the test settings)
    job.refresh_from_db()
    assert CALLS == [{"text": "甲"}]
    assert job.status == JobStatus.DONE and job.attempt == 1 and job.progress == 100
    assert job.result.read() == "甲".encode()
    assert job.result_sha256 == hashlib.sha256("甲".encode()).hexdigest() and job.result_size == 3
    assert job.result.name.startswith("jobs/") and "结果" not in job.result.name
    assert job.result_name == "结果.txt" and job.started_at and job.finished_at


def test_the_same_export_started_twice_while_pending_is_one_job(world):
    first = _start(world, text="甲")
    assert _start(world, text="甲") == first
    assert _start(world, text="乙") != first


def test_claim_is_taken_once(world):
    job = _start(world)
    claimed = services.job_claim(job_id=job.pk)
    assert claimed is not None and claimed.status == JobStatus.RUNNING and claimed.attempt == 1
    assert services.job_claim(job_id=job.pk) is None  # a redelivered or duplicate message
    assert services.job_run(job_id=job.pk) == "skipped"
    assert Job.objects.get(pk=job.pk).attempt == 1 and CALLS == []


def test_a_run_that_lost_its_claim_writes_nothing_and_stops(world):
    job = services.job_claim(job_id=_start(world).pk)
    ctx = JobContext(job)
    ctx.progress(10, "开始", force=True)
    # The reaper gave the job to attempt 2 meanwhile.
    Job.objects.filter(pk=job.pk).update(attempt=2, progress=3)
    assert ctx.is_cancelled()
    with pytest.raises(JobStopped):
        ctx.progress(50, "旧进程", force=True)
    assert Job.objects.get(pk=job.pk).progress == 3


def test_handler_errors_end_the_job_failed_with_a_chinese_message(world):
    job = _start(world, fail="user")
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "所选年度没有档案，无法生成。" and not job.result
    job = _start(world, fail="bug")
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and f"任务编号 {job.pk}" in job.error and "KeyError" not in job.error


def test_reaper_requeues_a_stalled_job_and_leaves_a_live_one(world, django_capture_on_commit_callbacks):
    stalled, live = _start(world, n=1), _start(world, n=2)
    _stale(stalled, attempt=1)
    _stale(live, attempt=1, seconds=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.job_reap() == {"requeued": 1, "failed": 0, "resent": 0, "expired": 0}
    stalled.refresh_from_db()
    live.refresh_from_db()
    assert stalled.status == JobStatus.QUEUED and stalled.attempt == 1 and "重新排队" in stalled.step
    assert live.status == JobStatus.RUNNING
    assert len(callbacks) == 1
    callbacks[0]()
    stalled.refresh_from_db()
    assert stalled.status == JobStatus.DONE and stalled.attempt == 2


def test_reaper_fails_a_job_out_of_attempts_with_the_message(world):
    job = _start(world)
    _stale(job, attempt=2)  # max_attempts is 2 for this kind
    assert services.job_reap() == {"requeued": 0, "failed": 1, "resent": 0, "expired": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "后台进程中断，请重试" and job.finished_at
    assert services.job_claim(job_id=job.pk) is None


def test_reaper_sends_again_a_queued_job_whose_message_was_lost(world, settings, django_capture_on_commit_callbacks):
    job = _start(world)
    Job.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=settings.JOBS_QUEUED_RESEND_AFTER + 1)
    )
    assert services.job_reap() == {"requeued": 0, "failed": 0, "resent": 1, "expired": 0}
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 1  # the resent task ran it (in-process here)
    assert services.job_reap()["resent"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_reapers_at_once_requeue_each_job_once(world, django_capture_on_commit_callbacks):
    """GIVEN 20 stalled jobs WHEN two reapers run at the same moment THEN each job is requeued by exactly one."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    jobs = [_start(world, n=i) for i in range(20)]
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(
        status=JobStatus.RUNNING, attempt=1, heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    barrier = threading.Barrier(2)
    results: list[dict] = []
    enqueued: list[int] = []

    def reaper():
        barrier.wait()
        try:
            results.append(services.job_reap())
        finally:
            connection.close()

    original = services._enqueue
    services._enqueue = lambda job_id, queue: enqueued.append(job_id)
    try:
        threads = [threading.Thread(target=reaper) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        services._enqueue = original
    assert sum(r["requeued"] for r in results) == 20
    assert sorted(enqueued) == sorted(j.pk for j in jobs)
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}


def test_cancel_only_while_queued(world):
    job = _start(world)
    services.job_cancel(job=job)
    assert job.status == JobStatus.CANCELLED and job.finished_at
    assert services.job_claim(job_id=job.pk) is None
    running = services.job_claim(job_id=_start(world, n=2).pk)
    with pytest.raises(ValidationError, match="只能取消排队中的任务"):
        services.job_cancel(job=running)
    assert Job.objects.get(pk=running.pk).status == JobStatus.RUNNING


def test_retry_after_failure_gives_new_attempts(world, django_capture_on_commit_callbacks):
    job = _start(world)
    _stale(job, attempt=2)
    services.job_reap()
    job.refresh_from_db()
    with pytest.raises(ValidationError):
        services.job_retry(job=_start(world, n=3))  # a queued job is not retried
    with django_capture_on_commit_callbacks(execute=True):
        services.job_retry(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempt == 3 and job.max_attempts == 4 and not job.error


def test_registry_refuses_a_second_handler_under_a_taken_name():
    assert get_kind("ledger_zip").label == "年度台账 ZIP 档案包"
    assert get_kind("ledger_workbook").queue == "default"
    register("test_echo", _echo, label="测试任务", max_attempts=2)  # the same handler again: fine
    with pytest.raises(ValueError, match="already registered"):
        register("test_echo", lambda ctx: None, label="别的")
    with pytest.raises(LookupError):
        get_kind("no_such_kind")


def test_eager_reaper_runs_from_the_pages_at_most_once_a_minute(world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from django.core.cache import cache

    cache.clear()
    job = _start(world)
    _stale(job, attempt=2)
    assert services.job_reap_if_due() == {"requeued": 0, "failed": 1, "resent": 0, "expired": 0}
    assert services.job_reap_if_due() is None
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.clear()
    assert services.job_reap_if_due() is None  # with a broker, beat runs the reaper


def _slow(ctx: JobContext) -> JobResult:
    """A test kind with one step longer than the heartbeat timeout and no progress call inside it."""
    import time

    from django.conf import settings

    time.sleep(settings.JOBS_HEARTBEAT_TIMEOUT + 1.5)
    return JobResult(filename="慢.txt", content=b"ok")


register("test_slow", _slow, label="慢任务")


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_in_one_long_step_keeps_beating_and_is_not_reaped(world, settings):
    """GIVEN a handler busy in one step longer than JOBS_HEARTBEAT_TIMEOUT WHEN the reaper runs meanwhile
    THEN the heartbeat thread has kept the row fresh: nothing is requeued and the job finishes on attempt 1."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    # A queued row as job_start leaves it (made directly: job_start's on_commit would run it in-process at once).
    job = JobFactory(kind="test_slow", started_by=world.user("a_office"), organization=world.unit_a, params={})
    reaped: list[dict] = []

    def reaper():
        import time

        time.sleep(settings.JOBS_HEARTBEAT_TIMEOUT + 0.7)
        try:
            reaped.append(services.job_reap())
        finally:
            connection.close()

    thread = threading.Thread(target=reaper)
    thread.start()
    assert services.job_run(job_id=job.pk, heartbeat_thread=True) == "done"
    thread.join(10)
    assert reaped == [{"requeued": 0, "failed": 0, "resent": 0, "expired": 0}]
    assert Job.objects.get(pk=job.pk).attempt == 1


def test_reaper_deletes_result_files_past_the_retention_and_keeps_the_row(world, settings):
    old, recent = _start(world, text="旧"), _start(world, text="新")
    for job in (old, recent):
        services.job_run(job_id=job.pk)
        job.refresh_from_db()
    old_path = old.result.path
    Job.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=settings.JOBS_RESULT_RETENTION_DAYS, minutes=1)
    )
    assert services.job_reap()["expired"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == JobStatus.DONE and not old.result and not old.has_result and old.result_sha256
    assert not Path(old_path).exists()
    assert recent.has_result and recent.result.read() == "新".encode()
    assert services.job_reap()["expired"] == 0
