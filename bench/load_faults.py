"""Load and faults (issue 16 item 4): the site under 20 clients, then with Redis down, then with the worker killed.

    nice -n 5 .venv/bin/python bench/load_faults.py                     # 3 phases × 60 s, 20 clients
    .venv/bin/python bench/load_faults.py --duration 8 --clients 4 --quick   # a smoke run (~1 min)
    .venv/bin/python bench/load_faults.py --rebuild                     # migrate and seed the template again

Everything is on 127.0.0.1 and started by this script, and stopped by it on exit (Ctrl+C too):

- PostgreSQL database `wenming_load_<pid>` (dropped at the end), copied from the template `wenming_load_template`
  (migrated and seeded with `manage.py seed_demo` once; `--rebuild` makes it again), media copied likewise;
- a PRIVATE redis-server on a free port (the shared 6379 is never touched) — cache, sessions, broker;
- gunicorn, 2 sync workers, config.settings.production (DEBUG off, manifest static files) over plain http
  (the secure-cookie and HTTPS-redirect settings off), OCR off (seconds of CPU per photo on a shared 2-core box;
  the other photo checks and the thumbnails run);
- a Celery worker on all queues (prefork, 2 processes) and Celery beat (the sweeps: jobs-reap every 60 s, the
  photo sweep every EVIDENCE_SWEEP_INTERVAL; the bench sets the sweep/reaper delays to seconds, see BENCH_ENV).

Clients are threads with a requests.Session each, logged in as the demo liaisons and office staff, doing a mix of
dashboard, ledger list, task list, dossier page, 1 MB photo upload (a distinct JPEG each time), dossier submission
and task progress report. Phases, each `--duration` seconds:

1. baseline;
2. redis: Redis SIGKILLed at 1/3 of the phase, started again (empty) at 2/3; an export job is started while down;
3. worker: the Celery worker's process group SIGKILLed at 1/3, started again at 2/3; a ZIP export is started
   while it is down.

After each fault phase the script waits (bounded) until every upload of the phase has its thumbnail and photo
check and the jobs are done, and records how long that took after the fault ended. Finally every uploaded file is
checked: the SHA-256 the client computed = EvidenceFile.sha256 = the SHA-256 of the stored bytes.

Results: bench/results/load_faults.json (per phase and request type: count, errors, 5xx, p50/p95/max ms).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "load_faults.json"
VENV_BIN = ROOT / ".venv" / "bin"
CACHE = Path(os.environ.get("LOAD_FAULTS_CACHE", "/tmp/wenming-load-faults-cache"))
PG = os.environ.get("LOAD_FAULTS_PG", "postgres://postgres@127.0.0.1:5432")
TEMPLATE_DB = "wenming_load_template"
DB = f"wenming_load_{os.getpid()}"  # this run's copy of the template, dropped at the end
PASSWORD = "Wenming@2026"  # organizations/demo.py
LIAISONS = [f"{u}_{s}" for u in ("scjgj", "sthjj") for s in ("liaison", "liaison2", "liaison3")]
OFFICE = ["scjgj_office", "sthjj_office", "city_office"]
# Request type → weight in the mix (liaisons; office staff neither upload nor submit).
MIX = {
    "dashboard": 15,
    "ledger_list": 20,
    "task_list": 15,
    "dossier": 20,
    "upload": 12,
    "submit": 8,
    "report": 10,
}
OFFICE_MIX = {"dashboard": 25, "ledger_list": 35, "task_list": 15, "dossier": 25}
# The sweeps' delays in seconds instead of minutes, so "it catches up" fits in the bench's time.
BENCH_ENV = {
    "EVIDENCE_SWEEP_AFTER": "15",
    "EVIDENCE_SWEEP_INTERVAL": "10",
    "JOBS_HEARTBEAT_TIMEOUT": "20",
    "JOBS_QUEUED_RESEND_AFTER": "20",
    "JOBS_REAP_INTERVAL": "60",
    # A worker that stops consuming after the Redis outage exits and is started again (config/worker_watchdog.py),
    # as docker compose's restart policy does; the JSON counts such restarts.
    "CELERY_WORKER_WATCHDOG": "30",
}
# --quick (the smoke test): the same, in a few seconds.
QUICK_ENV = {
    "EVIDENCE_SWEEP_AFTER": "4",
    "EVIDENCE_SWEEP_INTERVAL": "2",
    "JOBS_HEARTBEAT_TIMEOUT": "6",
    "JOBS_QUEUED_RESEND_AFTER": "4",
    "JOBS_REAP_INTERVAL": "2",
    "CELERY_WORKER_WATCHDOG": "8",
}
PHOTO_BYTES = 1 << 20


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {msg}", flush=True)


# ------------------------------------------------------------------------------------------------
# Processes
# ------------------------------------------------------------------------------------------------
class Procs:
    """Every process this script starts, each in its own session, all stopped on exit."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = proc
        return proc

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)


