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
