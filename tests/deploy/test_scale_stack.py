"""The `scale` profile on one machine: nginx (deploy/nginx/wenming.conf.template) in front of two gunicorn replicas,
media in an S3-API server (moto's server mode: a protocol peer, not MinIO itself), sessions and cache on a Redis of
the test's own, one PostgreSQL database. Each replica has its own empty MEDIA_ROOT, which must stay empty.

What it proves: a session made on one replica is honoured by the other; an upload through either lands in the bucket
with its SHA-256; the file comes back through the scoped view from the other replica, and not to another unit; no
file is written to a web node's disk."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BUCKET = "wenming-scale-test"
PASSWORD = "Wenming@2026"

pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="needs the suite's PostgreSQL (scripts/test.sh)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} in {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _admin_url(database_url: str) -> tuple[str, str]:
    """The suite's server URL with the postgres database, and a fresh database name of this test's own."""
    base = database_url.rsplit("/", 1)[0]
    return f"{base}/postgres", f"wenming_scale_{os.getpid()}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict]:
    import psycopg

    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: scripts/system-deps.sh test installs nginx-light")
    work = tmp_path_factory.mktemp("scale")
    procs: list[subprocess.Popen] = []
    admin_url, dbname = _admin_url(os.environ["DATABASE_URL"])
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        # --- Redis of our own (sessions, cache, broker) and the S3-API server
        redis_port = _free_port()
        procs.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)],
                stdout=subprocess.DEVNULL,
            )
        )
        _wait_port(redis_port, procs[-1], "redis-server")
        s3_port = _free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_port(s3_port, procs[-1], "moto server")
        import boto3

        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{s3_port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket=BUCKET)

        static_root = work / "static"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MEDIA_", "PYTEST"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "scale-stack-test-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{dbname}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_S3_REGION_NAME": "us-east-1",
            "TRUSTED_PROXY_COUNT": "1",
            "STATIC_ROOT": str(static_root),
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "MEDIA_ROOT": str(work / "setup-media"),
        }

        def manage(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, done.stderr[-3000:]
            return done.stdout

        manage("migrate", "--noinput", "-v", "0")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("seed_demo", "--force")
        ids = json.loads(
            manage(
                "shell",
                "-c",
                "import json\n"
                "from django.contrib.auth import get_user_model\n"
                "from ledger import selectors\n"
                "User = get_user_model()\n"
                "a = User.objects.get(username='scjgj_liaison')\n"
                "event = selectors.events_changeable_by(a).order_by('pk').first()\n"
                "print(json.dumps({'event': event.pk}))",
            )
            .strip()
            .splitlines()[-1]
        )

        # --- two replicas, each with its own (empty) MEDIA_ROOT, and nginx in front
        replicas = []
        for n in (1, 2):
            port = _free_port()
            media = work / f"media-{n}"
            media.mkdir()
            log = work / f"access-{n}.log"
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "config.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--timeout",
                        "120",
                        "--access-logfile",
                        str(log),
                    ],
                    cwd=ROOT,
                    env={**env, "MEDIA_ROOT": str(media)},
                    stdout=subprocess.DEVNULL,
                    stderr=open(work / f"gunicorn-{n}.err", "w"),  # noqa: SIM115 - closed with the process
                )
            )
            _wait_port(port, procs[-1], f"gunicorn replica {n}")
            replicas.append({"port": port, "media": media, "log": log})

        nginx_port = _free_port()
        template = (ROOT / "deploy/nginx/wenming.conf.template").read_text(encoding="utf-8")
        server = template
        for name, value in {
            "WENMING_UPSTREAM": " ".join(f"server 127.0.0.1:{r['port']};" for r in replicas),
            "WENMING_LISTEN": f"127.0.0.1:{nginx_port}",
            "WENMING_BODY_LIMIT": "220m",
        }.items():
            server = server.replace("${" + name + "}", value)
        assert "${" not in server
        (work / "nginx").mkdir()
        (work / "nginx/server.conf").write_text(server, encoding="utf-8")
        user = "user root;\n" if os.geteuid() == 0 else ""
        (work / "nginx/nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {work}/nginx/nginx.pid;\nerror_log {work}/nginx/error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n access_log {work}/nginx/access.log;\n client_body_temp_path {work}/nginx/body;\n"
            f" proxy_temp_path {work}/nginx/proxy;\n fastcgi_temp_path {work}/nginx/fcgi;\n"
            f" uwsgi_temp_path {work}/nginx/uwsgi;\n scgi_temp_path {work}/nginx/scgi;\n"
            f" include {work}/nginx/server.conf;\n}}\n",
            encoding="utf-8",
        )
        procs.append(
            subprocess.Popen(
                [NGINX, "-p", str(work / "nginx"), "-c", str(work / "nginx/nginx.conf"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_port(nginx_port, procs[-1], "nginx")
        yield {
            "url": f"http://127.0.0.1:{nginx_port}",
            "replicas": replicas,
            "s3": s3,
            "event": ids["event"],
            "setup_media": work / "setup-media",
        }
    finally:
        for proc in reversed(procs):
            _stop(proc)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _login(url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = session.post(
        f"{url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:500]
    return session


def _csrf(session: requests.Session, url: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(url, timeout=30).text)
    return token.group(1)


def _photo(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (seed * 37 % 256, seed * 91 % 256, 120)).save(out, "JPEG", quality=90)
    return out.getvalue()


def _requests_seen(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_two_replicas_share_sessions_and_serve_uploads_from_the_bucket(stack):
    url, event = stack["url"], stack["event"]
    liaison = _login(url, "scjgj_liaison")
    detail = f"{url}/ledger/{event}/"
    # One session, many requests: nginx alternates between the replicas, and neither sends us back to log in.
    for _ in range(8):
        page = liaison.get(detail, timeout=30, allow_redirects=False)
        assert page.status_code == 200, page.status_code
    assert all(_requests_seen(r["log"]) >= 3 for r in stack["replicas"]), [
        _requests_seen(r["log"]) for r in stack["replicas"]
    ]

    uploaded = {}
    for seed in (1, 2):
        data = _photo(seed)
        answer = liaison.post(
            f"{url}/ledger/{event}/upload/",
            data={"csrfmiddlewaretoken": _csrf(liaison, detail), "slot": "photo"},
            files={"files": (f"活动照片{seed}.jpg", data, "image/jpeg")},
            headers={"Accept": "application/json", "Referer": detail},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text[:500]
        (row,) = answer.json()["files"]
        uploaded[row["id"]] = data

    # In the bucket, byte for byte.
    objects = stack["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])
    stored = {
        hashlib.sha256(stack["s3"].get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()).hexdigest() for o in objects
    }
    assert {hashlib.sha256(d).hexdigest() for d in uploaded.values()} <= stored

    # Served back through the scoped view, by both replicas in turn.
    before = [_requests_seen(r["log"]) for r in stack["replicas"]]
    for pk, data in uploaded.items():
        for _ in range(2):
            got = liaison.get(f"{url}/ledger/files/{pk}/download/", timeout=30)
            assert got.status_code == 200
            assert got.content == data
    after = [_requests_seen(r["log"]) for r in stack["replicas"]]
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)

    # Another unit's liaison gets nothing, whichever replica answers.
    other = _login(url, "sthjj_liaison")
    for pk in uploaded:
        for _ in range(2):
            assert other.get(f"{url}/ledger/files/{pk}/download/", timeout=30).status_code == 404

    # Media never leave through nginx directly.
    assert requests.get(f"{url}/media/anything.jpg", timeout=30).status_code == 404

    # Nothing was kept on a web node's disk.
    for r in stack["replicas"]:
        assert _files_under(r["media"]) == [], _files_under(r["media"])


def test_a_signed_out_session_is_signed_out_on_both_replicas(stack):
    url, event = stack["url"], stack["event"]
    liaison = _login(url, "scjgj_liaison")
    assert liaison.get(f"{url}/ledger/{event}/", timeout=30, allow_redirects=False).status_code == 200
    token = _csrf(liaison, f"{url}/ledger/{event}/")
    liaison.post(f"{url}/accounts/logout/", data={"csrfmiddlewaretoken": token}, timeout=30)
    for _ in range(4):
        assert liaison.get(f"{url}/ledger/{event}/", timeout=30, allow_redirects=False).status_code == 302
