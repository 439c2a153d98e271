"""Settings from the environment: the embedded defaults need nothing set."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'propagates': s.CELERY_TASK_EAGER_PROPAGATES, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, "
    "'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL}))"
)


def _probe(env: dict[str, str]) -> dict:
    import json

    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.local", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_are_sqlite_and_in_process_tasks():
    conf = _probe({})
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["eager"] is True and conf["propagates"] is True
    assert conf["tz"] == "Asia/Shanghai" and conf["lang"] == "zh-hans"
    assert conf["cache"].endswith("LocMemCache")


def test_redis_url_switches_broker_cache_and_eagerness():
    conf = _probe({"REDIS_URL": "redis://127.0.0.1:6379/9", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"})
    assert conf["engine"] == "django.db.backends.postgresql"
    assert conf["eager"] is False
    assert conf["broker"] == "redis://127.0.0.1:6379/9"
    assert conf["cache"].endswith("RedisCache")


def test_timezone_aware():
    assert settings.USE_TZ is True
