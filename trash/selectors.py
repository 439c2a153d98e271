"""Reads of the 回收站, always through the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from organizations.models import Organization, OrganizationKind
from organizations.scoping import scope_filter

from .models import Deletion


def deletions_visible_to(user: object) -> QuerySet[Deletion]:
    """What the user's units have deleted: the 回收站 is the 管理员's and 创建办's of a unit (not liaisons', not a
    文明办 node's above the units)."""
    return scope_filter(Deletion.objects.all(), user, "organization", action="administer").select_related(
        "unit", "organization", "deleted_by"
    )


def deletions_restorable_by(user: object) -> QuerySet[Deletion]:
    return deletions_visible_to(user)


def units_emptiable_by(user: object) -> QuerySet[Organization]:
    """Units whose 回收站 the user may empty: their own unit's 管理员 (not a 文明办's 管理员 above it)."""
    units = scope_filter(Organization.objects.filter(kind=OrganizationKind.UNIT), user, action="manage")
    return scope_filter(units, user, action="administer")


def held_file_names() -> set[str]:
    """Storage names kept for the 回收站 (not orphans: a restore needs them)."""
    names: set[str] = set()
    for files in Deletion.objects.values_list("files", flat=True):
        names.update(files)
    return names
