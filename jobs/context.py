"""What a running handler holds: its job row, and the only way to write progress on it."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from .models import Job, JobStatus

logger = logging.getLogger(__name__)


class JobStopped(Exception):
    """This run no longer owns the job (cancelled, or the reaper gave it to another attempt): stop quietly."""


class JobError(Exception):
    """A failure the user should read: its message (Chinese) becomes the job's error."""


class JobContext:
    """Progress and heartbeat for one attempt of one job.

    Every write is conditional on (status 运行中, this attempt): a run that lost its claim writes nothing and
    is told to stop (`JobStopped`), so two runs can never both finish the same job.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.attempt = job.attempt
        self._last_write = 0.0
        self._interval = float(settings.JOBS_PROGRESS_INTERVAL)

    @property
    def params(self) -> dict:
        return self.job.params

    def _owned(self):
        return Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING, attempt=self.attempt)

    def _stop(self) -> None:
        status = Job.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
        reason = "已取消" if status == JobStatus.CANCELLED else "已由另一进程接手"
        raise JobStopped(reason)

    def progress(self, pct: float, step: str = "", *, force: bool = False) -> None:
        """Record progress (0–100) and the current step; writes at most every JOBS_PROGRESS_INTERVAL seconds."""
        pct_int = max(0, min(100, int(pct)))
        now = time.monotonic()
        if not force and pct_int < 100 and now - self._last_write < self._interval:
            return
        self._last_write = now
        updated = self._owned().update(progress=pct_int, step=step[:200], heartbeat_at=timezone.now())
        if not updated:
            self._stop()
        self.job.progress, self.job.step = pct_int, step[:200]

    def heartbeat(self) -> None:
        if not self._owned().update(heartbeat_at=timezone.now()):
            self._stop()

    def is_cancelled(self) -> bool:
        """True when this run should stop: the job was cancelled or is no longer this attempt's."""
        return not self._owned().exists()


class HeartbeatThread(threading.Thread):
    """Beats for a run while its handler is busy in one long step, so only a dead process stops the heartbeat."""

    def __init__(self, job_id: int, attempt: int, interval: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.attempt, self.interval = job_id, attempt, interval
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                close_old_connections()
                try:
                    Job.objects.filter(pk=self.job_id, status=JobStatus.RUNNING, attempt=self.attempt).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    logger.warning("heartbeat of job %s failed; trying again", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)
