"""Reads of organisations and people, always through the user's scope."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Membership, Organization
from .scoping import organizations_visible_to


def organization_list(*, user: object, kind: str = "", query: str = "") -> QuerySet[Organization]:
    """Organisations the user may see, in tree order, with member counts."""
    qs = organizations_visible_to(user).select_related("parent").annotate(member_count=Count("memberships"))
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code=query))
    return qs.order_by("path")


def organization_detail_queryset(*, user: object) -> QuerySet[Organization]:
    """Organisations in scope, ready for the detail page (parent, children and members prefetched)."""
    return (
        organizations_visible_to(user)
        .select_related("parent")
        .prefetch_related(
            Prefetch("children", queryset=Organization.objects.order_by("order", "name")),
            Prefetch(
                "memberships", queryset=Membership.objects.select_related("user").order_by("role", "user__username")
            ),
        )
    )


def memberships_of(*, user: object) -> QuerySet[Membership]:
    """The signed-in user's own memberships, for the 工作台 and the navigation."""
    return Membership.objects.filter(user=user).select_related("organization", "organization__parent")


def organization_in_scope(*, user: object, pk: int) -> Organization:
    """One organisation the user may see; 404 otherwise."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(organizations_visible_to(user).select_related("parent"), pk=pk)


def membership_in_scope(*, user: object, pk: int) -> Membership:
    from django.shortcuts import get_object_or_404

    from .scoping import scope_filter

    qs = scope_filter(Membership.objects.select_related("user", "organization"), user, "organization")
    return get_object_or_404(qs, pk=pk)


def audit_entries_for(*, user: object, action: str = "", organization: Organization | None = None) -> QuerySet:
    """Audit entries about organisations the user may see (entries without one are for the platform admin only).

    With `organization`, only the entries of that organisation and the nodes below it (its 操作记录).
    """
    from .models import AuditEntry
    from .scoping import scope_filter

    qs = scope_filter(AuditEntry.objects.select_related("actor", "organization"), user, "organization")
    if action:
        qs = qs.filter(action=action)
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    return qs.order_by("-at", "-pk")
