"""Refused accesses (403, and 404 on a scoped object) are logged with user and path, rate-limited, and shown to the
管理员 on the 操作记录 page."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse

from organizations.models import AccessRefusal
from tests.conftest import IN_CI
from tests.factories import CampaignFactory, EventFactory


def _clear_refusal_windows() -> None:
    """Forget the rate-limit windows. Never `cache.clear()` on Redis: that flushes the database other runs share."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()
        return
    import redis

    try:
        client = backend._cache.get_client()
        for key in client.scan_iter(f"*{settings.REDIS_KEY_PREFIX}refused:*"):
            client.delete(key)
    except redis.ConnectionError:
        pass  # the test that points the cache at a closed port


@pytest.fixture(autouse=True)
def _fresh_cache():
    _clear_refusal_windows()
    yield
    _clear_refusal_windows()


def _client(world, actor: str) -> Client:
    client = Client()
    client.force_login(world.user(actor))
    return client


def _refused():
    return AccessRefusal.objects.order_by("pk")


def _b_event(world):
    return EventFactory(campaign=CampaignFactory(unit=world.unit_b), organization=world.dept_b, title="乙档案")


def test_a_404_on_another_units_dossier_is_logged_once_a_minute(world, settings):
    """GIVEN unit B's dossier WHEN A's liaison opens it three times and a second id once THEN two entries (user,
    path, status), not four; after the window the same path is logged again."""
    settings.REFUSED_ACCESS_WINDOW = 1
    event, other = _b_event(world), _b_event(world)
    client = _client(world, "a_liaison")
    url = reverse("ledger:detail", args=[event.pk])
    for _ in range(3):
        assert client.get(url).status_code == 404
    assert client.get(reverse("ledger:detail", args=[other.pk])).status_code == 404
    rows = list(_refused())
    assert [(r.actor.username, r.path, r.status, r.organization) for r in rows] == [
        ("a_liaison", url, 404, world.dept_a),
        ("a_liaison", reverse("ledger:detail", args=[other.pk]), 404, world.dept_a),
    ]
    time.sleep(1.2)
    assert client.get(url).status_code == 404
    assert _refused().count() == 3
    # Another user on the same path has their own window.
    assert _client(world, "a_office").get(url).status_code == 404
    assert _refused().count() == 4


def test_a_403_is_logged_and_unknown_urls_and_anonymous_users_are_not(world):
    url = reverse("organizations:create_child", args=[world.unit_a.pk])
    assert _client(world, "a_office").get(url).status_code == 403
    entry = _refused().get()
    assert (entry.actor.username, entry.path, entry.status, entry.method) == (
        "a_office",
        url,
        403,
        "GET",
    )
    assert _client(world, "a_office").get("/no-such-page/").status_code == 404
    assert Client().get(reverse("ledger:detail", args=[_b_event(world).pk])).status_code == 302
    assert _refused().count() == 1


def test_refusals_are_shown_to_the_admins_on_the_audit_page_only(world):
    """GIVEN a refusal of A's liaison WHEN the 操作记录 is opened THEN A's 管理员 and the city's see it with the path;
    A's 创建办 and 领导 and B's 管理员 do not."""
    url = reverse("ledger:detail", args=[_b_event(world).pk])
    _client(world, "a_liaison").get(url)
    audit = reverse("organizations:audit")
    for actor, sees in (
        ("a_admin", True),
        ("city_admin", True),
        ("a_office", False),
        ("a_leader", False),
        ("b_admin", False),
        ("a_liaison", False),
    ):
        body = _client(world, actor).get(audit, {"action": "refused"}).content.decode()
        assert (url in body) is sees, actor
        if sees:
            assert "拒绝访问" in body and "GET · 404" in body


def test_the_rate_limit_is_shared_through_redis(world, settings):
    """GIVEN the cache on the real Redis WHEN the same refusal comes twice THEN one entry (the window lives in Redis,
    so every web process shares it); with Redis unreachable the refusal is still recorded and still a 404."""
    if not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("REDIS_URL is not set")
        pytest.skip("needs REDIS_URL")
    redis_cache = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": redis_cache, "LOCATION": settings.REDIS_URL}}
    _clear_refusal_windows()
    url = reverse("ledger:detail", args=[_b_event(world).pk])
    client = _client(world, "a_admin")
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    assert _refused().count() == 1
    client_redis = caches["default"]._cache.get_client()
    assert len(list(client_redis.scan_iter(f"*{settings.REDIS_KEY_PREFIX}refused:*"))) == 1
    _clear_refusal_windows()
    # Redis unreachable, with the backend production uses (config/cache.py: an outage is a miss, and the session,
    # cached_db with REDIS_URL, falls back to the database).
    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404
    assert _refused().count() == 3
