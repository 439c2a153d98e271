"""Reads for the 工作台 and the 驾驶舱. Dashboards sit above every app and read through their scoped selectors."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from campaigns.models import TaskStatus
from campaigns.selectors import tasks_for_department
from ledger.models import EventStatus
from ledger.selectors import events_changeable_by
from organizations.models import Membership, Organization, OrganizationKind, Role
from organizations.scoping import get_scope, organizations_visible_to, unit_of

from .measures import Cockpit, unit_cockpit


@dataclass(frozen=True)
class Workbench:
    memberships: tuple[Membership, ...]
    counts_by_kind: dict[str, int]
    todo: dict[str, int] = field(default_factory=dict)
    can_review: bool = False
    can_write: bool = False
    # A 领导's units: where each campaign stands (the 驾驶舱's numbers), and the offices whose units they compare.
    progress: tuple[Cockpit, ...] = ()
    leader_offices: tuple[Organization, ...] = ()


def leader_progress(*, user: object) -> tuple[tuple[Cockpit, ...], tuple[Organization, ...]]:
    """For each unit where the user is 领导, the 驾驶舱's measures of its current campaign; and the 文明办 nodes
    where the user is 领导 (their units are compared on the city page, not listed one by one here)."""
    units: dict[int, Organization] = {}
    offices: list[Organization] = []
    for m in get_scope(user).memberships:
        if m.role != Role.LEADER:
            continue
        if m.organization.kind == OrganizationKind.OFFICE:
            offices.append(m.organization)
            continue
        unit = unit_of(m.organization)
        if unit is not None:
            units.setdefault(unit.pk, unit)
    return tuple(unit_cockpit(u) for u in units.values()), tuple(offices)


def workbench_for(*, user: object) -> Workbench:
    """Who the user is, the size of their scope, and what waits for them (a fixed number of queries)."""
    scope = get_scope(user)
    progress, leader_offices = leader_progress(user=user)
    rows = organizations_visible_to(user).values("kind").annotate(n=Count("pk")).order_by()
    counts = {kind.label: 0 for kind in OrganizationKind}
    for row in rows:
        counts[OrganizationKind(row["kind"]).label] = row["n"]

    todo: dict[str, int] = {}
    can_write = bool(scope.change_paths)
    can_review = bool(scope.administer_paths)
    if can_write:
        today = timezone.localdate()
        open_q = ~Q(status=TaskStatus.DONE)
        todo.update(
            tasks_for_department(user).aggregate(
                tasks_open=Count("pk", filter=open_q),
                tasks_overdue=Count("pk", filter=open_q & Q(due_date__lt=today)),
                tasks_due_soon=Count("pk", filter=open_q & Q(due_date__gte=today, due_date__lte=today + timedelta(7))),
            )
        )
        todo.update(
            events_changeable_by(user).aggregate(
                events_draft=Count("pk", filter=Q(status=EventStatus.DRAFT)),
                events_returned=Count("pk", filter=Q(status=EventStatus.RETURNED)),
                events_to_review=Count("pk", filter=Q(status=EventStatus.SUBMITTED)),
            )
        )
        if not can_review:
            todo.pop("events_to_review")
    return Workbench(
        memberships=scope.memberships,
        counts_by_kind=counts,
        todo=todo,
        can_review=can_review,
        can_write=can_write,
        progress=progress,
        leader_offices=leader_offices,
    )


# ------------------------------------------------------------------------------------------------
# Who opens which 驾驶舱 and the city page
# ------------------------------------------------------------------------------------------------
# 驾驶舱: the unit's 领导, 创建办 and 管理员, and the same roles of the 文明办 above it (roles count on the subtree).
COCKPIT_ROLES = frozenset({Role.ADMIN, Role.OFFICE, Role.LEADER})
# Who edits the city's thresholds and issues 督办: the office's 管理员 and 创建办 (its 领导 reads).
OFFICE_EDIT_ROLES = frozenset({Role.ADMIN, Role.OFFICE})


def _paths_with_roles(user: object, roles: frozenset[str]) -> list[str]:
    return [m.organization.path for m in get_scope(user).memberships if m.role in roles]


def cockpit_units_for(user: object) -> QuerySet[Organization]:
    """Units whose 驾驶舱 the user may open (liaisons none: it is a leadership page)."""
    paths = _paths_with_roles(user, COCKPIT_ROLES)
    if not paths:
        return Organization.objects.none()
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return Organization.objects.filter(q, kind=OrganizationKind.UNIT).order_by("path")


def cockpit_unit(user: object, pk: int) -> Organization:
    """The unit, if the user may open its 驾驶舱; 404 otherwise (ids of other units cannot be probed)."""
    unit = cockpit_units_for(user).filter(pk=pk).first()
    if unit is None:
        raise Http404("没有这个单位，或您无权查看它的驾驶舱。")
    return unit


def offices_for(user: object) -> list[Organization]:
    """The 文明办 nodes the user belongs to (any role): whose city page they read."""
    return [m.organization for m in get_scope(user).memberships if m.organization.kind == OrganizationKind.OFFICE]


def city_office(user: object, pk: int | None = None) -> Organization:
    """The office whose 动态管理 the user reads (the first of theirs, or `pk` if it is theirs); 404 for others."""
    offices = offices_for(user)
    for office in offices:
        if pk is None or office.pk == pk:
            return office
    raise Http404("动态管理只对文明办开放。")


def can_edit_office(user: object, office: Organization) -> bool:
    return any(
        m.organization.pk == office.pk and m.role in OFFICE_EDIT_ROLES for m in get_scope(user).memberships
    ) or any(office.path.startswith(p) and p != office.path for p in _paths_with_roles(user, OFFICE_EDIT_ROLES))


def units_of_office(office: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=office.path, kind=OrganizationKind.UNIT).order_by(
        "order", "path"
    )
