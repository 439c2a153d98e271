"""Shared fixtures: the permission world (an office over two sibling units), media on disk, the browser."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from organizations.models import Organization, OrganizationKind, Role, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# live_server + Playwright's sync API run the ORM beside an event loop (see ../shared/STACK-NOTES.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Lines the service tests leave for the end of the run (e.g. the Celery worker's answer), so the CI log shows them.
SERVICE_NOTES: list[str] = []


# The real documents the tests read (other people's writing, never copied into the project) sit beside the checkout.
SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (SHARED_DIR / "domain").is_dir():
        pytest.exit(
            f"测试需要项目旁的共享资料目录 {SHARED_DIR}（含 domain/ 下的真实方案与测评体系），但它不存在。"
            f" The suite reads real documents from {SHARED_DIR}; put shared/ beside the checkout.",
            returncode=4,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    return [
        f"wenming: database engine={db['ENGINE']} name={db.get('NAME')} host={db.get('HOST') or '-'}",
        f"wenming: redis={settings.REDIS_URL or '(not set: worker tests skipped)'} CI={IN_CI}",
    ]


def pytest_terminal_summary(terminalreporter) -> None:
    if SERVICE_NOTES:
        terminalreporter.section("real services used")
        for line in SERVICE_NOTES:
            terminalreporter.write_line(line)


def _needs_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(item.get_closest_marker("django_db")) or bool(
        fixtures & {"db", "transactional_db", "live_server", "django_db_setup", "world", "client", "admin_client"}
    )


@pytest.fixture(scope="session", autouse=True)
def _require_real_services_in_ci(request: pytest.FixtureRequest, django_db_blocker) -> None:
    """With CI=true the suite must run on PostgreSQL with Redis reachable; otherwise stop, don't skip.

    A run whose tests need no database (a parser test file alone, say) creates no test database at all.
    """
    if not any(_needs_database(item) for item in request.session.items):
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        vendor = connection.vendor
        connection.ensure_connection()
        version = ""
        if vendor == "postgresql":
            version = f"server {connection.pg_version // 10000}.{connection.pg_version % 10000}"
        SERVICE_NOTES.append(f"test database: {vendor} {version} name={connection.settings_dict['NAME']}")
    if not IN_CI:
        return
    if vendor != "postgresql":
        pytest.exit(f"CI=true but the test database is {vendor}, not PostgreSQL (set DATABASE_URL)", returncode=3)
    if not settings.REDIS_URL:
        pytest.exit("CI=true but REDIS_URL is not set", returncode=3)
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.exit(f"CI=true but Redis at {settings.REDIS_URL} does not answer: {exc}", returncode=3)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes uploads into its own folder on disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


# ----------------------------------------------------------------------------------------------
# The permission world
# ----------------------------------------------------------------------------------------------
# Actor names used by the permission matrix: anonymous, the city office's roles, and every role
# in two sibling units A and B (the liaison sits in a department of its unit).
OFFICE_ACTORS = ("city_admin", "city_office", "city_leader")
UNIT_ROLES = ("admin", "office", "leader", "liaison")
ACTORS = ("anon", *OFFICE_ACTORS, *(f"{u}_{r}" for u in ("a", "b") for r in UNIT_ROLES))


@dataclass
class World:
    city: Organization
    unit_a: Organization
    unit_b: Organization
    dept_a: Organization
    dept_b: Organization
    affiliate_a: Organization
    affiliate_b: Organization
    users: dict[str, User | None] = field(default_factory=dict)
    # Later apps cache the objects they build for the matrix here (see tests/permissions/).
    cache: dict[str, object] = field(default_factory=dict)

    def user(self, actor: str) -> User | None:
        return self.users[actor]

    def once(self, key: str, build):
        """Build an object once per world (the matrix calls kwargs builders for every actor)."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


def build_world() -> World:
    city = OrganizationFactory(name="测试市文明办", code="t-city", kind=OrganizationKind.OFFICE)
    unit_a = OrganizationFactory(name="甲单位", code="t-a", kind=OrganizationKind.UNIT, parent=city)
    unit_b = OrganizationFactory(name="乙单位", code="t-b", kind=OrganizationKind.UNIT, parent=city)
    world = World(
        city=city,
        unit_a=unit_a,
        unit_b=unit_b,
        dept_a=OrganizationFactory(name="甲办公室", code="t-a-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit_a),
        dept_b=OrganizationFactory(name="乙办公室", code="t-b-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit_b),
        affiliate_a=OrganizationFactory(
            name="甲同创单位", code="t-a-tc", kind=OrganizationKind.AFFILIATE, parent=unit_a
        ),
        affiliate_b=OrganizationFactory(
            name="乙同创单位", code="t-b-tc", kind=OrganizationKind.AFFILIATE, parent=unit_b
        ),
    )
    world.users["anon"] = None
    for actor in OFFICE_ACTORS:
        role = actor.split("_", 1)[1]
        world.users[actor] = MembershipFactory(
            user=UserFactory(username=actor), organization=city, role=Role(role)
        ).user
    for side, unit, dept in (("a", unit_a, world.dept_a), ("b", unit_b, world.dept_b)):
        for role in UNIT_ROLES:
            org = dept if role == "liaison" else unit
            actor = f"{side}_{role}"
            world.users[actor] = MembershipFactory(
                user=UserFactory(username=actor), organization=org, role=Role(role)
            ).user
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()


# ----------------------------------------------------------------------------------------------
# A real Celery worker
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def celery_worker():
    """A worker thread consuming from the real Redis broker; tasks are not eager while it runs."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10) as w:
            yield w
    finally:
        app.conf.task_always_eager = eager


# ----------------------------------------------------------------------------------------------
# Browser (Debian's chromium; `playwright install` cannot download here)
# ----------------------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
