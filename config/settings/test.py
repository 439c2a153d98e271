"""The test suite. `make test` points DATABASE_URL at PostgreSQL and REDIS_URL at Redis."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env

# One id per test run, inherited by the processes the run starts (workers, servers), so two runs on one machine
# use their own test database, Celery queue and Redis keys and cannot clash.
TEST_RUN_ID = os.environ.setdefault("WENMING_TEST_RUN_ID", f"{os.getpid()}")
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": f"test_wenming_{TEST_RUN_ID}"}
CELERY_TASK_DEFAULT_QUEUE = f"wenming-test-{TEST_RUN_ID}"
# Every purpose's queue is this run's one queue, so the test worker consumes all of them.
TASK_QUEUES = dict.fromkeys(("default", "pdf", "ocr", "notify"), CELERY_TASK_DEFAULT_QUEUE)
# Tests make stalled jobs by hand (or by SIGKILL) and reap them after this many seconds.
JOBS_HEARTBEAT_TIMEOUT = env.int("JOBS_HEARTBEAT_TIMEOUT", default=3)
JOBS_PROGRESS_INTERVAL = 0.2
REDIS_KEY_PREFIX = f"wenming-test-{TEST_RUN_ID}:"

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test process gets isolated caches; Redis is exercised by the Celery worker tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run in-process unless a test starts a real worker (tests/test_celery_worker.py switches this off).
CELERY_TASK_ALWAYS_EAGER = True
# Beat processes a test starts must send to the broker, not run the task inside the beat (tests/reminders/).
if os.environ.get("WENMING_TEST_BROKER") == "1":
    CELERY_TASK_ALWAYS_EAGER = False
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".test-media")
EMAIL_BACKEND = os.environ.get("WENMING_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
AXES_FAILURE_LIMIT = 5
# OCR takes seconds per photo: off for the suite, switched on by the tests that read banners
# (tests/ledger/test_evidence_checks.py); hashing and the time check run on every upload.
EVIDENCE_OCR_ENABLED = env.bool("EVIDENCE_OCR_ENABLED", default=False)

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
