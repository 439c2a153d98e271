"""Celery settings the jobs rely on: visibility timeout above every task, no long countdowns, queues and routes."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import DelayTooLong, app, route_by_purpose
from jobs.tasks import reap_jobs, run_job

ROOT = Path(settings.BASE_DIR)
PURPOSES = {"default", "pdf", "ocr", "notify"}


def _visibility() -> int:
    return app.conf.broker_transport_options["visibility_timeout"]


def test_visibility_timeout_is_set_for_broker_and_result_backend_above_every_task():
    visibility = _visibility()
    assert app.conf.result_backend_transport_options["visibility_timeout"] == visibility
    app.loader.import_default_modules()
    tasks = {name: t for name, t in app.tasks.items() if not name.startswith("celery.")}
    assert "jobs.tasks.run_job" in tasks and "ledger.tasks.make_thumbnail" in tasks
    for name, task in tasks.items():
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        assert hard and soft and soft < hard, f"{name}: time limits {soft}/{hard}"
        assert hard < visibility, f"{name}: may run {hard} s, longer than the visibility timeout {visibility} s"
    assert run_job.acks_late and run_job.reject_on_worker_lost


@pytest.mark.parametrize(
    "options",
    [
        {"countdown": 3 * 60 * 60},
        {"eta": datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=7)},
        {"eta": (datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=3)).isoformat()},
    ],
    ids=["countdown", "eta", "eta-string"],
)
@pytest.mark.django_db
def test_no_task_may_be_scheduled_past_the_visibility_timeout(options):
    with pytest.raises(DelayTooLong, match="visibility timeout"):
        reap_jobs.apply_async(**options)
    with pytest.raises(DelayTooLong):
        run_job.s(1).apply_async(**options)


@pytest.mark.django_db
def test_a_short_countdown_is_allowed():
    assert _visibility() > 60
    # Eager under the test settings: the reaper simply runs (no job is stalled).
    assert reap_jobs.apply_async(countdown=30).get() == {"requeued": 0, "failed": 0, "resent": 0, "expired": 0}


def test_no_code_passes_a_literal_countdown_longer_than_the_visibility_timeout():
    """A second guard, on the source: every literal countdown=/eta offset in the apps is shorter."""
    visibility = _visibility()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        for m in re.finditer(r"countdown\s*=\s*([0-9_]+(?:\s*\*\s*[0-9_]+)*)", path.read_text(encoding="utf-8")):
            seconds = eval(m.group(1).replace("_", ""), {"__builtins__": {}})  # digits and * only
            assert seconds < visibility, f"{path}: countdown {seconds} s ≥ visibility timeout {visibility} s"


def test_tasks_are_routed_by_purpose_and_jobs_by_kind():
    assert set(settings.TASK_QUEUES) == PURPOSES
    assert route_by_purpose("notifications.tasks.send_outbox", (), {}, {}) == {"queue": settings.TASK_QUEUES["notify"]}
    assert route_by_purpose("ledger.tasks.render_archive_pdf", (), {}, {}) == {"queue": settings.TASK_QUEUES["pdf"]}
    assert route_by_purpose("ledger.tasks.make_thumbnail", (), {}, {}) is None  # the default queue
    assert set(settings.TASK_ROUTE_PURPOSES.values()) <= PURPOSES
    # The settings wire the router into Celery; an explicit queue (a job kind's) still wins.
    router = app.amqp.router
    assert router.route({}, "notifications.tasks.send_outbox")["queue"].name == settings.TASK_QUEUES["notify"]
    assert router.route({"queue": "pdf"}, "jobs.tasks.run_job")["queue"].name == "pdf"


def test_workers_consume_every_queue_and_beat_runs_the_reaper():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    make_lines = [line for line in makefile.splitlines() if "celery -A config worker" in line]
    assert len(make_lines) == 1
    queues = re.search(r"-Q\s+(\S+)", make_lines[0])
    assert queues and set(queues.group(1).split(",")) == PURPOSES, make_lines[0]
    # compose: the photo checks' OCR on a worker of its own, one photo at a time; the other queues on the main one.
    consumed: dict[str, set[str]] = {}
    for name in ("worker", "ocr-worker"):
        queues = re.search(r"-Q\s+(\S+)", compose["services"][name]["command"])
        assert queues, name
        consumed[name] = set(queues.group(1).split(","))
    assert consumed["worker"] | consumed["ocr-worker"] == PURPOSES
    assert consumed["ocr-worker"] == {"ocr"} and "ocr" not in consumed["worker"]
    assert "--concurrency 1" in compose["services"]["ocr-worker"]["command"]
    entry = settings.CELERY_BEAT_SCHEDULE["jobs-reap"]
    assert entry["task"] == "jobs.tasks.reap_jobs" and entry["schedule"] == 60.0
    assert entry["schedule"] < settings.JOBS_HEARTBEAT_TIMEOUT * 60
