"""Reads for the 工作台 and the 驾驶舱."""

from dataclasses import dataclass

from django.db.models import Count

from organizations.models import Membership, OrganizationKind
from organizations.scoping import get_scope, organizations_visible_to


@dataclass(frozen=True)
class Workbench:
    memberships: tuple[Membership, ...]
    counts_by_kind: dict[str, int]


def workbench_for(*, user: object) -> Workbench:
    """The signed-in user's place in the tree and the size of what they can see."""
    scope = get_scope(user)
    rows = organizations_visible_to(user).values("kind").annotate(n=Count("pk")).order_by()
    counts = {kind.label: 0 for kind in OrganizationKind}
    for row in rows:
        counts[OrganizationKind(row["kind"]).label] = row["n"]
    return Workbench(memberships=scope.memberships, counts_by_kind=counts)
