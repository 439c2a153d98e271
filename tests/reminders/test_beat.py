"""Two real `celery beat` processes and a real worker for two minutes: every reminder is sent exactly once.

Beat runs as its own process with the DatabaseScheduler (../shared/STACK-NOTES.md); both beats fire the reminder
run every two seconds for the same date, so the worker (two processes) runs it about a hundred times, often
two at once. The outbox's unique key is what keeps each (rule, object, recipient, channel, period) to one
notice and one email; a deadline moved half-way produces its new due-soon notices, once.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from dashboards.reminders import due_reminders
from notifications.models import Notice, Outbox, OutboxStatus
from tests.notifications.conftest import SmtpServer, free_port

from .conftest import D, build_town

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"
RUN_SECONDS = 120
day = datetime.timedelta(days=1)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL not set (with CI=true the suite refuses to start)"),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _pairs(today: datetime.date) -> set[tuple[str, int, int, str]]:
    return {(d.rule, d.obj.pk, u.pk, d.period) for d in due_reminders(today) for u in d.recipients}


def _queue_length() -> int:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def test_two_beats_for_two_minutes_send_each_reminder_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("beat and worker subprocesses need the PostgreSQL test database")
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    town = build_town("bt")
    town.task(due_date=D - day)  # overdue
    town.task(due_date=D - 5 * day)  # overdue: the 创建办 hears of it too
    moved = town.task(due_date=D + 3 * day)  # due soon; its deadline moves half-way
    town.task(due_date=D + 1 * day, lead_units=[town.office_dept], cooperating_units=[town.credit_dept])
    before = _pairs(D)
    every = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="提醒（测试，每 2 秒）",
        task="dashboards.send_reminders",
        interval=every,
        kwargs=json.dumps({"date": str(D)}),
    )
    smtp = SmtpServer(port=free_port())
    smtp.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "WENMING_TEST_BROKER": "1",
        "WENMING_TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    celery = [str(CELERY), "-A", "config"]
    procs: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}

    def start(name: str, args: list[str]) -> None:
        logs[name] = tmp_path / f"{name}.log"
        procs[name] = subprocess.Popen(
            [*celery, *args], cwd=ROOT, env=env, stdout=logs[name].open("wb"), stderr=subprocess.STDOUT
        )

    try:
        start(
            "worker",
            [
                "worker",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--concurrency=2",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"reminders-test-{settings.TEST_RUN_ID}@%h",
            ],
        )
        for n in (1, 2):
            start(
                f"beat{n}",
                [
                    "beat",
                    "-S",
                    "django_celery_beat.schedulers:DatabaseScheduler",
                    "--max-interval=1",
                    f"--pidfile={tmp_path / f'beat{n}.pid'}",
                    "-l",
                    "INFO",
                ],
            )
        started = time.monotonic()
        time.sleep(RUN_SECONDS / 2)
        moved.due_date = D + 7 * day  # the old due-3 is no longer due; the new deadline's due-7 is
        moved.save(update_fields=["due_date"])
        after = _pairs(D)
        time.sleep(max(0.0, RUN_SECONDS - (time.monotonic() - started)))
    finally:
        for name in ("beat1", "beat2"):
            if name in procs and procs[name].poll() is None:
                procs[name].send_signal(signal.SIGTERM)
        drain_until = time.monotonic() + 60
        while "worker" in procs and time.monotonic() < drain_until and _queue_length():
            time.sleep(0.5)
        time.sleep(3)
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()

    worker_log = logs["worker"].read_text(errors="replace")
    runs = worker_log.count("Task dashboards.send_reminders[")
    succeeded = [line for line in worker_log.splitlines() if "send_reminders[" in line and "succeeded" in line]
    for n in (1, 2):
        assert "Sending due task 提醒（测试，每 2 秒）" in logs[f"beat{n}"].read_text(errors="replace"), f"beat{n}"
    assert len(succeeded) >= 60, (runs, worker_log[-3000:])
    assert "Traceback" not in worker_log, worker_log[-3000:]

    expected = before | after
    assert f"due-{D + 3 * day}:3" in {p for _, _, _, p in before} and (before - after)
    in_app = Outbox.objects.filter(channel="in_app")
    got = {(r.rule, int(r.object_id), r.recipient_id, r.period) for r in in_app}
    assert got == expected
    assert in_app.count() == len(expected) == Notice.objects.count()
    emails = Outbox.objects.filter(channel="email")
    assert emails.count() == 2 and set(emails.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == sorted([town.office.email, town.leader.email]), (
        smtp.messages
    )
