"""Every write on a job row: start, claim, run, finish, cancel, retry, reap.

State changes are conditional UPDATEs (`… WHERE status = … AND attempt = …`): whoever updates the row owns the
change, so two reapers, a redelivered task or a retry pressed twice never run a job twice at once.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from organizations.history import acting_as
from organizations.models import Organization, User

from .context import HeartbeatThread, JobContext, JobError, JobStopped
from .models import Job, JobStatus
from .registry import JobResult, get_kind

logger = logging.getLogger(__name__)

REAPED_MESSAGE = "后台进程中断，请重试"
TIMEOUT_MESSAGE = "任务运行超过时限，已停止，请缩小范围后重试"
BROKER_DOWN_STEP = "后台服务暂时不可用，恢复后将自动开始"
INTERNAL_MESSAGE = "生成时出现内部错误，请重试；如仍失败，请联系管理员（任务编号 {pk}）"


# ------------------------------------------------------------------------------
# Enqueueing
# ------------------------------------------------------------------------------
def _enqueue(job_id: int, queue: str) -> None:
    """Send the task (ids only). A broker that is down leaves the row 排队中: the reaper sends it again."""
    from .tasks import run_job

    try:
        run_job.apply_async(args=[job_id], queue=settings.TASK_QUEUES.get(queue, settings.CELERY_TASK_DEFAULT_QUEUE))
    except Exception as exc:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.warning("could not enqueue job %s (%s: %s); the reaper sends it again", job_id, type(exc).__name__, exc)
        # Due at the reaper's next run rather than after JOBS_QUEUED_RESEND_AFTER: the message surely never left,
        # so the broker being back (beat can send the reaper again) is enough. The page says why it waits.
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            heartbeat_at=timezone.now() - datetime.timedelta(seconds=settings.JOBS_QUEUED_RESEND_AFTER + 1),
            step=BROKER_DOWN_STEP,
        )


def _enqueue_on_commit(job: Job) -> None:
    queue = get_kind(job.kind).queue
    job_id = job.pk
    transaction.on_commit(lambda: _enqueue(job_id, queue))


@transaction.atomic
def job_start(
    *, kind: str, user: User | None, organization: Organization, params: dict | None = None, title: str = ""
) -> Job:
    """Record a job 排队中 and send it to a worker once the surrounding transaction commits (never if it rolls back).

    The same user starting the same kind with the same parameters while one is still queued or running gets
    that job back instead of a second one (a button pressed twice).
    """
    job_kind = get_kind(kind)
    params = params or {}
    if user is not None:
        pending = Job.objects.filter(
            kind=kind, started_by=user, params=params, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).first()
        if pending is not None:
            return pending
    job = Job.objects.create(
        kind=kind,
        started_by=user,
        organization=organization,
        params=params,
        title=(title or job_kind.label)[:200],
        max_attempts=job_kind.max_attempts,
        heartbeat_at=timezone.now(),
    )
    _enqueue_on_commit(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job, user: User | None = None) -> Job:
    """Cancel a job that has not started; a running or finished job cannot be cancelled."""
    updated = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), step="已取消"
    )
    if not updated:
        raise ValidationError("只能取消排队中的任务；该任务已开始运行或已结束。")
    job.refresh_from_db()
    return job


@transaction.atomic
def job_retry(*, job: Job, user: User | None = None) -> Job:
    """Queue a failed job again with a fresh budget of attempts."""
    budget = get_kind(job.kind).max_attempts
    updated = Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED,
        progress=0,
        step="",
        error="",
        max_attempts=F("attempt") + budget,
        heartbeat_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    if not updated:
        raise ValidationError("只有失败的任务可以重试。")
    job.refresh_from_db()
    _enqueue_on_commit(job)
    return job


# ------------------------------------------------------------------------------
# Running (called by jobs.tasks.run_job)
# ------------------------------------------------------------------------------
def job_claim(*, job_id: int) -> Job | None:
    """Take a queued job for this process: 排队中 → 运行中 with attempt + 1. None if someone else has it."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, attempt__lt=F("max_attempts")).update(
        status=JobStatus.RUNNING,
        attempt=F("attempt") + 1,
        started_at=now,
        heartbeat_at=now,
        progress=0,
        step="开始",
        error="",
    )
    if not updated:
        return None
    return Job.objects.get(pk=job_id)


def _store_result(job: Job, result: JobResult) -> tuple[str, int, str]:
    """Save the result under jobs/… with the default storage; returns (stored name, size, sha256)."""
    digest = hashlib.sha256()
    if result.content is not None:
        digest.update(result.content)
        size = len(result.content)
        name = job.result.field.generate_filename(job, result.filename)
        stored = job.result.storage.save(name, ContentFile(result.content))
    else:
        path = Path(result.path)
        size = path.stat().st_size
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        name = job.result.field.generate_filename(job, result.filename)
        try:
            with path.open("rb") as fh:
                stored = job.result.storage.save(name, File(fh))
        finally:
            os.unlink(path)
    return stored, size, digest.hexdigest()


def _fail(job: Job, attempt: int, message: str) -> bool:
    return bool(
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempt=attempt).update(
            status=JobStatus.FAILED, error=message, finished_at=timezone.now()
        )
    )


