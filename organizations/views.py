from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .forms import MemberAddForm, OrganizationForm, PersonForm
from .models import Organization, OrganizationKind, Role
from .query_params import clean_text
from .scoping import can_manage, organizations_visible_to
from .selectors import (
    audit_entries_for,
    membership_in_scope,
    organization_detail_queryset,
    organization_in_scope,
    organization_list,
)

PAGE_SIZE = 50


def _managed(request: HttpRequest, pk: int) -> Organization:
    """The organisation, if the user may see it (else 404) and manage it (else 403)."""
    organization = organization_in_scope(user=request.user, pk=pk)
    if not can_manage(request.user, organization):
        raise PermissionDenied("只有本组织的管理员可以进行此操作。")
    return organization


def organization_list_view(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in OrganizationKind.values:
        kind = ""
    query = clean_text(request.GET.get("q"))
    organizations = organization_list(user=request.user, kind=kind, query=query)
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/organization_list.html",
        {"page": page, "kind": kind, "query": query, "kinds": OrganizationKind.choices},
    )


def organization_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(organization_detail_queryset(user=request.user), pk=pk)
    manages = can_manage(request.user, organization)
    reachable: set[int] = set()
    if manages:
        people = [m.user for m in organization.memberships.all()]
        reachable = services.accounts_in_reach(actor=request.user, users=people)
    return render(
        request,
        "organizations/organization_detail.html",
        {"organization": organization, "can_manage": manages, "reachable_user_ids": reachable},
    )


def organization_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _managed(request, pk)
    kinds = services.allowed_child_kinds(parent)
    form = OrganizationForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.organization_create(parent=parent, actor=request.user, **form.cleaned_data)
        except (services.OrganizationError, ValidationError) as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已新增“{child.name}”。")
            return redirect("organizations:detail", child.pk)
    return render(
        request, "organizations/organization_form.html", {"form": form, "parent": parent, "title": "新增下级组织"}
    )


def organization_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed(request, pk)
    kinds = services.allowed_child_kinds(organization.parent)
    locked = not services.reshape_allowed(actor=request.user, organization=organization)
    form = OrganizationForm(request.POST or None, kinds=kinds, instance=organization, kind_locked=locked)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=organization, actor=request.user, **form.cleaned_data)
        except (services.OrganizationError, ValidationError) as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("organizations:detail", organization.pk)
    return render(
        request,
        "organizations/organization_form.html",
        {"form": form, "organization": organization, "title": f"编辑“{organization.name}”"},
    )


def member_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    organization = _managed(request, pk)
    form = MemberAddForm(request.POST or None, roles=Role.choices)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_add(organization=organization, actor=request.user, **form.cleaned_data)
        except (services.OrganizationError, ValidationError) as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已将 {membership.user.display_name} 设为{membership.get_role_display()}。")
            return redirect("organizations:detail", organization.pk)
    return render(request, "organizations/member_form.html", {"form": form, "organization": organization})


@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_in_scope(user=request.user, pk=pk)
    if not can_manage(request.user, membership.organization):
        raise PermissionDenied("只有本组织的管理员可以进行此操作。")
    organization_id = membership.organization_id
    name, role = membership.user.display_name, membership.get_role_display()
    try:
        services.membership_revoke(membership=membership, actor=request.user)
    except services.OrganizationError as exc:
        messages.error(request, str(exc))
        return redirect("organizations:detail", organization_id)
    messages.success(request, f"已撤销 {name} 的{role}身份（已记入操作记录）。")
    return redirect("organizations:detail", organization_id)


@never_cache  # the page shows a new password: Cache-Control no-store
@require_POST
def member_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_in_scope(user=request.user, pk=pk)
    if not can_manage(request.user, membership.organization):
        raise PermissionDenied("只有本组织的管理员可以进行此操作。")
    try:
        password = services.user_password_reset(
            user=membership.user, actor=request.user, organization=membership.organization
        )
    except services.OrganizationRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return render(
        request,
        "organizations/member_password.html",
        {"membership": membership, "password": password},
    )


def member_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a person's name and phone, for accounts wholly inside the admin's manage scope (else 403)."""
    membership = membership_in_scope(user=request.user, pk=pk)
    if not can_manage(request.user, membership.organization):
        raise PermissionDenied("只有本组织的管理员可以进行此操作。")
    person = membership.user
    if not services.account_in_reach(actor=request.user, user=person):
        raise PermissionDenied(services.ACCOUNT_ELSEWHERE)
    form = PersonForm(request.POST or None, initial={"real_name": person.real_name, "phone": person.phone})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(
                user=person, actor=request.user, organization=membership.organization, **form.cleaned_data
            )
        except services.OrganizationRefused as exc:
            raise PermissionDenied(str(exc)) from exc
        except (services.OrganizationError, ValidationError) as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存 {person.display_name} 的信息。")
            return redirect("organizations:detail", membership.organization_id)
    return render(request, "organizations/member_edit.html", {"form": form, "membership": membership})


def audit_list_view(request: HttpRequest) -> HttpResponse:
    action = clean_text(request.GET.get("action"), max_length=50)
    organization = None
    raw = request.GET.get("organization", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        # Junk, or an organisation out of sight, is ignored: the page then shows everything the user may see.
        organization = organizations_visible_to(request.user).filter(pk=int(raw)).first()
    if action == "refused":
        from .refusals import refusals_for

        entries = refusals_for(user=request.user, organization=organization)
    else:
        entries = audit_entries_for(user=request.user, action=action, organization=organization)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    from .audit import ACTION_LABELS

    querystring = urlencode({"action": action, **({"organization": organization.pk} if organization else {})})
    return render(
        request,
        "organizations/audit_list.html",
        {
            "page": page,
            "action": action,
            "actions": ACTION_LABELS.items(),
            "labels": ACTION_LABELS,
            "organization": organization,
            "querystring": querystring,
        },
    )


def changes_list_view(request: HttpRequest) -> HttpResponse:
    """数据变更, beside the 操作记录: every recorded change of the domain objects the user may see, newest first."""
    from .history import REGISTRY, ChangesFeed, feed_models

    organization = None
    raw = request.GET.get("organization", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        organization = organizations_visible_to(request.user).filter(pk=int(raw)).first()
    model = clean_text(request.GET.get("model"), max_length=100)
    if model not in REGISTRY:
        model = ""
    feed = ChangesFeed(request.user, organization, model)
    page = Paginator(feed, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = urlencode({"model": model, **({"organization": organization.pk} if organization else {})})
    return render(
        request,
        "organizations/changes_list.html",
        {
            "page": page,
            "model": model,
            "models": feed_models(),
            "organization": organization,
            "querystring": querystring,
        },
    )