def _wait_port(port: int, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s")


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-qAtc", sql], check=True, capture_output=True)


def _db_exists(name: str) -> bool:
    out = subprocess.run(
        ["psql", f"{PG}/postgres", "-qAtc", f"select 1 from pg_database where datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() == "1"


def _base_env(redis_url: str, media: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "WENMING_")) and k not in {"REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-load-faults-not-a-secret-0123456789abcdefghijklmnop",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG}/{DB}",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": "wenming-load:",
            "MEDIA_ROOT": str(media),
            "STATIC_ROOT": str(CACHE / "static"),
            "SECURE_SSL_REDIRECT": "False",
            "SESSION_COOKIE_SECURE": "False",
            "CSRF_COOKIE_SECURE": "False",
            "SECURE_HSTS_SECONDS": "0",
            "EVIDENCE_OCR_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            **BENCH_ENV,
        }
    )
    return env


def prepare_template(rebuild: bool) -> dict:
    """The migrated, seeded template database, its media and the collected static files (made once)."""
    marker = CACHE / "template.json"
    if not rebuild and marker.exists() and _db_exists(TEMPLATE_DB) and (CACHE / "static").exists():
        return json.loads(marker.read_text())
    _log("building the template database (migrate, seed_demo, collectstatic) — once")
    started = time.monotonic()
    shutil.rmtree(CACHE, ignore_errors=True)
    (CACHE / "media").mkdir(parents=True)
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
    _psql(f"CREATE DATABASE {TEMPLATE_DB}")
    env = _base_env("", CACHE / "media")
    env.pop("REDIS_URL")
    env["DATABASE_URL"] = f"{PG}/{TEMPLATE_DB}"
    py = str(VENV_BIN / "python")
    for args in (["migrate", "--noinput", "-v0"], ["seed_demo", "--force"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    info = {"built_seconds": round(time.monotonic() - started, 1), "built_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    marker.write_text(json.dumps(info))
    return info


def fresh_database(media: Path, env: dict[str, str]) -> float:
    """This run's database from the template, brought up to the code's migrations (the template may be older)."""
    started = time.monotonic()
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB} TEMPLATE {TEMPLATE_DB}")
    shutil.rmtree(media, ignore_errors=True)
    shutil.copytree(CACHE / "media", media)
    env = {k: v for k, v in env.items() if k != "REDIS_URL"}
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return round(time.monotonic() - started, 1)


# ------------------------------------------------------------------------------------------------
# The site's data the clients need (read through the ORM, in this process)
# ------------------------------------------------------------------------------------------------
def setup_django(env: dict[str, str]) -> None:
    for key in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "MEDIA_ROOT", "STATIC_ROOT"):
        os.environ[key] = env[key]
    os.environ.pop("REDIS_URL", None)  # this process only reads and writes rows; it sends no tasks
    import django

    django.setup()


def targets(clients: int) -> list[dict]:
    """One plan per client: who logs in, which pages, a fresh draft dossier to upload into, drafts to submit."""
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign, Task
    from campaigns.services import task_units_can_report
    from ledger import selectors
    from ledger import services as ledger_services
    from ledger.models import EventCategory
    from organizations.models import Membership, User
    from organizations.scoping import unit_of

    plans = []
    today = timezone.localdate()
    n_office = max(1, clients * 3 // 10)
    for i in range(clients):
        office = i < n_office
        username = OFFICE[i % len(OFFICE)] if office else LIAISONS[(i - n_office) % len(LIAISONS)]
        user = User.objects.get(username=username)
        org = Membership.objects.filter(user=user).select_related("organization").first().organization
        unit = unit_of(org)
        campaigns = Campaign.objects.order_by("-start_year", "pk")
        campaign = (campaigns.filter(unit=unit).first() if unit is not None else None) or campaigns.first()
        dossiers = list(selectors.events_visible_to(user).order_by("-pk").values_list("pk", flat=True)[:10])
        plan = {
            "username": username,
            "office": office,
            "campaign": campaign.pk,
            "dossiers": dossiers,
            "task_list": "/campaigns/mine/" if not office else f"/campaigns/{campaign.pk}/tasks/",
        }
        if not office:

            def draft(title: str, campaign=campaign, org=org, user=user) -> int:
                return ledger_services.event_create(
                    campaign=campaign,
                    organization=org,
                    title=title,
                    start_date=today - datetime.timedelta(days=1),
                    category=EventCategory.OTHER,
                    created_by=user,
                ).pk

            plan["upload_dossier"] = draft(f"压测上传档案{i}")
            plan["submit_dossiers"] = [draft(f"压测提交档案{i}-{k}") for k in range(40)]
            plan["tasks"] = [t.pk for t in Task.objects.filter(campaign=campaign) if task_units_can_report(user, t)][:5]
            plan["dossiers"].insert(0, plan["upload_dossier"])
        plans.append(plan)
    return plans


# ------------------------------------------------------------------------------------------------
# Clients
# ------------------------------------------------------------------------------------------------
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Photo:
    """A ~1 MB JPEG made once; each upload gets its own bytes through a JPEG comment after the SOI marker."""

    def __init__(self) -> None:
        from PIL import Image

        img = Image.effect_noise((1100, 800), 60).convert("RGB")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=92)
        self.base = out.getvalue()
        self.counter = 0
        self.lock = threading.Lock()

    def next(self) -> bytes:
        with self.lock:
            self.counter += 1
            n = self.counter
        comment = f"wenming-load {n} {random.random()}".encode().ljust(64, b" ")
        pad = max(0, PHOTO_BYTES - len(self.base) - 70)
        segments = []
        body = comment + b"\0" * pad
        while body:
            chunk, body = body[:65000], body[65000:]
            segments.append(b"\xff\xfe" + (len(chunk) + 2).to_bytes(2, "big") + chunk)
        return self.base[:2] + b"".join(segments) + self.base[2:]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, str, float, int, str]] = []  # phase, type, ms, status, error
        self.uploads: list[dict] = []
        self.phase = "setup"

    def add(self, kind: str, ms: float, status: int, error: str = "") -> None:
        with self.lock:
            self.rows.append((self.phase, kind, ms, status, error))


