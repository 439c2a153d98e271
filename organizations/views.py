from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import OrganizationKind
from .selectors import organization_detail_queryset, organization_list

PAGE_SIZE = 50


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
    return render(request, "organizations/organization_detail.html", {"organization": organization})
