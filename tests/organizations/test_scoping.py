"""Who sees and changes what: organizations.scoping is the one place that decides."""

import pytest

from organizations.models import Organization, OrganizationKind, Role
from organizations.scoping import (
    can_change,
    can_manage,
    can_view,
    context_units_for,
    get_scope,
    has_role,
    organizations_visible_to,
    scope_filter,
    unit_of,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


def test_city_office_sees_every_unit_below_it(world):
    visible = _codes(organizations_visible_to(world.user("city_leader")))
    assert {"t-city", "t-a", "t-b", "t-a-bgs", "t-b-bgs", "t-a-tc", "t-b-tc"} <= visible


def test_unit_users_see_their_own_subtree_only(world):
    for role in ("admin", "office", "leader"):
        assert _codes(organizations_visible_to(world.user(f"a_{role}"))) == {"t-a", "t-a-bgs", "t-a-tc"}
        assert _codes(organizations_visible_to(world.user(f"b_{role}"))) == {"t-b", "t-b-bgs", "t-b-tc"}


def test_liaison_sees_own_department_and_reads_its_units_campaign_context(world):
    liaison = world.user("a_liaison")
    assert _codes(organizations_visible_to(liaison)) == {"t-a-bgs"}
    assert _codes(context_units_for(liaison)) == {"t-a"}
    assert _codes(context_units_for(world.user("city_admin"))) == {"t-a", "t-b"}
    assert _codes(context_units_for(world.user("b_office"))) == {"t-b"}


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not organizations_visible_to(AnonymousUser()).exists()
    assert get_scope(AnonymousUser()).is_empty


def test_change_rights_follow_roles(world):
    """GIVEN the roles WHEN asked who may change unit A's content THEN 创建办/管理员 of A and A's liaison (own dept)."""
    assert can_change(world.user("a_office"), world.unit_a)
    assert can_change(world.user("a_admin"), world.dept_a)
    assert not can_change(world.user("a_leader"), world.unit_a)
    assert can_change(world.user("a_liaison"), world.dept_a)
    assert not can_change(world.user("a_liaison"), world.unit_a)
    assert not can_change(world.user("a_liaison"), world.affiliate_a)
    # The city office reads units' content; it does not write it.
    assert not can_change(world.user("city_office"), world.unit_a)
    assert not can_change(world.user("city_admin"), world.unit_a)
    assert can_view(world.user("city_office"), world.unit_a)
    # Sibling units never cross.
    assert not can_view(world.user("b_admin"), world.unit_a)
    assert not can_change(world.user("b_office"), world.dept_a)


def test_manage_rights_belong_to_admins(world):
    assert can_manage(world.user("city_admin"), world.unit_b)
    assert can_manage(world.user("a_admin"), world.dept_a)
    assert not can_manage(world.user("a_office"), world.dept_a)
    assert not can_manage(world.user("a_admin"), world.unit_b)


def test_roles_are_inherited_down_the_tree(world):
    assert has_role(world.user("a_leader"), world.dept_a, {Role.LEADER})
    assert not has_role(world.user("a_leader"), world.dept_b, {Role.LEADER})


def test_scope_filter_follows_a_foreign_key(world):
    from organizations.models import Membership

    memberships = scope_filter(Membership.objects.all(), world.user("a_office"), "organization")
    assert {m.user.username for m in memberships} == {"a_admin", "a_office", "a_leader", "a_liaison"}


def test_several_memberships_union_their_scopes(world):
    user = UserFactory()
    MembershipFactory(user=user, organization=world.dept_a, role=Role.LIAISON)
    MembershipFactory(user=user, organization=world.dept_b, role=Role.LIAISON)
    assert _codes(organizations_visible_to(user)) == {"t-a-bgs", "t-b-bgs"}


def test_unit_of_finds_the_nearest_unit(world):
    team = OrganizationFactory(kind=OrganizationKind.DEPARTMENT, parent=world.dept_a, code="t-a-bgs-1")
    assert unit_of(team) == world.unit_a
    assert unit_of(world.unit_b) == world.unit_b
    assert unit_of(world.city) is None


def test_scope_is_computed_once_per_request(world, django_assert_num_queries):
    user = world.user("a_office")
    with django_assert_num_queries(1):
        get_scope(user)
        get_scope(user)
        can_view(user, world.unit_a)


def test_subtree_query_is_one_query_on_a_large_tree(django_assert_num_queries):
    """GIVEN a tree of 2,000 nodes WHEN a unit admin lists what they see THEN one scope query and one count."""
    root = OrganizationFactory(kind=OrganizationKind.OFFICE, code="big-root")
    units = [OrganizationFactory(parent=root, code=f"big-u{i}") for i in range(20)]
    created = Organization.objects.bulk_create(
        Organization(kind=OrganizationKind.DEPARTMENT, parent=unit, name=f"科室{j}", code=f"big-{i}-{j}")
        for i, unit in enumerate(units)
        for j in range(99)
    )
    for org in created:
        org.path = f"{org.parent.path}{org.pk:010d}/"
        org.depth = org.parent.depth + 1
    Organization.objects.bulk_update(created, ["path", "depth"], batch_size=500)
    user = UserFactory()
    MembershipFactory(user=user, organization=units[3], role=Role.ADMIN)
    with django_assert_num_queries(2):
        assert organizations_visible_to(user).count() == 100


def test_administer_is_for_admin_and_office_of_a_unit_only(world):
    """GIVEN every role WHEN asked who runs unit A's campaign THEN its 管理员 and 创建办, not liaisons or the city."""
    from organizations.scoping import can_administer

    runners = {actor for actor, user in world.users.items() if user and can_administer(user, world.unit_a)}
    assert runners == {"a_admin", "a_office"}
    assert can_administer(world.user("a_office"), world.dept_a)
    assert not can_administer(world.user("a_liaison"), world.dept_a)
    units = scope_filter(Organization.objects.all(), world.user("a_admin"), action="administer")
    assert set(units.values_list("code", flat=True)) == {"t-a", "t-a-bgs", "t-a-tc"}