class Client(threading.Thread):
    def __init__(self, base: str, plan: dict, rec: Recorder, photo: Photo, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        import requests

        self.base, self.plan, self.rec, self.photo, self.stop = base, plan, rec, photo, stop
        self.rng = random.Random(seed)
        self.session = requests.Session()
        self.mix = OFFICE_MIX if plan["office"] else MIX
        self.submit_queue = list(plan.get("submit_dossiers", []))

    def _csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def login(self) -> None:
        page = self.session.get(f"{self.base}/accounts/login/", timeout=60)
        token = _CSRF.search(page.text).group(1)
        r = self.session.post(
            f"{self.base}/accounts/login/",
            data={"username": self.plan["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=60,
        )
        if r.status_code != 302:
            raise RuntimeError(f"login of {self.plan['username']} answered {r.status_code}")

    def run(self) -> None:
        kinds, weights = zip(*self.mix.items(), strict=True)
        while not self.stop.is_set():
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "report" and not self.plan.get("tasks"):
                kind = "dossier"
            if kind == "submit" and not self.submit_queue:
                kind = "ledger_list"
            self.one(kind)

    def one(self, kind: str) -> None:
        p = self.plan
        headers = {"X-CSRFToken": self._csrf(), "Referer": f"{self.base}/"}
        expect = {200}
        data = files = None
        record_upload = None
        method = "GET"
        if kind == "dashboard":
            url = "/"
        elif kind == "ledger_list":
            url = "/ledger/"
        elif kind == "task_list":
            url = p["task_list"]
        elif kind == "dossier":
            url = f"/ledger/{self.rng.choice(p['dossiers'])}/"
        elif kind == "upload":
            method, url = "POST", f"/ledger/{p['upload_dossier']}/upload/"
            content = self.photo.next()
            record_upload = hashlib.sha256(content).hexdigest()
            data = {"slot": "photo"}
            files = {"files": (f"活动照片{record_upload[:8]}.jpg", content, "image/jpeg")}
            headers["Accept"] = "application/json"
        elif kind == "submit":
            method, url = "POST", f"/ledger/{self.submit_queue.pop()}/submit/"
            data, expect = {"confirm": "1"}, {302}
        else:  # report
            task = self.rng.choice(p["tasks"])
            method, url = "POST", f"/campaigns/tasks/{task}/report/"
            data = {f"t{task}-text": "压测：已按计划推进", f"t{task}-percent": str(self.rng.randint(10, 90))}
            expect = {302}
        started = time.perf_counter()
        status, error = 0, ""
        try:
            r = self.session.request(
                method, self.base + url, data=data, files=files, headers=headers, allow_redirects=False, timeout=120
            )
            status = r.status_code
            if status not in expect:
                where = r.headers.get("Location", "")
                error = f"{status} {where}"[:120] or f"{status}"
            elif kind == "upload":
                body = r.json()
                if body.get("ok"):
                    with self.rec.lock:
                        self.rec.uploads.append(
                            {
                                "id": body["files"][0]["id"],
                                "sha256": record_upload,
                                "phase": self.rec.phase,
                                "at": time.time(),
                            }
                        )
                else:
                    error = f"upload refused: {body.get('error', '')[:80]}"
            elif status == 302 and "/accounts/login/" in r.headers.get("Location", ""):
                error = "logged out"
        except Exception as exc:  # a refused connection, a timeout: an error of this request type
            error = f"{type(exc).__name__}: {exc}"[:160]
        self.rec.add(kind, (time.perf_counter() - started) * 1000, status, error)


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------
class Site:
    def __init__(self, folder: Path, procs: Procs) -> None:
        self.folder, self.procs = folder, procs
        self.redis_port, self.web_port = _free_port(), _free_port()
        self.media = folder / "media"
        self.env = _base_env(f"redis://127.0.0.1:{self.redis_port}/0", self.media)
        self.base = f"http://127.0.0.1:{self.web_port}"

    def start_redis(self) -> None:
        self.procs.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            self.env,
        )
        _wait_port(self.redis_port, timeout=10, what="redis-server")

    def start_worker(self) -> None:
        self.procs.start(
            "worker",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "default,pdf,ocr,notify",
                "--concurrency",
                "2",
                "-l",
                "INFO",
                "-n",
                f"load-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            self.env,
        )

    def supervise(self, stop: threading.Event) -> None:
        """Start the worker again when it exits by itself (the watchdog's status), as compose's restart policy."""
        self.watchdog_restarts = []
        while not stop.wait(1.0):
            proc = self.procs.running.get("worker")
            if proc is not None and proc.poll() is not None:
                self.watchdog_restarts.append({"status": proc.returncode, "at": time.time()})
                _log(f"worker exited by itself (status {proc.returncode}): started again")
                self.start_worker()

    def start_all(self) -> None:
        self.start_redis()
        self.procs.start(
            "web",
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
            ],
            self.env,
        )
        self.start_worker()
        self.procs.start(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "INFO",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
            self.env,
        )
        _wait_port(self.web_port, timeout=60, what="gunicorn")


def start_job(site: Site, plan: dict, kind: str) -> dict:
    """An office user starts an export job (ZIP or workbook) through the site; returns its id and when."""
    import requests

    s = requests.Session()
    page = s.get(f"{site.base}/accounts/login/", timeout=60)
    token = _CSRF.search(page.text).group(1)
    s.post(
        f"{site.base}/accounts/login/",
        data={"username": plan["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=60,
    )
    url = "/ledger/export/archive/" if kind == "zip" else "/ledger/export/workbook/"
    r = s.post(
        site.base + url,
        data={"campaign": plan["campaign"], "include_unfinished": "1"},
        headers={"X-CSRFToken": s.cookies.get("csrftoken", ""), "Referer": f"{site.base}/"},
        allow_redirects=False,
        timeout=60,
    )
    m = re.search(r"/jobs/(\d+)/", r.headers.get("Location", ""))
    return {"kind": kind, "status": r.status_code, "job": int(m.group(1)) if m else None, "at": time.monotonic()}


def run_phase(name: str, site: Site, plans: list[dict], rec: Recorder, photo: Photo, duration: float, fault=None):
    rec.phase = name
    stop = threading.Event()
    clients = [Client(site.base, plan, rec, photo, stop, seed=hash((name, i))) for i, plan in enumerate(plans)]
    for c in clients:
        c.login()
    _log(f"phase {name}: {len(clients)} clients for {duration:.0f} s")
    started = time.monotonic()
    for c in clients:
        c.start()
    events: dict = {}
    if fault is not None:
        time.sleep(duration / 3)
        events.update(fault("down"))
        time.sleep(max(0.0, started + 2 * duration / 3 - time.monotonic()))
        events.update(fault("up"))
    time.sleep(max(0.0, started + duration - time.monotonic()))
    stop.set()
    for c in clients:
        c.join(timeout=150)
    events["load_1min_at_end"] = _load()
    return events


def summarize(rec: Recorder, phase: str) -> dict:
    by: dict[str, list] = defaultdict(list)
    for ph, kind, ms, status, error in rec.rows:
        if ph == phase:
            by[kind].append((ms, status, error))
    out = {}
    for kind, rows in sorted(by.items()):
        ms = [r[0] for r in rows]
        errors = [r[2] for r in rows if r[2]]
        out[kind] = {
            "count": len(rows),
            "errors": len(errors),
            "status_5xx": sum(1 for r in rows if r[1] >= 500),
            "p50_ms": _pct(ms, 0.5),
            "p95_ms": _pct(ms, 0.95),
            "max_ms": round(max(ms), 1),
            "error_samples": sorted(set(errors))[:5],
        }
    return out


def pending_now(rec: Recorder, phase: str) -> dict:
    """Thumbnails and checks of the phase's uploads so far (from the fault thread, its own connection)."""
    from django.db import close_old_connections

    close_old_connections()
    with rec.lock:
        ids = [u["id"] for u in rec.uploads if u["phase"] == phase]
    return background_state(ids)


def background_state(upload_ids: list[int]) -> dict:
    from ledger.models import EvidenceFile, PhotoCheck

    rows = EvidenceFile.objects.filter(pk__in=upload_ids)
    thumbs = rows.exclude(thumbnail="").count()
    checks = PhotoCheck.objects.filter(evidence_file__in=upload_ids).count()
    return {"uploads": len(upload_ids), "thumbnails_done": thumbs, "checks_done": checks}


def fault_window(uploads: list[dict], down: float, up: float) -> dict:
    """The photos uploaded while the fault lasted: when their last thumbnail/check was done, after the fault."""
    from django.db.models import Max

    from ledger.models import PhotoCheck

    ids = [u["id"] for u in uploads if down <= u["at"] <= up]
    last = PhotoCheck.objects.filter(evidence_file__in=ids).aggregate(m=Max("checked_at"))["m"]
    return {
        "uploads_during_fault": len(ids),
        **background_state(ids),
        "last_check_done_s_after_fault_ended": round(last.timestamp() - up, 1) if last and ids else None,
    }


def jobs_after(jobs: list[int], up: float) -> list[dict]:
    from jobs.models import Job

    return [
        {
            "job": j.pk,
            "kind": j.kind,
            "status": j.status,
            "attempt": j.attempt,
            "error": j.error,
            "done_s_after_fault_ended": round(j.finished_at.timestamp() - up, 1) if j.finished_at else None,
        }
        for j in Job.objects.filter(pk__in=jobs).order_by("pk")
    ]


def wait_caught_up(upload_ids: list[int], jobs: list[int], since: float, timeout: float) -> dict:
    """Wait until every upload has its thumbnail and check and every job is done; how long after `since`."""
    from django.db import close_old_connections

    from jobs.models import Job, JobStatus

    close_old_connections()
    before = background_state(upload_ids)
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        state = background_state(upload_ids)
        job_rows = list(Job.objects.filter(pk__in=jobs).values("pk", "status", "attempt", "error"))
        done = all(j["status"] in {JobStatus.DONE, JobStatus.FAILED} for j in job_rows)
        if (state["thumbnails_done"] == state["checks_done"] == len(upload_ids) and done) or (
            time.monotonic() > deadline
        ):
            break
        time.sleep(1)
    return {
        "at_phase_end": before,
        "after_wait": state,
        "jobs": job_rows,
        "all_done": state["thumbnails_done"] == state["checks_done"] == len(upload_ids) and done,
        "all_done_s_after_fault_ended_at_most": round(time.monotonic() - since, 1),
    }


def verify_uploads(uploads: list[dict], media: Path) -> dict:
    from ledger.models import EvidenceFile

    rows = {r.pk: r for r in EvidenceFile.objects.filter(pk__in=[u["id"] for u in uploads])}
    missing = wrong_row = wrong_bytes = 0
    for u in uploads:
        row = rows.get(u["id"])
        if row is None:
            missing += 1
            continue
        if row.sha256 != u["sha256"]:
            wrong_row += 1
        path = media / row.file.name
        if not path.exists():
            missing += 1
        elif hashlib.sha256(path.read_bytes()).hexdigest() != u["sha256"]:
            wrong_bytes += 1
    return {
        "uploaded": len(uploads),
        "missing": missing,
        "sha256_mismatch_row": wrong_row,
        "sha256_mismatch_bytes": wrong_bytes,
        "all_present_and_right": missing == wrong_row == wrong_bytes == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase (default 60)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--rebuild", action="store_true", help="migrate and seed the template database again")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--catch-up", type=float, default=150.0, help="max seconds to wait after a fault")
    parser.add_argument("--quick", action="store_true", help="sweeps and reaper in seconds (the smoke test)")
    parser.add_argument("--keep-db", action="store_true", help=f"keep this run's database ({DB})")
    args = parser.parse_args()
    if args.quick:
        BENCH_ENV.update(QUICK_ENV)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "clients": args.clients,
        "duration_per_phase_s": args.duration,
        "machine": {"cpus": os.cpu_count(), "load_1min_at_start": _load()},
        "setup": {"gunicorn_workers": 2, "worker_concurrency": 2, "ocr": False, "bench_env": BENCH_ENV},
    }
    template = prepare_template(args.rebuild)
    results["setup"]["template"] = template
    folder = Path(f"/tmp/wenming-load-faults-{os.getpid()}")
    folder.mkdir(parents=True, exist_ok=True)
    procs = Procs(folder)
    t0 = time.monotonic()
    try:
        site = Site(folder, procs)
        results["setup"]["database_copy_and_migrate_s"] = fresh_database(site.media, site.env)
        setup_django(site.env)
        plans = targets(args.clients)
        site.start_all()
        supervisor_stop = threading.Event()
        threading.Thread(target=site.supervise, args=(supervisor_stop,), daemon=True).start()
        _log(f"site at {site.base}, redis on {site.redis_port}, logs in {folder}")
        rec, photo = Recorder(), Photo()
        office_plan = next(p for p in plans if p["office"])
        phases: dict = {}

        # 1. Baseline
        phases["baseline"] = {"events": run_phase("baseline", site, plans, rec, photo, args.duration)}

        # 2. Redis down for the middle third
        redis_events: dict = {}

        def redis_fault(step: str) -> dict:
            if step == "down":
                procs.kill("redis", signal.SIGKILL)
                redis_events["redis_killed_at"] = time.monotonic()
                redis_events["down_wall"] = time.time()
                time.sleep(1)
                redis_events["job"] = start_job(site, office_plan, "workbook")
                return {"redis_killed_at_s": round(time.monotonic() - t0, 1)}
            redis_events["pending_just_before_restart"] = pending_now(rec, "redis_down")
            site.start_redis()
            redis_events["redis_back_at"] = time.monotonic()
            redis_events["up_wall"] = time.time()
            return {"redis_restarted_at_s": round(time.monotonic() - t0, 1)}

        ev = run_phase("redis_down", site, plans, rec, photo, args.duration, redis_fault)
        ids = [u["id"] for u in rec.uploads if u["phase"] == "redis_down"]
        job = redis_events.get("job") or {}
        job_ids = [job["job"]] if job.get("job") else []
        phases["redis_down"] = {
            "events": {
                **ev,
                "job_started_while_down": {k: v for k, v in job.items() if k != "at"},
                "pending_just_before_restart": redis_events["pending_just_before_restart"],
            },
            "catch_up": wait_caught_up(ids, job_ids, redis_events["redis_back_at"], args.catch_up),
        }
        phases["redis_down"]["catch_up"]["fault_window"] = fault_window(
            rec.uploads, redis_events["down_wall"], redis_events["up_wall"]
        )
        phases["redis_down"]["catch_up"]["jobs"] = jobs_after(job_ids, redis_events["up_wall"])

        # 3. Worker SIGKILLed for the middle third
        worker_events: dict = {}

        def worker_fault(step: str) -> dict:
            if step == "down":
                worker_events["zip_before"] = start_job(site, office_plan, "zip")
                time.sleep(0.5)
                procs.kill("worker", signal.SIGKILL)
                worker_events["killed_at"] = time.monotonic()
                worker_events["down_wall"] = time.time()
                time.sleep(1)
                worker_events["workbook_during"] = start_job(site, office_plan, "workbook")
                return {"worker_killed_at_s": round(time.monotonic() - t0, 1)}
            worker_events["pending_just_before_restart"] = pending_now(rec, "worker_killed")
            site.start_worker()
            worker_events["back_at"] = time.monotonic()
            worker_events["up_wall"] = time.time()
            return {"worker_restarted_at_s": round(time.monotonic() - t0, 1)}

        ev = run_phase("worker_killed", site, plans, rec, photo, args.duration, worker_fault)
        ids = [u["id"] for u in rec.uploads if u["phase"] == "worker_killed"]
        jobs = [j["job"] for k in ("zip_before", "workbook_during") if (j := worker_events.get(k)) and j.get("job")]
        phases["worker_killed"] = {
            "events": {
                **ev,
                "jobs_started": {
                    k: {kk: vv for kk, vv in worker_events[k].items() if kk != "at"}
                    for k in ("zip_before", "workbook_during")
                    if k in worker_events
                },
            },
            "catch_up": wait_caught_up(ids, jobs, worker_events["back_at"], args.catch_up),
        }
        phases["worker_killed"]["events"]["pending_just_before_restart"] = worker_events["pending_just_before_restart"]
        phases["worker_killed"]["catch_up"]["fault_window"] = fault_window(
            rec.uploads, worker_events["down_wall"], worker_events["up_wall"]
        )
        phases["worker_killed"]["catch_up"]["jobs"] = jobs_after(jobs, worker_events["up_wall"])

        for name in phases:
            phases[name]["requests"] = summarize(rec, name)
        results["phases"] = phases
        results["uploads"] = verify_uploads(rec.uploads, site.media)
        supervisor_stop.set()
        results["worker_restarts_by_watchdog"] = [
            {"status": r["status"], "at_s": round(r["at"] - (time.time() - (time.monotonic() - t0)), 1)}
            for r in getattr(site, "watchdog_restarts", [])
        ]
        all_rows = rec.rows
        results["totals"] = {
            "requests": len(all_rows),
            "status_5xx": sum(1 for r in all_rows if r[3] >= 500),
            "errors": sum(1 for r in all_rows if r[4]),
        }
        results["machine"]["load_1min_at_end"] = _load()
        results["wall_seconds"] = round(time.monotonic() - t0, 1)
    finally:
        procs.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            with contextlib.suppress(subprocess.CalledProcessError):
                _psql(f"DROP DATABASE IF EXISTS {DB}")
        shutil.rmtree(folder / "media", ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _log(f"wrote {args.out}")
    print(json.dumps(results["totals"], ensure_ascii=False))
    return 0 if results["totals"]["status_5xx"] == 0 and results["uploads"]["all_present_and_right"] else 1


if __name__ == "__main__":
    sys.exit(main())
