"""Reads for the 工作台 and the 驾驶舱. Dashboards sit above every app and read through their scoped selectors."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import TaskStatus
from campaigns.selectors import tasks_for_department
from ledger.models import EventStatus
from ledger.selectors import events_changeable_by
from organizations.models import Membership, OrganizationKind
from organizations.scoping import get_scope, organizations_visible_to


@dataclass(frozen=True)
class Workbench:
    memberships: tuple[Membership, ...]
    counts_by_kind: dict[str, int]
    todo: dict[str, int] = field(default_factory=dict)
    can_review: bool = False
    can_write: bool = False


def workbench_for(*, user: object) -> Workbench:
    """Who the user is, the size of their scope, and what waits for them (a fixed number of queries)."""
    scope = get_scope(user)
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
        memberships=scope.memberships, counts_by_kind=counts, todo=todo, can_review=can_review, can_write=can_write
    )
