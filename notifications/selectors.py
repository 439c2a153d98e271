"""Reads of the notifications app, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.models import Organization, User
from organizations.scoping import scope_filter

from .models import Notice, Outbox, RobotConfig


def notice_list(*, user: User, unread: bool = False, kind: str = "") -> QuerySet[Notice]:
    """The user's own notices, newest first (nobody reads anyone else's)."""
    notices = Notice.objects.filter(user=user)
    if unread:
        notices = notices.filter(read_at__isnull=True)
    if kind:
        notices = notices.filter(kind=kind)
    return notices.order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    """One query: the count the bell shows."""
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def managed_organizations(*, user: User) -> QuerySet[Organization]:
    """Organisations whose 管理员 the user is (or below such a node)."""
    return scope_filter(Organization.objects.all(), user, action="manage")


def outbox_list(
    *, user: User, status: str = "", channel: str = "", kind: str = "", query: str = ""
) -> QuerySet[Outbox]:
    """发送记录 of the organisations the user administers."""
    rows = scope_filter(Outbox.objects.all(), user, "organization", action="manage")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if kind:
        rows = rows.filter(kind=kind)
    if query:
        rows = rows.filter(title__icontains=query)
    return rows.select_related("recipient", "robot", "organization").order_by("-created_at", "-pk")


def robot_list(*, user: User) -> QuerySet[RobotConfig]:
    return scope_filter(RobotConfig.objects.all(), user, "organization", action="manage").select_related("organization")
