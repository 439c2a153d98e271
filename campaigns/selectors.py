"""Reads of campaigns and tasks, always narrowed to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from organizations.models import Organization
from organizations.scoping import context_units_for, get_scope, scope_filter

from .models import Campaign, ProgressReport, Task


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    """Campaigns of every unit whose campaign context the user may read (a liaison reads their unit's)."""
    return Campaign.objects.filter(unit__in=context_units_for(user)).select_related("unit")


def campaigns_changeable_by(user: Any) -> QuerySet[Campaign]:
    """Campaigns whose plan and task list the user may edit: admin/创建办 of the unit (not liaisons, not city)."""
    return scope_filter(Campaign.objects.all(), user, "unit", action="administer").select_related("unit")


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(campaign__in=campaigns_visible_to(user))


def task_units_of_user(user: Any) -> QuerySet[Organization]:
    """Organisations on whose tasks the user may report (their change scope)."""
    return scope_filter(Organization.objects.all(), user, action="change")


def tasks_for_department(user: Any) -> QuerySet[Task]:
    """我的任务: tasks that an organisation in the user's change scope leads or cooperates on."""
    scope = get_scope(user)
    if not scope.change_paths:
        return Task.objects.none()
    q = Q()
    for p in scope.change_paths:
        q |= Q(lead_units__path__startswith=p) | Q(cooperating_units__path__startswith=p)
    ids = Task.objects.filter(q).values("pk")
    return tasks_visible_to(user).filter(pk__in=ids)


def progress_reports_visible_to(user: Any) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(task__in=tasks_visible_to(user))
