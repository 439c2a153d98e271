"""管理员 manage their part of the tree and its people in the app; every change lands in the audit trail."""

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import AuditEntry, Membership, Organization, OrganizationKind, Role, User

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_admin_adds_a_department_and_it_is_audited(world):
    client = _client(world.user("a_admin"))
    response = client.post(
        reverse("organizations:create_child", args=[world.unit_a.pk]),
        {"name": "宣传科", "short_name": "", "code": "t-a-xck", "kind": "department", "order": "3"},
    )
    dept = Organization.objects.get(code="t-a-xck")
    assert response.status_code == 302 and response["Location"] == reverse("organizations:detail", args=[dept.pk])
    assert dept.parent == world.unit_a and dept.path.startswith(world.unit_a.path)
    entry = AuditEntry.objects.get(action="create", object_type="organizations.Organization", object_id=str(dept.pk))
    assert entry.actor == world.user("a_admin")


def test_bad_input_keeps_what_was_typed_and_saves_nothing(world):
    client = _client(world.user("a_admin"))
    before = Organization.objects.count()
    response = client.post(
        reverse("organizations:create_child", args=[world.unit_a.pk]),
        {"name": "宣传科", "code": "t-a-bgs", "kind": "department"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "该代码已被其他组织使用" in html
    assert 'value="宣传科"' in html
    response = client.post(
        reverse("organizations:create_child", args=[world.unit_a.pk]),
        {"name": "宣传科", "code": "中文 代码", "kind": "office"},
    )
    html = response.content.decode()
    assert "代码只能包含字母" in html
    assert "选择一个有效的选项" in html or "有效" in html
    assert Organization.objects.count() == before


def test_admin_adds_a_new_person_who_can_then_sign_in(world):
    client = _client(world.user("a_admin"))
    response = client.post(
        reverse("organizations:member_add", args=[world.dept_a.pk]),
        {
            "username": "xinren",
            "real_name": "钱多多",
            "phone": "13800000000",
            "password": "Chuangjian-2026",
            "role": "liaison",
            "title": "联络员",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="xinren")
    assert user.real_name == "钱多多" and user.check_password("Chuangjian-2026")
    assert Membership.objects.filter(user=user, organization=world.dept_a, role=Role.LIAISON).exists()
    login = Client().post(reverse("login"), {"username": "xinren", "password": "Chuangjian-2026"})
    assert login.status_code == 302


def test_new_account_needs_name_and_a_decent_password(world):
    client = _client(world.user("a_admin"))
    response = client.post(
        reverse("organizations:member_add", args=[world.dept_a.pk]),
        {"username": "weak", "real_name": "", "password": "12345678", "role": "liaison"},
    )
    html = response.content.decode()
    assert "新账号请填写姓名" in html
    assert "全部为数字" in html or "数字" in html
    assert not User.objects.filter(username="weak").exists()


def test_existing_user_can_be_given_a_second_role(world):
    client = _client(world.user("a_admin"))
    response = client.post(
        reverse("organizations:member_add", args=[world.dept_a.pk]),
        {"username": "a_leader", "role": "liaison"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="a_leader", organization=world.dept_a).exists()
    again = client.post(
        reverse("organizations:member_add", args=[world.dept_a.pk]), {"username": "a_leader", "role": "liaison"}
    )
    assert "已经是该组织的联络员" in again.content.decode()


def test_revoking_a_role_is_recorded(world):
    membership = Membership.objects.get(user__username="a_liaison")
    client = _client(world.user("a_admin"))
    response = client.post(reverse("organizations:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    entry = AuditEntry.objects.get(action="revoke")
    assert entry.details == {"username": "a_liaison", "role": "liaison"}
    assert entry.organization == world.dept_a
    # The trail is visible to the unit, not to the sibling unit.
    assert "a_liaison" in str(entry.details)
    html = client.get(reverse("organizations:audit"), {"action": "revoke"}).content.decode()
    assert entry.object_repr in html
    other = _client(world.user("b_admin")).get(reverse("organizations:audit")).content.decode()
    assert entry.object_repr not in other


def test_admin_cannot_revoke_their_own_admin_role(world):
    membership = Membership.objects.get(user__username="a_admin")
    response = _client(world.user("a_admin")).post(reverse("organizations:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_password_reset_shows_a_new_password_once_and_lifts_the_lockout(world, settings):
    target = world.user("a_liaison")
    anon = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anon.post(reverse("login"), {"username": "a_liaison", "password": "wrong"})
    assert anon.post(reverse("login"), {"username": "a_liaison", "password": "Passw0rd!"}).status_code != 302
    membership = Membership.objects.get(user=target)
    response = _client(world.user("a_admin")).post(reverse("organizations:member_password", args=[membership.pk]))
    password = response.context["password"]
    assert password in response.content.decode()
    target.refresh_from_db()
    assert target.check_password(password)
    assert Client().post(reverse("login"), {"username": "a_liaison", "password": password}).status_code == 302
    assert AuditEntry.objects.filter(action="password_reset", object_id=str(target.pk)).exists()


def test_office_kind_offered_only_where_it_fits(world):
    page = _client(world.user("a_admin")).get(reverse("organizations:create_child", args=[world.unit_a.pk]))
    kinds = [value for value, _ in page.context["form"].fields["kind"].choices]
    assert kinds == [OrganizationKind.DEPARTMENT, OrganizationKind.AFFILIATE]
