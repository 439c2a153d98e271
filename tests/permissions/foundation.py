"""Sign-in, 工作台, the section index pages and the organisation pages."""

from organizations.models import Role
from tests.factories import MembershipFactory

from . import A_ALL, A_UNIT_LEVEL, CITY, Case, only, outcomes

# Managing the tree and people: admins of the node or above; others who can see it get 403, the rest 404.
MANAGE_UNIT_A = only(200, ("city_admin", "a_admin"), otherwise=404) | {
    actor: 403 for actor in ("city_office", "city_leader", "a_office", "a_leader")
}
MANAGE_DEPT_A = MANAGE_UNIT_A | {"a_liaison": 403}


def _fresh_liaison(w) -> dict:
    """A new membership for every actor, since a successful POST removes it."""
    return {"pk": MembershipFactory(organization=w.dept_a, role=Role.LIAISON).pk}


CASES = [
    Case("login", outcomes(302, anon=200), label="signed-in users are sent on"),
    Case("logout", outcomes(302, anon=302), method="post"),
    Case("logout", outcomes(405), label="GET is refused"),
    Case("password_change", outcomes(200)),
    Case("password_change_done", outcomes(200)),
    Case("dashboards:home", outcomes(200)),
    Case("campaigns:index", outcomes(200)),
    Case("ledger:index", outcomes(200)),
    Case("evaluation:index", outcomes(200)),
    Case("volunteers:index", outcomes(200)),
    Case("organizations:list", outcomes(200)),
    Case(
        "organizations:detail",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": w.unit_a.pk},
        label="unit A",
    ),
    Case(
        "organizations:detail",
        only(200, (*CITY, *A_ALL)),
        kwargs=lambda w: {"pk": w.dept_a.pk},
        label="unit A's department",
    ),
    Case(
        "organizations:detail",
        only(200, CITY),
        kwargs=lambda w: {"pk": w.city.pk},
        label="the city office",
    ),
    Case("organizations:audit", outcomes(200)),
    Case("organizations:create_child", MANAGE_UNIT_A, kwargs=lambda w: {"pk": w.unit_a.pk}),
    Case("organizations:create_child", MANAGE_DEPT_A, kwargs=lambda w: {"pk": w.dept_a.pk}, label="department"),
    Case("organizations:edit", MANAGE_UNIT_A, kwargs=lambda w: {"pk": w.unit_a.pk}),
    Case("organizations:member_add", MANAGE_DEPT_A, kwargs=lambda w: {"pk": w.dept_a.pk}),
    Case(
        "organizations:member_remove",
        {**MANAGE_DEPT_A, "city_admin": 302, "a_admin": 302},
        kwargs=_fresh_liaison,
        method="post",
    ),
    Case("organizations:member_remove", outcomes(405), kwargs=_fresh_liaison, label="GET is refused"),
    Case("organizations:member_password", MANAGE_DEPT_A, kwargs=_fresh_liaison, method="post"),
    Case("organizations:member_edit", MANAGE_DEPT_A, kwargs=_fresh_liaison),
    Case(
        "organizations:member_edit",
        {**MANAGE_DEPT_A, "city_admin": 302, "a_admin": 302},
        kwargs=_fresh_liaison,
        method="post",
        data=lambda w: {"real_name": "钱多多", "phone": "13800000000"},
        label="save",
    ),
]
