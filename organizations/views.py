from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .forms import MemberAddForm, OrganizationForm
from .models import Organization, OrganizationKind, Role
from .scoping import can_manage
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
    query = request.GET.get("q", "").strip()
    organizations = organization_list(user=request.user, kind=kind, query=query)
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/organization_list.html",
        {"page": page, "kind": kind, "query": query, "kinds": OrganizationKind.choices},
    )


def organization_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(organization_detail_queryset(user=request.user), pk=pk)
    return render(
        request,
        "organizations/organization_detail.html",
        {"organization": organization, "can_manage": can_manage(request.user, organization)},
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
    form = OrganizationForm(request.POST or None, kinds=kinds, instance=organization)
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
    if membership.user_id == request.user.pk and membership.role == Role.ADMIN:
        messages.error(request, "不能撤销自己的管理员身份，请由上级管理员操作。")
        return redirect("organizations:detail", membership.organization_id)
    organization_id = membership.organization_id
    name, role = membership.user.display_name, membership.get_role_display()
    services.membership_revoke(membership=membership, actor=request.user)
    messages.success(request, f"已撤销 {name} 的{role}身份（已记入操作记录）。")
    return redirect("organizations:detail", organization_id)


@require_POST
def member_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_in_scope(user=request.user, pk=pk)
    if not can_manage(request.user, membership.organization):
        raise PermissionDenied("只有本组织的管理员可以进行此操作。")
    password = services.user_password_reset(
        user=membership.user, actor=request.user, organization=membership.organization
    )
    return render(
        request,
        "organizations/member_password.html",
        {"membership": membership, "password": password},
    )


def audit_list_view(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    entries = audit_entries_for(user=request.user, action=action)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    from .audit import ACTION_LABELS

    return render(
        request,
        "organizations/audit_list.html",
        {"page": page, "action": action, "actions": ACTION_LABELS.items(), "labels": ACTION_LABELS},
    )
