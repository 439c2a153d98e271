"""Sending a task from a web request without letting a broker outage fail the request.

The work a request hands to the worker (thumbnails and photo checks after an upload, an immediate refresh) is
recorded in rows first; the task only says "do it now". When Redis is down the send fails fast (the publish retry
policy in settings) and is logged — once a minute per process, not once per upload — and a beat sweep sends
it again later (ledger.tasks.sweep_pending_photos, jobs.tasks.reap_jobs). With tasks in-process (`make run`, the
test suite) errors still propagate, so a broken task is never hidden.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings

from config.celery import DelayTooLong

logger = logging.getLogger(__name__)

LOG_INTERVAL = 60.0
# After a failed send, the next ones in this process give up at once for this long: a broker that hangs (rather
# than refusing) would otherwise cost every upload the connect timeout again.
RETRY_AFTER = 2.0
_lock = threading.Lock()
_logged_at: dict[str, float] = {}
_down_until = 0.0
failures = 0  # sends that failed (or were skipped) in this process


def send_quietly(task: Any, *args: Any, **kwargs: Any) -> bool:
    """`task.delay(*args, **kwargs)`; False (logged, throttled) when the broker cannot be reached."""
    global failures, _down_until
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    if not eager and time.monotonic() < _down_until:
        failures += 1
        return False
    try:
        task.delay(*args, **kwargs)
        return True
    except DelayTooLong:
        raise
    except Exception as exc:
        if eager:
            raise
        now = time.monotonic()
        with _lock:
            failures += 1
            _down_until = now + RETRY_AFTER
            quiet = now - _logged_at.get(task.name, float("-inf")) < LOG_INTERVAL
            if not quiet:
                _logged_at[task.name] = now
        if not quiet:
            logger.warning(
                "could not send %s (%s: %s); the beat sweep sends it again. Logged at most once a minute.",
                task.name,
                type(exc).__name__,
                exc,
            )
        return False
