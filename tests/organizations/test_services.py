import pytest
from django.core.exceptions import ValidationError

from organizations import services
from organizations.models import Organization, OrganizationKind, Role
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_created_nodes_get_paths_below_their_parent():
    city = services.organization_create(name="某市文明办", code="c", kind=OrganizationKind.OFFICE)
    unit = services.organization_create(name="某局", code="u", kind=OrganizationKind.UNIT, parent=city)
    dept = services.organization_create(name="办公室", code="u-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit)
    assert dept.path.startswith(unit.path) and unit.path.startswith(city.path)
    assert (city.depth, unit.depth, dept.depth) == (0, 1, 2)
    assert dept.ancestor_ids == [city.pk, unit.pk]


def test_move_rewrites_the_whole_subtree():
    city = OrganizationFactory(kind=OrganizationKind.OFFICE, code="c")
    a = OrganizationFactory(parent=city, code="a")
    b = OrganizationFactory(parent=city, code="b")
    dept = OrganizationFactory(kind=OrganizationKind.DEPARTMENT, parent=a, code="a-d")
    team = OrganizationFactory(kind=OrganizationKind.DEPARTMENT, parent=dept, code="a-d-t")

    services.organization_move(organization=dept, new_parent=b, actor=None)

    dept.refresh_from_db()
    team.refresh_from_db()
    assert dept.parent == b
    assert dept.path == f"{b.path}{dept.pk:010d}/"
    assert team.path == f"{dept.path}{team.pk:010d}/"
    assert team.depth == 3
    assert set(Organization.objects.filter(path__startswith=b.path).values_list("code", flat=True)) == {
        "b",
        "a-d",
        "a-d-t",
    }


def test_cannot_move_a_node_under_its_own_descendant():
    a = OrganizationFactory(code="a")
    d = OrganizationFactory(kind=OrganizationKind.DEPARTMENT, parent=a, code="a-d")
    with pytest.raises(services.OrganizationError, match="下级"):
        services.organization_move(organization=a, new_parent=d, actor=None)


def test_duplicate_code_is_refused_and_nothing_saved():
    OrganizationFactory(code="dup")
    with pytest.raises(ValidationError):
        services.organization_create(name="另一个", code="dup", kind=OrganizationKind.UNIT)
    assert Organization.objects.filter(code="dup").count() == 1


def test_membership_grant_is_idempotent():
    user = UserFactory()
    org = OrganizationFactory()
    first = services.membership_grant(user=user, organization=org, role=Role.OFFICE, actor=None)
    second = services.membership_grant(user=user, organization=org, role=Role.OFFICE, actor=None)
    assert first.pk == second.pk
    with pytest.raises(services.OrganizationError):
        services.membership_grant(user=user, organization=org, role="boss", actor=None)
