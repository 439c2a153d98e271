"""Who may add, reset, edit and grant whom: the account-takeover path found from outside, closed in the services.

The rules live in organizations/services.py; these tests drive them through the test client as the real roles and
through the services directly (the form is not the only way in).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from organizations import services
from organizations.models import AuditEntry, Membership, Organization, OrganizationKind, Role, User
from tests.factories import CampaignFactory, EventFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"  # the factories' password


def _client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _snapshot() -> dict:
    """Everything the takeover could change: accounts (hash, flags, contact), memberships, the audit trail."""
    return {
        "users": sorted(
            User.objects.values_list("pk", "username", "password", "real_name", "phone", "is_staff", "is_superuser")
        ),
        "memberships": sorted(Membership.objects.values_list("user_id", "organization_id", "role")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def sysadmin(db) -> User:
    """The platform operator: a superuser without any membership, as seed_demo makes it."""
    return UserFactory(username="sysadmin", is_staff=True, is_superuser=True)


def _add(client: Client, org: Organization, **data):
    return client.post(reverse("organizations:member_add", args=[org.pk]), {"role": "liaison", **data})


# ----------------------------------------------------------------------------------------------------------------
# The whole takeover path, as the unit admin would walk it
# ----------------------------------------------------------------------------------------------------------------
def test_unit_admin_cannot_take_over_any_account(world, sysadmin):
    """GIVEN unit A's admin WHEN they add the superuser's, the city admin's and unit B's admin's usernames to their
    department, and press 重置密码 on unit B's admin (even through a membership that already sits in unit A)
    THEN every step is refused in Chinese and nothing in the database changed."""
    # A membership of B's admin inside unit A, left from before the fix (or made by the platform), is the last door.
    planted = MembershipFactory(user=world.user("b_admin"), organization=world.dept_a, role=Role.LIAISON)
    before = _snapshot()
    attacker = _client(world.user("a_admin"))

    for username in ("sysadmin", "city_admin", "b_admin", "b_liaison"):
        response = _add(attacker, world.dept_a, username=username, role="admin")
        assert response.status_code == 200, username
        assert "该账号属于其他组织" in response.content.decode(), username

    response = attacker.post(reverse("organizations:member_password", args=[planted.pk]))
    assert response.status_code == 403
    assert "password" not in (response.context or {})

    assert _snapshot() == before
    # B's admin still signs in with the old password; nobody learned a new one.
    assert Client().post(reverse("login"), {"username": "b_admin", "password": PASSWORD}).status_code == 302


def test_takeover_is_refused_by_the_services_too(world, sysadmin):
    """The services refuse on their own, whatever form or command calls them."""
    actor = world.user("a_admin")
    before = _snapshot()
    for target in (sysadmin, world.user("city_admin"), world.user("b_admin")):
        with pytest.raises(services.OrganizationError, match="该账号属于其他组织"):
            services.member_add(organization=world.dept_a, actor=actor, username=target.username, role=Role.ADMIN)
        with pytest.raises(PermissionDenied):
            services.user_password_reset(user=target, actor=actor, organization=world.dept_a)
        with pytest.raises(PermissionDenied):
            services.user_update_profile(user=target, actor=actor, real_name="攻击者", phone="110")
    assert _snapshot() == before


# ----------------------------------------------------------------------------------------------------------------
# Adding an existing account
# ----------------------------------------------------------------------------------------------------------------
def test_account_without_memberships_can_be_added_but_not_staff(world):
    actor = world.user("a_admin")
    loose = UserFactory(username="xinlai")
    staff = UserFactory(username="yunwei", is_staff=True)
    membership = services.member_add(organization=world.dept_a, actor=actor, username="xinlai", role=Role.LIAISON)
    assert membership.user == loose
    with pytest.raises(services.OrganizationError, match="该账号属于其他组织"):
        services.member_add(organization=world.dept_a, actor=actor, username="yunwei", role=Role.LIAISON)
    assert not staff.memberships.exists()


def test_account_inside_the_scope_can_be_given_a_second_role(world):
    membership = services.member_add(
        organization=world.dept_a, actor=world.user("a_admin"), username="a_office", role=Role.LIAISON
    )
    assert membership.organization == world.dept_a


def test_account_with_one_membership_outside_is_refused(world):
    """An account that sits in unit A and also in unit B is not unit A's to hand out."""
    both = MembershipFactory(organization=world.dept_b, role=Role.LIAISON).user
    MembershipFactory(user=both, organization=world.affiliate_a, role=Role.LIAISON)
    with pytest.raises(services.OrganizationError, match="该账号属于其他组织"):
        services.member_add(
            organization=world.dept_a, actor=world.user("a_admin"), username=both.username, role="liaison"
        )


