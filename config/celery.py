"""The one Celery app. Tasks live in each app's tasks.py and are found by autodiscovery."""

from __future__ import annotations

import datetime
import os
from fnmatch import fnmatchcase
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

DEFAULT_VISIBILITY_TIMEOUT = 60 * 60


class DelayTooLong(ValueError):
    """A countdown or ETA longer than the broker's visibility timeout: Redis would deliver it again and again."""


def check_delay(app: Celery, *, countdown: float | None = None, eta: datetime.datetime | str | None = None) -> None:
    """Refuse a countdown/ETA past the visibility timeout; far-future work belongs in a database row."""
    limit = (app.conf.broker_transport_options or {}).get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
    delay = 0.0
    if countdown is not None:
        delay = float(countdown)
    if eta is not None:
        when = datetime.datetime.fromisoformat(eta) if isinstance(eta, str) else eta
        now = datetime.datetime.now(tz=when.tzinfo or datetime.UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        delay = max(delay, (when - now).total_seconds())
    if delay >= limit:
        raise DelayTooLong(
            f"countdown/eta of {delay:.0f} s is not shorter than the visibility timeout ({limit} s); "
            "keep far-future work in a database row and let beat pick it up"
        )


class GuardedTask(DjangoTask):
    """Every task of the project: delay_on_commit from Django's task class, and the countdown guard."""

    def apply_async(
        self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, shadow=None, **options
    ):
        check_delay(self._get_app(), countdown=options.get("countdown"), eta=options.get("eta"))
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow, **options)


def route_by_purpose(name: str, args: Any, kwargs: Any, options: dict, task: Any = None, **kw: Any) -> dict | None:
    """Route a task to its purpose's queue (settings.TASK_ROUTE_PURPOSES); an explicit queue= still wins."""
    from django.conf import settings

    for pattern, purpose in settings.TASK_ROUTE_PURPOSES.items():
        if fnmatchcase(name, pattern):
            return {"queue": settings.TASK_QUEUES[purpose]}
    return None


app = Celery("wenming", task_cls="config.celery:GuardedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _worker_ready(sender: Any = None, **kwargs: Any) -> None:
    from config import worker_watchdog

    worker_watchdog.start(sender)


worker_ready.connect(_worker_ready, weak=False)
