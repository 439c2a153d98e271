"""Which jobs a user may see: their own, and those of organisations they run (管理员/创建办)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from organizations.models import Organization
from organizations.scoping import scope_filter

from .models import Job


def jobs_visible_to(user: object) -> QuerySet[Job]:
    """Jobs the user started, and jobs of organisations the user administers; nothing for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    administered = scope_filter(Organization.objects.all(), user, action="administer")
    return Job.objects.filter(Q(started_by=user) | Q(organization__in=administered.values("pk"))).select_related(
        "organization", "started_by"
    )


def jobs_of_user(user: object) -> QuerySet[Job]:
    """The 后台任务 list: what the user started, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(started_by=user).select_related("organization").order_by("-created_at", "-pk")
