"""Sign-in, lock-out, password change, and that every page wants a signed-in user."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_and_signs_in():
    user = MembershipFactory(user=UserFactory(username="zhangsan")).user
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "登录" in html and "用户名" in html and "密码" in html
    response = client.post(reverse("login"), {"username": "zhangsan", "password": "Passw0rd!"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:home")
    home = client.get(reverse("dashboards:home"))
    assert user.real_name in home.content.decode()


def test_wrong_password_gets_a_chinese_message():
    UserFactory(username="lisi")
    response = Client().post(reverse("login"), {"username": "lisi", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_repeated_failures_lock_the_account_even_for_the_right_password(settings):
    """GIVEN 5 wrong passwords WHEN the right one follows THEN axes refuses it with the Chinese lock-out page."""
    UserFactory(username="wangwu")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "wangwu", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "wangwu", "password": "Passw0rd!"})
    assert response.status_code in (403, 429)
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_page_but_login_requires_a_signed_in_user():
    client = Client()
    for name in ("dashboards:home", "organizations:list", "campaigns:index", "password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_password_change_keeps_the_user_signed_in():
    user = UserFactory(username="zhaoliu")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "Passw0rd!", "new_password1": "Xin-Mima-2026!", "new_password2": "Xin-Mima-2026!"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xin-Mima-2026!")


def test_logout_is_a_post():
    client = Client()
    client.force_login(UserFactory())
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboards:home")).status_code == 302
