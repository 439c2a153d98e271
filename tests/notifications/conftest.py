"""Real servers on 127.0.0.1 for the delivery tests: an SMTP server (aiosmtpd) and a robot webhook (http.server)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from notifications import ratelimit
from notifications.workdays import clear_cache

logging.getLogger("mail.log").setLevel(logging.WARNING)

TZ = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-12-01, 10:00 in Shanghai: a plain working morning.
WORKING_NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_work_calendar():
    """The calendar cache outlives a rolled-back test; start each test from the table as it is."""
    clear_cache()
    yield
    clear_cache()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------
# SMTP
# ----------------------------------------------------------------------------------------------
@dataclass
class SmtpServer:
    port: int
    messages: list = field(default_factory=list)
    controller: Controller | None = None

    def start(self) -> None:
        server = self

        class Handler:
            async def handle_DATA(self, _server, session, envelope):
                server.messages.append(
                    (envelope.rcpt_tos, message_from_bytes(envelope.original_content, policy=policy.default))
                )
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_port(settings) -> int:
    """A port with the SMTP settings pointing at it (nothing listens until a test starts SmtpServer)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 3
    return port


@pytest.fixture
def smtp_server(smtp_port):
    server = SmtpServer(port=smtp_port)
    server.start()
    yield server
    server.stop()


# ----------------------------------------------------------------------------------------------
# Robot webhook
# ----------------------------------------------------------------------------------------------
@dataclass
class RobotServer:
    """Answers like 企业微信/钉钉: checks 钉钉 signatures with `secret`, records every accepted request."""

    port: int
    secret: str = ""
    requests: list = field(default_factory=list)  # (monotonic arrival, path, query dict, payload)
    rejected: list = field(default_factory=list)
    answer: dict | None = None  # forced answer (e.g. an errcode), None for success
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def payloads(self) -> list[dict]:
        with self.lock:
            return [r[3] for r in self.requests]


def _check_dingtalk_signature(query: dict, secret: str) -> str:
    timestamp = query.get("timestamp", [""])[0]
    sign = query.get("sign", [""])[0]
    if not timestamp or not sign:
        return "missing timestamp or sign"
    if abs(time.time() * 1000 - int(timestamp)) > 60 * 60 * 1000:
        return "timestamp too old"
    string_to_sign = f"{timestamp}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    # parse_qs has already url-decoded `sign` once, which is exactly what 钉钉 does on its side.
    return "" if hmac.compare_digest(sign, expected) else "bad signature"


@pytest.fixture
def robot_server(settings):
    """An HTTP server in a thread on 127.0.0.1, with the settings that allow it as a webhook host."""
    settings.NOTIFY_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_ROBOT_ALLOW_PRIVATE = True
    settings.NOTIFY_ROBOT_ALLOW_HTTP = True
    state = RobotServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parsed = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parsed.query)
            if state.delay:
                time.sleep(state.delay)
            error = ""
            try:
                payload = json.loads(raw.decode("utf-8"))
            except ValueError:
                payload, error = None, "not json"
            if not error and parsed.path.startswith("/dingtalk"):
                error = _check_dingtalk_signature(query, state.secret)
            if error:
                with state.lock:
                    state.rejected.append((parsed.path, error))
                answer = {"errcode": 310000, "errmsg": f"sign not match: {error}"}
            else:
                answer = state.answer or {"errcode": 0, "errmsg": "ok"}
                if answer.get("errcode", 0) == 0:
                    with state.lock:
                        state.requests.append((time.monotonic(), parsed.path, query, payload))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fresh_bucket():
    """Forget the robots' spent tokens after the test (robot ids are unique per run, this is tidiness)."""
    used: list[int] = []
    yield used.append
    for robot_id in used:
        ratelimit.reset(robot_id)
