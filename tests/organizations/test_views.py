import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_workbench_shows_organisation_and_role(world):
    html = _client(world.user("a_liaison")).get(reverse("dashboards:home")).content.decode()
    assert "甲办公室" in html and "联络员" in html
    html = _client(world.user("a_leader")).get(reverse("dashboards:home")).content.decode()
    assert "甲单位" in html and "领导" in html


def test_organisation_list_is_scoped_and_filterable(world):
    client = _client(world.user("a_office"))
    html = client.get(reverse("organizations:list")).content.decode()
    assert "甲单位" in html and "甲办公室" in html
    assert "乙单位" not in html
    html = client.get(reverse("organizations:list"), {"kind": "department"}).content.decode()
    assert "甲办公室" in html and "甲同创单位" not in html
    html = client.get(reverse("organizations:list"), {"q": "同创"}).content.decode()
    assert "甲同创单位" in html and "甲办公室" not in html


def test_organisation_list_queries_do_not_grow_with_rows(world, django_assert_max_num_queries):
    from tests.factories import OrganizationFactory

    for i in range(60):
        OrganizationFactory(kind="department", parent=world.unit_a, code=f"extra-{i}")
    client = _client(world.user("a_office"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("organizations:list"))
    assert response.status_code == 200
    assert "第 1/2 页" in response.content.decode()


def test_other_units_organisation_is_404(world):
    assert (
        _client(world.user("b_admin")).get(reverse("organizations:detail", args=[world.unit_a.pk])).status_code == 404
    )
