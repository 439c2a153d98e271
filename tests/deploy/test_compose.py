"""The compose file's two profiles, read as data: what `docker compose --profile scale` would start.

No Docker engine runs here, so these check the file's promises (a worker per queue, no media on a web node's disk,
nginx in front of the replicas); tests/deploy/test_scale_stack.py runs the same nginx template in front of two real
gunicorn processes on an S3-API server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.settings import base as base_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def _in(profile: str, services: dict) -> dict:
    return {name: s for name, s in services.items() if not s.get("profiles") or profile in s["profiles"]}


def _queues(command: str) -> set[str]:
    m = re.search(r"-Q\s+(\S+)", command)
    return set(m.group(1).split(",")) if m else set()


@pytest.mark.parametrize("profile", ["single", "scale"])
def test_every_queue_has_exactly_one_kind_of_consumer(services, profile):
    consumed: list[str] = []
    for s in _in(profile, services).values():
        command = s.get("command") or ""
        if isinstance(command, str) and "celery" in command and " worker" in command:
            consumed += sorted(_queues(command))
    assert sorted(consumed) == sorted(set(base_settings.TASK_QUEUES.values())), consumed


def test_scale_splits_workers_by_queue(services):
    workers = {
        name: _queues(s["command"])
        for name, s in _in("scale", services).items()
        if isinstance(s.get("command"), str) and " worker" in s["command"]
    }
    assert all(len(q) == 1 for q in workers.values()), workers


def test_scale_keeps_nothing_on_a_web_node(services):
    scale = _in("scale", services)
    web = scale["web-replica"]
    assert web["deploy"]["replicas"] in (2, "${WEB_REPLICAS:-2}")
    for name, s in scale.items():
        if s.get("image") != "wenming:latest" or name == "beat":
            continue
        env = s["environment"]
        assert env["MEDIA_STORAGE"] == "s3", name
        assert "MEDIA_ROOT" not in env, name
        mounts = [str(v).split(":")[1] for v in s.get("volumes", [])]
        assert "/data/media" not in mounts, name
        assert env["REDIS_URL"].startswith("redis://"), name  # sessions (cached_db) and the cache
        assert env["TRUSTED_PROXY_COUNT"] == "1", name  # exactly one nginx appends to X-Forwarded-For
        if " worker" in str(s.get("command")):  # a worker the watchdog exits is started again
            assert float(env["CELERY_WORKER_WATCHDOG"]) > 0 and s.get("restart") == "unless-stopped", name
    # Nothing of the single-machine set runs under scale, except what both share.
    assert set(scale) - {n for n, s in services.items() if s.get("profiles") == ["scale"]} == {
        "beat",
        "postgres",
        "redis",
    }


def test_nginx_template_variables_are_all_set(services):
    nginx = services["nginx"]
    template = (ROOT / "deploy/nginx/wenming.conf.template").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{(WENMING_[A-Z_]+)\}", template))
    assert wanted and wanted <= set(nginx["environment"]), wanted
    assert nginx["environment"]["WENMING_UPSTREAM"] == "server web-replica:8000;"
    body = nginx["environment"]["WENMING_BODY_LIMIT"]
    assert int(body.rstrip("m")) >= getattr(settings, "LEDGER_MAX_DOSSIER_MB", 200)
    # Media never leave through nginx: only the app's scoped views serve files.
    assert "location /media/ {\n        return 404;" in template
