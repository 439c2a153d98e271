"""Lock-out behind the reverse proxy: per username and client address, the client read from X-Forwarded-For.

In production every request reaches Django from the proxy, so REMOTE_ADDR is the proxy's address for everyone.
The test client sends REMOTE_ADDR=127.0.0.1 on every request: exactly that situation.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.client_ip import client_ip_address
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.23"


def _login(client: Client, password: str, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": "zhangsan", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def test_wrong_guesses_from_one_client_do_not_lock_out_another(behind_one_proxy):
    """GIVEN one trusted proxy WHEN client A guesses wrong five times THEN A is locked out (even with the right
    password) and gets the Chinese lock-out page, while client B, arriving through the same proxy, still signs in."""
    MembershipFactory(user=UserFactory(username="zhangsan"))
    attacker = Client()
    for _ in range(behind_one_proxy.AXES_FAILURE_LIMIT - 1):
        assert _login(attacker, "wrong", CLIENT_A).status_code == 200
    assert _login(attacker, "wrong", CLIENT_A).status_code == 429  # the fifth wrong guess locks
    locked = _login(attacker, "Passw0rd!", CLIENT_A)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "登录失败次数过多" in html and "锁定" in html
    assert "_auth_user_id" not in attacker.session

    victim = Client()
    response = _login(victim, "Passw0rd!", CLIENT_B)
    assert response.status_code == 302
    assert "_auth_user_id" in victim.session


def test_client_cannot_dodge_the_lock_by_prepending_a_forged_address(behind_one_proxy):
    """The proxy appends the address it saw; whatever the client wrote in front of it is not trusted."""
    UserFactory(username="zhangsan")
    attacker = Client()
    for i in range(behind_one_proxy.AXES_FAILURE_LIMIT):
        _login(attacker, "wrong", f"192.0.2.{i}, {CLIENT_A}")
    assert _login(attacker, "Passw0rd!", f"192.0.2.99, {CLIENT_A}").status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(settings):
    """Default (0 trusted proxies): a forged X-Forwarded-For changes nothing, REMOTE_ADDR is the address."""
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="zhangsan")
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", f"192.0.2.{i}")
    assert _login(client, "Passw0rd!", "192.0.2.200").status_code == 429


@pytest.mark.parametrize(
    ("count", "remote", "header", "expected"),
    [
        (0, "10.0.0.2", "203.0.113.7", "10.0.0.2"),
        (1, "10.0.0.2", "203.0.113.7", "203.0.113.7"),
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (2, "10.0.0.3", "1.2.3.4, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "10.0.0.2", "", "10.0.0.2"),
        (2, "10.0.0.3", "203.0.113.7", "10.0.0.3"),  # fewer hops than proxies: not through the proxies
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        (1, "10.0.0.2", " 2001:db8::7 ", "2001:db8::7"),
    ],
)
def test_client_address_from_the_trusted_hops(settings, count, remote, header, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header)
    assert client_ip_address(request) == expected


def test_lockout_page_renders_in_chinese_with_429(settings):
    """The lock-out page is the site's layout in Chinese, not axes' English default or a 500."""
    UserFactory(username="zhangsan")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "zhangsan", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "zhangsan", "password": "wrong"})
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "账号已暂时锁定" in html and "返回登录页" in html and 'lang="zh' in html
    assert f"连续 {settings.AXES_FAILURE_LIMIT} 次密码错误" in html
    assert "Account locked" not in html
