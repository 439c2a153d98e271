"""The one place that decides who sees and changes what.

Every selector in every app narrows its queryset through `scope_filter`; views never filter by hand.
A user's scope is the union of the subtrees of their memberships:

- 管理员 (admin) and 创建办 (office) read and change everything in the subtree of their organisation;
  on a 文明办 node they read the units below it but change none of their campaign content
  (a city office inspects units; it does not write their ledgers). Admins also manage the tree and people.
- 领导 (leader) reads everything in the subtree, changes nothing.
- 联络员 (liaison) reads and changes their own department's subtree, and reads the campaign-level
  context of the unit above it (its plan and task list), see `context_unit_ids`.

Objects outside the scope are answered with 404 by the views (they fetch through the scoped queryset),
so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .models import Membership, Organization, OrganizationKind, Role

ALL_ROLES = frozenset(Role.values)
CONTENT_CHANGE_ROLES = frozenset({Role.ADMIN, Role.OFFICE, Role.LIAISON})
# Running a unit's campaign (plan, task list, reviews, scoring): 管理员 and 创建办 of the unit, never liaisons.
ADMINISTER_ROLES = frozenset({Role.ADMIN, Role.OFFICE})
MANAGE_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Scope:
    """What one user may see and change, computed once per request from their memberships."""

    memberships: tuple[Membership, ...] = ()
    view_paths: tuple[str, ...] = ()
    change_paths: tuple[str, ...] = ()
    administer_paths: tuple[str, ...] = ()
    manage_paths: tuple[str, ...] = ()
    context_unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not self.view_paths


def _roots(paths: list[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one, so filters stay small."""
    roots: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(r) for r in roots):
            roots.append(p)
    return tuple(roots)


def get_scope(user: object) -> Scope:
    """The user's scope; cached on the user object for the rest of the request."""
    if user is None or isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_wenming_scope", None)
    if cached is not None:
        return cached
    memberships = tuple(
        Membership.objects.filter(user=user).select_related("organization").order_by("organization__path", "role")
    )
    view, change, administer, manage = [], [], [], []
    context_units: set[int] = set()
    for m in memberships:
        org = m.organization
        view.append(org.path)
        if m.role in MANAGE_ROLES:
            manage.append(org.path)
        if m.role in CONTENT_CHANGE_ROLES and org.kind != OrganizationKind.OFFICE:
            change.append(org.path)
        if m.role in ADMINISTER_ROLES and org.kind != OrganizationKind.OFFICE:
            administer.append(org.path)
        # Ancestors (and self) that may be units: a department's people read their unit's campaign.
        context_units.update(org.ancestor_ids)
        context_units.add(org.pk)
    scope = Scope(
        memberships=memberships,
        view_paths=_roots(view),
        change_paths=_roots(change),
        administer_paths=_roots(administer),
        manage_paths=_roots(manage),
        context_unit_ids=frozenset(context_units),
    )
    user._wenming_scope = scope  # type: ignore[attr-defined]
    return scope


def _path_q(paths: tuple[str, ...], prefix: str) -> Q:
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in paths))


def scope_filter(queryset: QuerySet, user: object, organization_field: str = "", *, action: str = "view") -> QuerySet:
    """Narrow `queryset` to rows whose organisation lies in the user's scope.

    `organization_field` is the lookup from the queryset's model to an Organization ("" when the
    queryset is of organisations itself, "organization", "event__organization", ...).
    `action` is "view", "change", "administer" (run the unit's campaign: 管理员/创建办, not liaisons) or "manage"
    (the tree and its people).
    """
    scope = get_scope(user)
    paths = {
        "view": scope.view_paths,
        "change": scope.change_paths,
        "administer": scope.administer_paths,
        "manage": scope.manage_paths,
    }[action]
    prefix = f"{organization_field}__" if organization_field else ""
    return queryset.filter(_path_q(paths, prefix))


def organizations_visible_to(user: object) -> QuerySet[Organization]:
    return scope_filter(Organization.objects.all(), user)


def organizations_changeable_by(user: object) -> QuerySet[Organization]:
    return scope_filter(Organization.objects.all(), user, action="change")


def context_units_for(user: object) -> QuerySet[Organization]:
    """Units whose campaign context the user may read: units in scope, and units above their memberships."""
    scope = get_scope(user)
    return Organization.objects.filter(kind=OrganizationKind.UNIT).filter(
        _path_q(scope.view_paths, "") | Q(pk__in=scope.context_unit_ids)
    )


def can_view(user: object, organization: Organization) -> bool:
    return any(organization.path.startswith(p) for p in get_scope(user).view_paths)


def can_change(user: object, organization: Organization) -> bool:
    return any(organization.path.startswith(p) for p in get_scope(user).change_paths)


def can_administer(user: object, organization: Organization) -> bool:
    return any(organization.path.startswith(p) for p in get_scope(user).administer_paths)


def can_manage(user: object, organization: Organization) -> bool:
    return any(organization.path.startswith(p) for p in get_scope(user).manage_paths)


def roles_on(user: object, organization: Organization) -> set[str]:
    """Roles the user holds on this organisation or any organisation above it."""
    return {m.role for m in get_scope(user).memberships if organization.path.startswith(m.organization.path)}


def has_role(user: object, organization: Organization, roles: set[str] | frozenset[str]) -> bool:
    return bool(roles_on(user, organization) & set(roles))


def unit_of(organization: Organization) -> Organization | None:
    """The nearest unit at or above this organisation (one query)."""
    if organization.kind == OrganizationKind.UNIT:
        return organization
    ids = organization.ancestor_ids
    return Organization.objects.filter(pk__in=ids, kind=OrganizationKind.UNIT).order_by("-depth").first()
