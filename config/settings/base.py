"""Settings shared by every environment.

Everything is defined here; the other modules only change what the environment asks for.
Values come from the environment (django-environ). With nothing set, the app runs on an SQLite
file with Celery tasks executed in-process, so `make run` needs no other service.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(str(BASE_DIR / ".env"))

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "axes",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "import_export",
    "simple_history",
]
# Ordered bottom-up as in ../shared/DESIGN.md: an app imports only from the apps above it in this list.
LOCAL_APPS = [
    "organizations",
    "trash",
    "notifications",
    "jobs",
    "campaigns",
    "ledger",
    "evaluation",
    "volunteers",
    "dashboards",
    "history",
    "backups",
    "demo",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

AUTH_USER_MODEL = "organizations.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (with a per-request nonce) and Permissions-Policy; see the Security headers block.
    "config.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page but the sign-in page needs a signed-in user.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Who made a change: the signed-in user goes into every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Refused accesses (403, and 404 on a resolved URL: an object out of scope) go into the 操作记录, rate-limited.
    "organizations.middleware.RefusedAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A batch over DATA_UPLOAD_MAX_NUMBER_FILES: a Chinese 400 naming the limit (before CSRF parses the body).
    "ledger.middleware.UploadLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.memberships",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent requests on the development server should wait, not fail with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# ------------------------------------------------------------------------------
# Redis: cache, Celery broker and result backend
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    # A Redis outage is a cache miss, not a 500 (config/cache.py); sessions live in the database behind the cache,
    # so nobody is logged out while Redis is down.
    CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Every key the app writes to Redis itself (token buckets, locks) starts with this; the test run makes it unique.
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", default="wenming:")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis, tasks run in-process at once and their errors propagate to the caller.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
# A killed worker must not lose a task: acknowledge after running, re-queue on worker loss.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Remote control (ping, inspect): the worker watchdog pings its own worker through it (config/worker_watchdog.py).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = env.bool("CELERY_WORKER_ENABLE_REMOTE_CONTROL", default=True)
# Time limits: every task has one; a job (the annual ZIP of a large year) may run up to an hour.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
JOBS_TIME_LIMIT = env.int("JOBS_TIME_LIMIT", default=60 * 60)
JOBS_SOFT_TIME_LIMIT = JOBS_TIME_LIMIT - 5 * 60
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# Redis re-delivers unacknowledged tasks after this ("again, and again"), so it must exceed the longest task;
# no countdown or ETA may be longer (config/celery.py refuses to publish one). Far-future work lives in rows.
CELERY_VISIBILITY_TIMEOUT = 2 * 60 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# Queues by purpose (purpose → queue name; the test settings rename them per run). Workers consume all of them
# by default (`celery -A config worker -Q default,pdf,ocr,notify`); a site may give pdf/ocr their own workers.
CELERY_TASK_DEFAULT_QUEUE = "default"
TASK_QUEUES = {"default": "default", "pdf": "pdf", "ocr": "ocr", "notify": "notify"}
# Task name pattern → purpose (config/celery.py routes by it); jobs choose their queue per kind (jobs/registry.py).
TASK_ROUTE_PURPOSES = {
    "notifications.tasks.*": "notify",
    "*.tasks.*_pdf": "pdf",
    "*.tasks.*_ocr": "ocr",
}
CELERY_TASK_ROUTES = ("config.celery.route_by_purpose",)
# Jobs (jobs/): a running job whose heartbeat is older than this is requeued by the reaper (or 失败 after
# max attempts); a queued job whose message was lost is sent again after JOBS_QUEUED_RESEND_AFTER.
JOBS_HEARTBEAT_TIMEOUT = env.int("JOBS_HEARTBEAT_TIMEOUT", default=120)
JOBS_QUEUED_RESEND_AFTER = env.int("JOBS_QUEUED_RESEND_AFTER", default=15 * 60)
JOBS_PROGRESS_INTERVAL = env.float("JOBS_PROGRESS_INTERVAL", default=0.5)
# Finished jobs' files are deleted after this many days (the row stays; the user generates the file again).
JOBS_RESULT_RETENTION_DAYS = env.int("JOBS_RESULT_RETENTION_DAYS", default=7)
# 回收站 (trash/): a deleted dossier, file, task, volunteer or service activity is kept this many days, then purged.
TRASH_RETENTION_DAYS = env.int("TRASH_RETENTION_DAYS", default=30)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending from a web request while the broker is down must fail fast (the request still succeeds: the row stays
# pending and a beat sweep sends it again — jobs.tasks.reap_jobs, ledger.tasks.sweep_pending_photos).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS.update({"socket_connect_timeout": 2, "socket_timeout": 10})
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 10
# Nothing reads task results (the outcome is in the rows): without this every web process would subscribe to each
# result over Redis pub/sub, and a Redis outage would make every later send wait ~20 s and then raise.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic schedules live here, in one place.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "jobs-reap": {
        "task": "jobs.tasks.reap_jobs",
        "schedule": env.float("JOBS_REAP_INTERVAL", default=60.0),
        "options": {"expires": 50},
    },
    # Outbox delivery (notifications/): claims due rows, so two beats or a slow run never send twice.
    "notifications-deliver": {"task": "notifications.tasks.deliver_due", "schedule": 60.0, "options": {"expires": 50}},
    # Thumbnails and photo checks whose send was lost (broker down during the upload): sent again (ledger/tasks.py).
    "ledger-sweep-pending-photos": {
        "task": "ledger.sweep_pending_photos",
        "schedule": env.float("EVIDENCE_SWEEP_INTERVAL", default=60.0),
        "options": {"expires": 50},
    },
    # Reminder rules (dashboards/reminders.py): daily at 08:30, the weekly digest on Mondays at 08:30. Idempotent.
    "reminders-daily": {
        "task": "dashboards.send_reminders",
        "schedule": crontab(hour=8, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    "reminders-weekly-digest": {
        "task": "dashboards.send_reminders",
        "schedule": crontab(hour=8, minute=30, day_of_week=1),
        "kwargs": {"only": ["digest."]},
        "options": {"expires": 6 * 60 * 60},
    },
    # Unit snapshots for 动态管理 and the trends (dashboards/services.py): nightly, re-running a day replaces it,
    # missed days of the last weeks are filled.
    "dashboards-snapshot-units": {
        "task": "dashboards.snapshot_units",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 12 * 60 * 60},
    },
    # File check (backups/): missing, corrupted and orphaned media files, weekly on Sunday 03:00; the result is a
    # FileCheck row shown on the admin index.
    # 回收站 purge (trash/): what has been deleted longer than TRASH_RETENTION_DAYS goes for good, files included.
    # 04:30, clear of the nightly backup the README schedules at 02:30 (a purge during a backup removes files the
    # backup's database snapshot still refers to; backups/services.py records such files as vanished).
    "trash-purge-expired": {
        "task": "trash.purge_expired",
        "schedule": crontab(hour=4, minute=30),
        "options": {"expires": 12 * 60 * 60},
    },
    "backups-check-files": {
        "task": "backups.check_files",
        "schedule": crontab(hour=3, minute=0, day_of_week=0),
        "options": {"expires": 12 * 60 * 60},
    },
}

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a reverse proxy REMOTE_ADDR is the proxy for everyone: the lock-out key takes the client's address from
# X-Forwarded-For through this many trusted proxies (0 = no proxy, use REMOTE_ADDR). See config/client_ip.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip_address"

SESSION_COOKIE_AGE = 12 * 60 * 60

# Refused accesses (403, 404 on a scoped object) go into the 操作记录: at most one per user and path in this many
# seconds (organizations/refusals.py; the window lives in the cache, so on Redis every web process shares it).
REFUSED_ACCESS_WINDOW = env.int("REFUSED_ACCESS_WINDOW", default=60)

# ------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# ------------------------------------------------------------------------------
# Static and uploaded files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# MEDIA_STORAGE=s3: uploads live in an S3-compatible store (MinIO, AWS S3) through django-storages, nothing on a web
# node's disk. Objects are private (no ACL) and never linked to: every file goes out through the app's scoped views,
# which read it with storage.open() (ledger/serving.py). Path-style addressing suits MinIO; file names never overwrite.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "location": env("AWS_LOCATION", default=""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # A file read back (serving, ZIP, archive) is spooled in memory up to this size, then in a temp file.
            "max_memory_size": env.int("AWS_S3_MAX_MEMORY_SIZE", default=8 * 1024 * 1024),
        },
    }
elif MEDIA_STORAGE != "local":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}")
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
# A pasted plan may be CAMPAIGNS_PLAN_MAX_MB of UTF-8 text (README); posted as a form, every byte of Chinese text
# becomes "%XX" (3 bytes), so the request body limit is three times that plus room for the other fields. A paste
# over the plan limit but under the body limit gets the importer's Chinese message rather than a bare 400.
CAMPAIGNS_PLAN_MAX_MB = env.int("CAMPAIGNS_PLAN_MAX_MB", default=5)
DATA_UPLOAD_MAX_MEMORY_SIZE = (3 * CAMPAIGNS_PLAN_MAX_MB + 1) * 1024 * 1024

# ------------------------------------------------------------------------------
# Evidence checks on photos (ledger/evidence_checks.py): duplicates, capture time, banner text
# ------------------------------------------------------------------------------
# Run the checks (task ledger.tasks.check_photo_ocr on the "ocr" queue) after every photo upload.
EVIDENCE_CHECKS_ON_UPLOAD = env.bool("EVIDENCE_CHECKS_ON_UPLOAD", default=True)
# Two photos are 疑似重复 when pHash and dHash together (128 bits) differ in at most this many bits. Measured on
# generated photos: a 3–4 % cropped, resized, re-encoded copy ≤ 26; distinct photos ≥ 32 (bench/evidence_checks.py).
EVIDENCE_DUPLICATE_MAX_DISTANCE = env.int("EVIDENCE_DUPLICATE_MAX_DISTANCE", default=28)
# 拍摄时间不符: EXIF capture date more than this many days before/after the activity's dates.
EVIDENCE_TIME_TOLERANCE_DAYS = env.int("EVIDENCE_TIME_TOLERANCE_DAYS", default=3)
# OCR (optional package rapidocr-onnxruntime, requirements-ocr.txt). Off, or not installed: "OCR 未启用".
# On by default only with a real worker (Redis): in-process tasks would make every photo upload wait for it.
EVIDENCE_OCR_ENABLED = env.bool("EVIDENCE_OCR_ENABLED", default=bool(REDIS_URL))
# A photo whose thumbnail or check is still missing this many seconds after upload (the broker was down, a worker
# was killed holding it) is sent again by the ledger-sweep-pending-photos beat entry, up to MAX_AGE after upload.
EVIDENCE_SWEEP_AFTER = env.int("EVIDENCE_SWEEP_AFTER", default=5 * 60)
EVIDENCE_SWEEP_MAX_AGE = env.int("EVIDENCE_SWEEP_MAX_AGE", default=2 * 24 * 60 * 60)
EVIDENCE_OCR_TIMEOUT = env.float("EVIDENCE_OCR_TIMEOUT", default=20.0)  # a photo taking longer is skipped
EVIDENCE_OCR_MAX_SIDE = env.int("EVIDENCE_OCR_MAX_SIDE", default=1280)  # photos are downscaled to this first
EVIDENCE_OCR_THREADS = env.int("EVIDENCE_OCR_THREADS", default=2)
# Photos read at once per worker host, whatever the worker's concurrency (file-lock slots).
EVIDENCE_OCR_CONCURRENCY = env.int("EVIDENCE_OCR_CONCURRENCY", default=1)

# ------------------------------------------------------------------------------
# Email
# ------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="wenming@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Absolute links in emails and robot messages start with this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# ------------------------------------------------------------------------------
# Notifications (notifications/): working time, retries, group robots
# ------------------------------------------------------------------------------
NOTIFY_WORK_START = env("NOTIFY_WORK_START", default="08:30")
NOTIFY_WORK_END = env("NOTIFY_WORK_END", default="18:00")
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=60)
NOTIFY_RETRY_MAX_SECONDS = env.float("NOTIFY_RETRY_MAX_SECONDS", default=3600)
# A row still "sending" after this was cut off mid-send: marked 失败, never resent automatically.
NOTIFY_SENDING_TIMEOUT = env.int("NOTIFY_SENDING_TIMEOUT", default=600)
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=500)
# Both vendors allow 20 messages a minute per robot; 钉钉 blocks a robot for 10 minutes beyond that.
NOTIFY_ROBOT_RATE_LIMIT = env.int("NOTIFY_ROBOT_RATE_LIMIT", default=20)
NOTIFY_ROBOT_RATE_WINDOW = env.float("NOTIFY_ROBOT_RATE_WINDOW", default=60)
NOTIFY_ROBOT_THROTTLE_PAUSE = env.int("NOTIFY_ROBOT_THROTTLE_PAUSE", default=600)
NOTIFY_ROBOT_TIMEOUT = env.float("NOTIFY_ROBOT_TIMEOUT", default=5)
# Webhooks go to qyapi.weixin.qq.com / oapi.dingtalk.com over https; an intranet gateway must be listed here.
NOTIFY_ROBOT_ALLOWED_HOSTS = env.list("NOTIFY_ROBOT_ALLOWED_HOSTS", default=[])
NOTIFY_ROBOT_ALLOW_PRIVATE = env.bool("NOTIFY_ROBOT_ALLOW_PRIVATE", default=False)
NOTIFY_ROBOT_ALLOW_HTTP = env.bool("NOTIFY_ROBOT_ALLOW_HTTP", default=False)

# ------------------------------------------------------------------------------
# Security headers (stricter values in production.py come from the environment too)
# ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# config.middleware.SecurityHeadersMiddleware sends these on every HTML response, in every environment. Scripts come
# from this site (plus the request's nonce, `{{ request.csp_nonce }}`); nothing inline: no <script> blocks, no on*=
# handlers, no style="" attributes (sizes that vary travel in data-wm-* attributes, static/js/app.js applies them).
CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
}
# Features no page uses are switched off (a phone's camera still opens from <input type="file" capture>).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
# A refused CSRF check shows a Chinese page in the site's layout (config/views.py; the other error pages too).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# ------------------------------------------------------------------------------
# Import / export
# ------------------------------------------------------------------------------
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# ------------------------------------------------------------------------------
# Volunteers
# ------------------------------------------------------------------------------
# The unit of service time: 0.5 (default), or 0.1 where the site takes hours as volunteer platforms export them.
VOLUNTEERS_HOURS_STEP = env("VOLUNTEERS_HOURS_STEP", default="0.5")

# ------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks would log a line each (hundreds while seeding demo data); a real worker keeps its own -l level.
    LOGGING["loggers"].update({"celery.app.trace": {"level": "WARNING"}, "kombu": {"level": "ERROR"}})
