"""A worker that stops consuming after a Redis outage exits, so its supervisor starts a fresh one.

Measured here (tests/config/test_load_faults_smoke.py, once in a full CI run): when Redis goes away while
the worker holds messages, Celery 5.7 / kombu 5.7 sometimes fail inside the consumer's restart ("Error on stopping
Hub: AttributeError 'NoneType' object has no attribute 'hostname'") and the worker never reconnects — it stays up,
consuming nothing, until it is restarted (the same family as celery/celery#8030). The worker's own main process
answers remote-control pings through the consumer, so a worker that does not answer its own ping while the broker
answers is such a worker.

With CELERY_WORKER_WATCHDOG=N (seconds, 0/unset = off) a thread in the worker's main process checks every few
seconds; after N seconds of no answer while the broker is reachable it logs why and exits with status 70.
docker compose (`restart: unless-stopped`) and systemd (`Restart=always`) start it again; acks_late and the jobs
reaper bring back what it held. Only for the prefork pool (the compose workers): with --pool solo the main process
is busy while a task runs and could not answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

EXIT_STATUS = 70


def seconds() -> float:
    try:
        return max(float(os.environ.get("CELERY_WORKER_WATCHDOG", "0") or 0), 0.0)
    except ValueError:
        return 0.0


def _broker_reachable(app: Any) -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def _answers(app: Any, hostname: str) -> bool:
    try:
        return bool(app.control.ping(destination=[hostname], timeout=3))
    except Exception:
        return False


def watch(app: Any, hostname: str, limit: float, *, exit_: Any = os._exit) -> None:
    """The watchdog loop (runs until it exits the process)."""
    silent_since: float | None = None
    step = min(max(limit / 4, 1.0), 15.0)
    while True:
        time.sleep(step)
        if not _broker_reachable(app):
            silent_since = None  # the broker is down: no consumer could answer, nothing to judge yet
            continue
        if _answers(app, hostname):
            silent_since = None
            continue
        silent_since = silent_since or time.monotonic()
        if time.monotonic() - silent_since >= limit:
            logger.critical(
                "worker %s has not answered its own ping for %.0f s while the broker answers: it stopped consuming "
                "(a Celery/kombu reconnect failure after a Redis outage); exiting so the supervisor restarts it",
                hostname,
                limit,
            )
            logging.shutdown()
            exit_(EXIT_STATUS)
            return


def start(sender: Any = None, **kwargs: Any) -> threading.Thread | None:
    """worker_ready handler: start the watchdog thread when CELERY_WORKER_WATCHDOG is set."""
    limit = seconds()
    if not limit or sender is None:
        return None
    thread = threading.Thread(
        target=watch, args=(sender.app, sender.hostname, limit), name="worker-watchdog", daemon=True
    )
    thread.start()
    logger.info("worker watchdog on: exits after %.0f s without answering its own ping", limit)
    return thread
