"""`manage.py seed_demo`: the demo world, idempotent, with logins for every role."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from organizations.models import Organization, OrganizationKind, Role, User
from organizations.scoping import can_change, organizations_visible_to

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", "--force", *args, stdout=out)
    return json.loads(out.getvalue())


def _row_counts() -> dict[str, int]:
    """Rows per model, but the audit trail and the change history: both are append-only, so a reset adds to them
    by design (a reset's deletes are themselves recorded)."""
    return {
        m._meta.label: m.objects.count()
        for label in ("organizations", "campaigns", "ledger", "evaluation", "volunteers")
        for m in apps.get_app_config(label).get_models()
        if m._meta.label not in ("organizations.AuditEntry", "organizations.AccessRefusal")
        and not hasattr(m, "instance_type")  # simple-history's Historical* models
    }


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organization.objects.exists()


def test_json_shape_roles_and_tree():
    data = _seed()
    orgs = {o["code"]: o for o in data["organizations"]}
    assert orgs["city"]["kind"] == "office" and orgs["city"]["parent_code"] is None
    for code, name in (("scjgj", "市场监督管理局"), ("sthjj", "生态环境局")):
        assert orgs[code]["kind"] == "unit" and orgs[code]["parent_code"] == "city" and name in orgs[code]["name"]
        children = [o for o in data["organizations"] if o["parent_code"] == code]
        departments = [o for o in children if o["kind"] == "department"]
        affiliates = [o for o in children if o["kind"] == "affiliate"]
        assert 6 <= len(departments) <= 10
        assert len(affiliates) == 2
    users = data["users"]
    assert {"username", "password", "role", "organization_code"} <= set(users[0])
    for scope in ("city", "scjgj", "sthjj"):
        roles = {
            u["role"]
            for u in users
            if u["organization_code"] and orgs[u["organization_code"]]["code"].split("-")[0] == scope
        }
        assert roles == set(Role.values), (scope, roles)


def test_second_run_changes_nothing_and_passwords_are_deterministic():
    first = _seed()
    counts = _row_counts()
    second = _seed()
    assert _row_counts() == counts
    assert first["users"] == second["users"]
    for row in second["users"]:
        assert User.objects.get(username=row["username"]).check_password(row["password"])


def test_reset_rebuilds_the_same_world():
    _seed()
    counts = _row_counts()
    data = _seed("--reset")
    assert _row_counts() == counts
    assert (
        len(data["organizations"])
        == Organization.objects.filter(code__in=[o["code"] for o in data["organizations"]]).count()
    )


def test_each_demo_role_sees_exactly_its_scope():
    _seed()

    def visible(username: str) -> set[str]:
        return set(organizations_visible_to(User.objects.get(username=username)).values_list("code", flat=True))

    scjgj_tree = set(
        Organization.objects.filter(path__startswith=Organization.objects.get(code="scjgj").path).values_list(
            "code", flat=True
        )
    )
    sthjj_tree = set(
        Organization.objects.filter(path__startswith=Organization.objects.get(code="sthjj").path).values_list(
            "code", flat=True
        )
    )
    assert scjgj_tree.isdisjoint(sthjj_tree)
    for role in ("admin", "office", "leader"):
        assert visible(f"scjgj_{role}") == scjgj_tree
        assert visible(f"sthjj_{role}") == sthjj_tree
    assert visible("scjgj_liaison") == {"scjgj-bgs"}
    assert visible("sthjj_liaison3") == {"sthjj-jcz"}
    assert scjgj_tree | sthjj_tree <= visible("city_leader")
    office = User.objects.get(username="scjgj_office")
    assert can_change(office, Organization.objects.get(code="scjgj-bgs"))
    assert not can_change(office, Organization.objects.get(code="sthjj-bgs"))
    assert not can_change(User.objects.get(username="city_admin"), Organization.objects.get(code="scjgj"))
    assert Organization.objects.filter(kind=OrganizationKind.OFFICE, code="city").exists()