def job_run(*, job_id: int, heartbeat_thread: bool = True) -> str:
    """Claim the job, run its handler, store the file and mark it 已完成 (or 失败 with a Chinese reason).

    Returns what happened: "done", "failed", "stopped" (lost its claim or was cancelled) or "skipped" (not claimable).
    """
    job = job_claim(job_id=job_id)
    if job is None:
        return "skipped"
    attempt = job.attempt
    try:
        kind = get_kind(job.kind)
    except LookupError:
        _fail(job, attempt, f"未知的任务类型“{job.kind}”，请联系管理员")
        return "failed"
    ctx = JobContext(job)
    beat = None
    if heartbeat_thread:
        beat = HeartbeatThread(job.pk, attempt, float(settings.JOBS_HEARTBEAT_TIMEOUT) / 4)
        beat.start()
    try:
        try:
            # Whatever a job writes is recorded in the history as written by whoever started it.
            with acting_as(job.started_by):
                result = kind.handler(ctx)
        finally:
            if beat is not None:
                beat.stop()
        ctx.progress(99, "正在保存结果文件", force=True)
        stored, size, sha256 = _store_result(job, result)
    except JobStopped as exc:
        logger.info("job %s attempt %s stopped: %s", job.pk, attempt, exc)
        return "stopped"
    except JobError as exc:
        _fail(job, attempt, str(exc)[:1000])
        return "failed"
    except SoftTimeLimitExceeded:
        _fail(job, attempt, TIMEOUT_MESSAGE)
        return "failed"
    except Exception:
        logger.exception("job %s (%s) attempt %s failed", job.pk, job.kind, attempt)
        _fail(job, attempt, INTERNAL_MESSAGE.format(pk=job.pk))
        return "failed"

    finished = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempt=attempt).update(
        status=JobStatus.DONE,
        progress=100,
        step="已完成",
        result=stored,
        result_name=result.filename[:200],
        result_size=size,
        result_sha256=sha256,
        finished_at=timezone.now(),
    )
    if not finished:
        # Another attempt owns the job now: this file is nobody's.
        job.result.storage.delete(stored)
        return "stopped"
    return "done"


# ------------------------------------------------------------------------------
# The reaper
# ------------------------------------------------------------------------------
def job_reap(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """End every 运行中 job whose heartbeat stopped: requeue it while attempts remain, else 失败.

    Also sends again a 排队中 job whose message was lost (the broker was down when it was started), and deletes
    result files older than JOBS_RESULT_RETENTION_DAYS.
    Safe to run in two processes at once: each row changes for exactly one of them.
    """
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOBS_HEARTBEAT_TIMEOUT)
    counts = {"requeued": 0, "failed": 0, "resent": 0, "expired": 0}
    for pk, attempt, max_attempts, kind in Job.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=stale
    ).values_list("pk", "attempt", "max_attempts", "kind"):
        row = Job.objects.filter(pk=pk, status=JobStatus.RUNNING, attempt=attempt, heartbeat_at__lt=stale)
        if attempt < max_attempts:
            with transaction.atomic():
                if row.update(
                    status=JobStatus.QUEUED,
                    heartbeat_at=now,
                    step=f"后台进程中断，正在重新排队（已尝试 {attempt} 次，最多 {max_attempts} 次）",
                ):
                    counts["requeued"] += 1
                    queue = get_kind(kind).queue if kind in _known_kinds() else "default"
                    transaction.on_commit(lambda pk=pk, queue=queue: _enqueue(pk, queue))
        elif row.update(status=JobStatus.FAILED, error=REAPED_MESSAGE, finished_at=now):
            counts["failed"] += 1
    resend_before = now - datetime.timedelta(seconds=settings.JOBS_QUEUED_RESEND_AFTER)
    for pk, kind in Job.objects.filter(status=JobStatus.QUEUED, heartbeat_at__lt=resend_before).values_list(
        "pk", "kind"
    ):
        if Job.objects.filter(pk=pk, status=JobStatus.QUEUED, heartbeat_at__lt=resend_before).update(heartbeat_at=now):
            counts["resent"] += 1
            _enqueue(pk, get_kind(kind).queue if kind in _known_kinds() else "default")
    # Result files are kept JOBS_RESULT_RETENTION_DAYS (an annual ZIP can be gigabytes); the row stays as a record.
    expire_before = now - datetime.timedelta(days=settings.JOBS_RESULT_RETENTION_DAYS)
    for pk, name in (
        Job.objects.filter(status=JobStatus.DONE, finished_at__lt=expire_before)
        .exclude(result="")
        .values_list("pk", "result")
    ):
        if Job.objects.filter(pk=pk, result=name).update(result=""):
            Job.result.field.storage.delete(name)
            counts["expired"] += 1
    return counts


def _known_kinds() -> set[str]:
    from .registry import kinds

    return set(kinds())


def job_reap_if_due() -> dict[str, int] | None:
    """The reaper for `make run` (tasks in-process, no beat): at most once a minute, from the jobs pages."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    if not cache.add(f"{settings.REDIS_KEY_PREFIX}jobs:reaped", 1, timeout=60):
        return None
    return job_reap()