def test_adding_to_an_organisation_outside_the_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.member_add(
            organization=world.unit_b,
            actor=world.user("a_admin"),
            username="neuer",
            role=Role.LIAISON,
            real_name="钱多多",
            password="Chuangjian-2026",
        )
    assert not User.objects.filter(username="neuer").exists()


# ----------------------------------------------------------------------------------------------------------------
# Password reset and edits of name/phone
# ----------------------------------------------------------------------------------------------------------------
def test_reset_and_edit_only_for_accounts_wholly_inside_the_scope(world):
    actor = world.user("a_admin")
    target = world.user("a_liaison")
    password = services.user_password_reset(user=target, actor=actor, organization=world.dept_a)
    target.refresh_from_db()
    assert target.check_password(password)
    services.user_update_profile(
        user=target, actor=actor, real_name="李思远", phone="13900000000", organization=world.dept_a
    )
    target.refresh_from_db()
    assert (target.real_name, target.phone) == ("李思远", "13900000000")

    # The same person, once also a member of unit B, is no longer unit A's to reset.
    MembershipFactory(user=target, organization=world.dept_b, role=Role.LIAISON)
    old_hash = User.objects.get(pk=target.pk).password
    with pytest.raises(PermissionDenied, match="其他组织"):
        services.user_password_reset(user=target, actor=actor, organization=world.dept_a)
    with pytest.raises(PermissionDenied, match="其他组织"):
        services.user_update_profile(user=target, actor=actor, real_name="别人", phone="", organization=world.dept_a)
    target.refresh_from_db()
    assert target.password == old_hash and target.real_name == "李思远"


def test_staff_accounts_are_never_reset_by_an_organisation_admin(world):
    """A staff account placed in unit A (say by the platform) still cannot be reset from unit A."""
    target = world.user("a_liaison")
    User.objects.filter(pk=target.pk).update(is_staff=True)
    target.refresh_from_db()
    old_hash = target.password
    membership = Membership.objects.get(user=target)
    response = _client(world.user("a_admin")).post(reverse("organizations:member_password", args=[membership.pk]))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.password == old_hash


def test_city_admin_resets_a_unit_account_and_the_unit_sees_it(world):
    membership = Membership.objects.get(user__username="a_liaison")
    response = _client(world.user("city_admin")).post(reverse("organizations:member_password", args=[membership.pk]))
    assert response.status_code == 200 and response.context["password"]
    html = _client(world.user("a_admin")).get(reverse("organizations:audit"), {"action": "password_reset"})
    assert "a_liaison" in html.content.decode() or world.user("a_liaison").real_name in html.content.decode()


def test_admin_edits_a_persons_name_and_phone_in_the_app(world):
    membership = Membership.objects.get(user__username="a_liaison")
    url = reverse("organizations:member_edit", args=[membership.pk])
    client = _client(world.user("a_admin"))
    page = client.get(url)
    assert page.status_code == 200 and "姓名" in page.content.decode()
    response = client.post(url, {"real_name": "李新名", "phone": "13700000000"})
    assert response.status_code == 302
    user = User.objects.get(username="a_liaison")
    assert (user.real_name, user.phone) == ("李新名", "13700000000")
    entry = AuditEntry.objects.get(action="update", object_type="organizations.User", object_id=str(user.pk))
    assert entry.organization == world.dept_a and entry.actor == world.user("a_admin")


def test_admin_cannot_edit_a_person_who_also_belongs_elsewhere(world):
    planted = MembershipFactory(user=world.user("b_admin"), organization=world.dept_a, role=Role.LIAISON)
    before = _snapshot()
    response = _client(world.user("a_admin")).post(
        reverse("organizations:member_edit", args=[planted.pk]), {"real_name": "冒名", "phone": "1"}
    )
    assert response.status_code == 403
    assert _snapshot() == before


# ----------------------------------------------------------------------------------------------------------------
# Granting roles
# ----------------------------------------------------------------------------------------------------------------
def test_nobody_grants_a_role_to_themselves(world, sysadmin):
    before = _snapshot()
    response = _add(_client(world.user("a_admin")), world.dept_a, username="a_admin", role="office")
    assert "不能给自己授予角色" in response.content.decode()
    for actor, org in (("a_admin", world.dept_a), ("city_admin", world.unit_a), ("city_admin", world.city)):
        with pytest.raises(PermissionDenied, match="不能给自己授予角色"):
            services.membership_grant(
                user=world.user(actor), organization=org, role=Role.OFFICE, actor=world.user(actor)
            )
    with pytest.raises(PermissionDenied, match="不能给自己授予角色"):
        services.membership_grant(user=sysadmin, organization=world.unit_a, role=Role.ADMIN, actor=sysadmin)
    assert _snapshot() == before


def test_city_admin_cannot_make_itself_office_of_a_unit_and_edit_its_dossiers(world):
    """Found from outside: city_admin added itself as 创建办 of unit A, then edited unit A's dossier."""
    event = EventFactory(campaign=CampaignFactory(unit=world.unit_a), title="学雷锋志愿服务")
    client = _client(world.user("city_admin"))
    response = _add(client, world.unit_a, username="city_admin", role="office")
    assert response.status_code == 200
    assert not Membership.objects.filter(user__username="city_admin", organization=world.unit_a).exists()
    edit = client.get(reverse("ledger:edit", args=[event.pk]))
    assert edit.status_code in (403, 404)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LIAISON, Role.LEADER])
def test_office_admin_grants_no_content_role_inside_a_unit(world, role):
    client = _client(world.user("city_admin"))
    before = _snapshot()
    for org in (world.unit_a, world.dept_a, world.affiliate_a):
        response = _add(
            client, org, username=f"puppet-{org.pk}", real_name="傀儡", password="Chuangjian-2026", role=role.value
        )
        assert response.status_code == 200
        assert "文明办管理员" in response.content.decode()
    with pytest.raises(PermissionDenied, match="文明办管理员"):
        services.membership_grant(
            user=world.user("b_leader"), organization=world.unit_b, role=role, actor=world.user("city_admin")
        )
    assert _snapshot() == before


def test_office_admin_onboards_a_units_first_admin_only(world):
    city_admin = world.user("city_admin")
    new_unit = OrganizationFactory(name="丙单位", code="t-c", kind=OrganizationKind.UNIT, parent=world.city)
    response = _add(
        _client(city_admin),
        new_unit,
        username="c_admin",
        real_name="丙管理员",
        password="Chuangjian-2026",
        role="admin",
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="c_admin", organization=new_unit, role=Role.ADMIN).exists()
    # The unit now has its admin: a second one, or one in a department, is the unit's business.
    with pytest.raises(PermissionDenied, match="首位管理员"):
        services.member_add(
            organization=new_unit,
            actor=city_admin,
            username="c_admin2",
            real_name="另一人",
            password="Chuangjian-2026",
            role=Role.ADMIN,
        )
    with pytest.raises(PermissionDenied, match="首位管理员"):
        services.member_add(
            organization=world.dept_a,
            actor=city_admin,
            username="d_admin",
            real_name="科室",
            password="Chuangjian-2026",
            role=Role.ADMIN,
        )
    # Inside its own office tree the city admin grants any role.
    office_dept = OrganizationFactory(
        name="综合科", code="t-city-zhk", kind=OrganizationKind.DEPARTMENT, parent=world.city
    )
    services.member_add(
        organization=office_dept,
        actor=city_admin,
        username="zhk",
        real_name="综合科员",
        password="Chuangjian-2026",
        role=Role.LIAISON,
    )
    # The unit's own admin grants content roles in the unit.
    services.member_add(
        organization=new_unit,
        actor=User.objects.get(username="c_admin"),
        username="c_office",
        real_name="丙创建办",
        password="Chuangjian-2026",
        role=Role.OFFICE,
    )


# ----------------------------------------------------------------------------------------------------------------
# Kinds
# ----------------------------------------------------------------------------------------------------------------
def _edit(client: Client, org: Organization, kind: str):
    return client.post(
        reverse("organizations:edit", args=[org.pk]),
        {"name": org.name, "short_name": org.short_name, "code": org.code, "kind": kind, "order": org.order},
    )


def test_unit_admin_cannot_change_the_kind_of_their_own_unit(world):
    """Found from outside: a_admin turned unit A into a 文明办 and its campaign and ledger answered 404 for everyone."""
    event = EventFactory(campaign=CampaignFactory(unit=world.unit_a))
    client = _client(world.user("a_admin"))
    page = client.get(reverse("organizations:edit", args=[world.unit_a.pk]))
    assert page.context["form"].fields["kind"].disabled
    assert "本单位及上级组织的类型只能由上级管理员修改" in page.content.decode()
    _edit(client, world.unit_a, OrganizationKind.OFFICE)  # a crafted POST: the disabled field keeps the old kind
    world.unit_a.refresh_from_db()
    assert world.unit_a.kind == OrganizationKind.UNIT
    assert _client(world.user("a_office")).get(reverse("ledger:detail", args=[event.pk])).status_code == 200
    # Renaming is still the unit's own business.
    response = _client(world.user("a_admin")).post(
        reverse("organizations:edit", args=[world.unit_a.pk]),
        {"name": "甲单位（新）", "short_name": "", "code": "t-a", "kind": "unit", "order": 0},
    )
    assert response.status_code == 302
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "甲单位（新）"
    with pytest.raises(PermissionDenied, match="不能修改本单位或上级组织的类型"):
        services.organization_update(
            organization=world.unit_a,
            actor=world.user("a_admin"),
            name="甲单位",
            short_name="",
            code="t-a",
            kind=OrganizationKind.DEPARTMENT,
            order=0,
        )


def test_kind_change_that_strands_campaigns_is_refused(world):
    CampaignFactory(unit=world.unit_a)
    response = _edit(_client(world.user("city_admin")), world.unit_a, OrganizationKind.OFFICE)
    assert "已有创建方案" in response.content.decode()
    with pytest.raises(services.OrganizationError, match="已有创建方案"):
        services.organization_update(
            organization=world.unit_a,
            actor=None,
            name="甲单位",
            short_name="",
            code="t-a",
            kind=OrganizationKind.DEPARTMENT,
            order=0,
        )
    world.unit_a.refresh_from_db()
    assert world.unit_a.kind == OrganizationKind.UNIT
    # A unit without campaigns may still be reshaped by the office above it.
    response = _edit(_client(world.user("city_admin")), world.unit_b, OrganizationKind.DEPARTMENT)
    assert response.status_code == 302
    world.unit_b.refresh_from_db()
    assert world.unit_b.kind == OrganizationKind.DEPARTMENT


def test_department_admin_cannot_change_the_unit_above(world):
    dept_admin = MembershipFactory(organization=world.dept_a, role=Role.ADMIN).user
    with pytest.raises(PermissionDenied):
        services.organization_update(
            organization=world.unit_a,
            actor=dept_admin,
            name="甲单位",
            short_name="",
            code="t-a",
            kind=OrganizationKind.OFFICE,
            order=0,
        )
    # Their own department's kind is out of their reach too, but the unit admin may change it.
    with pytest.raises(PermissionDenied, match="不能修改本单位或上级组织的类型"):
        services.organization_update(
            organization=world.dept_a,
            actor=dept_admin,
            name="甲办公室",
            short_name="",
            code="t-a-bgs",
            kind=OrganizationKind.AFFILIATE,
            order=0,
        )
    services.organization_update(
        organization=world.dept_a,
        actor=world.user("a_admin"),
        name="甲办公室",
        short_name="",
        code="t-a-bgs",
        kind=OrganizationKind.AFFILIATE,
        order=0,
    )


# ----------------------------------------------------------------------------------------------------------------
# 操作记录
# ----------------------------------------------------------------------------------------------------------------
def test_every_grant_revoke_and_reset_shows_in_the_organisations_trail(world):
    """GIVEN unit A's admin grants, resets and revokes in its department THEN each shows in the 操作记录 of unit A's
    admin, with the organisation it touched, and none of it in unit B's."""
    client = _client(world.user("a_admin"))
    assert (
        _add(client, world.dept_a, username="xinren", real_name="钱多多", password="Chuangjian-2026").status_code == 302
    )
    membership = Membership.objects.get(user__username="xinren")
    assert client.post(reverse("organizations:member_password", args=[membership.pk])).status_code == 200
    assert client.post(reverse("organizations:member_remove", args=[membership.pk])).status_code == 302

    entries = AuditEntry.objects.filter(action__in=["grant", "password_reset", "revoke"], actor=world.user("a_admin"))
    assert sorted(entries.values_list("action", flat=True)) == ["grant", "password_reset", "revoke"]
    assert {e.organization_id for e in entries} == {world.dept_a.pk}
    grant = entries.get(action="grant")
    assert grant.details == {"username": "xinren", "role": "liaison"}

    html = client.get(reverse("organizations:audit")).content.decode()
    for label in ("授予角色", "重置密码", "撤销角色"):
        assert label in html
    assert html.count("钱多多") >= 3
    other = _client(world.user("b_admin")).get(reverse("organizations:audit")).content.decode()
    assert "钱多多" not in other


def test_system_grants_are_recorded_as_the_system(world):
    """seed_demo and the factories call the services without an actor: full authority, recorded as 系统."""
    user = UserFactory(username="daoru")
    services.membership_grant(user=user, organization=world.unit_a, role=Role.OFFICE, actor=None)
    entry = AuditEntry.objects.get(action="grant", object_repr__contains="甲单位", details__username="daoru")
    assert entry.actor is None and entry.organization == world.unit_a


def test_detail_page_offers_reset_and_edit_only_where_the_service_allows(world, django_assert_max_num_queries):
    planted = MembershipFactory(user=world.user("b_admin"), organization=world.dept_a, role=Role.LIAISON)
    own = Membership.objects.get(user__username="a_liaison")
    for i in range(10):
        MembershipFactory(organization=world.dept_a, role=Role.LIAISON, user=UserFactory(username=f"extra{i}"))
    client = _client(world.user("a_admin"))
    with django_assert_max_num_queries(12):
        html = client.get(reverse("organizations:detail", args=[world.dept_a.pk])).content.decode()
    assert reverse("organizations:member_edit", args=[own.pk]) in html
    assert reverse("organizations:member_password", args=[own.pk]) in html
    assert reverse("organizations:member_edit", args=[planted.pk]) not in html
    assert reverse("organizations:member_password", args=[planted.pk]) not in html
    assert "其他组织账号" in html


def test_services_refuse_an_actor_outside_the_organisation(world):
    before = _snapshot()
    membership = Membership.objects.get(user__username="b_liaison")
    with pytest.raises(PermissionDenied):
        services.membership_revoke(membership=membership, actor=world.user("a_admin"))
    with pytest.raises(PermissionDenied):
        services.organization_create(
            name="偷建科",
            code="t-b-x",
            kind=OrganizationKind.DEPARTMENT,
            parent=world.unit_b,
            actor=world.user("a_admin"),
        )
    with pytest.raises(PermissionDenied):
        services.organization_move(organization=world.dept_b, new_parent=world.unit_a, actor=world.user("a_admin"))
    with pytest.raises(PermissionDenied):
        services.organization_move(organization=world.dept_a, new_parent=world.unit_b, actor=world.user("a_admin"))
    assert _snapshot() == before
    assert Organization.objects.get(pk=world.dept_b.pk).parent_id == world.unit_b.pk


def test_organisations_own_trail_lists_what_touched_it_and_below(world):
    services.member_add(
        organization=world.dept_a,
        actor=world.user("a_admin"),
        username="xinren",
        real_name="钱多多",
        password="Chuangjian-2026",
        role=Role.LIAISON,
    )
    services.member_add(
        organization=world.affiliate_a,
        actor=world.user("a_admin"),
        username="tongchuang",
        real_name="孙同创",
        password="Chuangjian-2026",
        role=Role.LIAISON,
    )
    client = _client(world.user("a_admin"))
    detail = client.get(reverse("organizations:detail", args=[world.dept_a.pk])).content.decode()
    assert f"{reverse('organizations:audit')}?organization={world.dept_a.pk}" in detail
    html = client.get(reverse("organizations:audit"), {"organization": world.dept_a.pk, "action": "grant"})
    text = html.content.decode()
    assert "账号 xinren" in text and "tongchuang" not in text
    unit = client.get(reverse("organizations:audit"), {"organization": world.unit_a.pk}).content.decode()
    assert "账号 xinren" in unit and "账号 tongchuang" in unit
    # Junk and organisations out of sight are ignored, never a 500 or a peek into unit B.
    for junk in ("abc", "-1", "9" * 30, str(world.unit_b.pk)):
        response = client.get(reverse("organizations:audit"), {"organization": junk})
        assert response.status_code == 200
        assert "乙单位" not in response.content.decode()


def test_reset_and_edit_need_a_membership_the_actor_manages(world):
    """A service call cannot reach an account through an organisation it does not sit in, nor without one."""
    orphan = UserFactory(username="liren")
    old_hash = orphan.password
    for actor, org in (
        (world.user("a_liaison"), None),
        (world.user("a_admin"), None),
        (world.user("a_admin"), world.dept_a),
    ):
        with pytest.raises(PermissionDenied):
            services.user_password_reset(user=orphan, actor=actor, organization=org)
    liaison = world.user("a_liaison")
    with pytest.raises(PermissionDenied):
        services.user_password_reset(user=liaison, actor=world.user("a_office"), organization=world.dept_a)
    orphan.refresh_from_db()
    assert orphan.password == old_hash
