"""催办 on an overdue rectification item (list and detail pages post here)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.urging import UrgeError

from . import selectors
from .urging import rectification_urge as urge_service


@require_POST
def rectification_urge(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.rectifications_visible_to(request.user), pk=pk)
    if not selectors.can_change_campaign(request.user, item.campaign):
        raise PermissionDenied("只有本单位的创建办或管理员可以催办。")
    try:
        urge = urge_service(item=item, user=request.user, text=request.POST.get("text", ""))
    except UrgeError as exc:
        return render(
            request,
            "campaigns/urge_refused.html",
            {"message": str(exc), "back": reverse("evaluation:rectification_edit", args=[item.pk])},
            status=409,
        )
    messages.success(request, f"已催办，{urge.recipient_count} 人已收到通知。")
    if request.POST.get("next") == "list":
        return redirect("evaluation:rectification_list", campaign_pk=item.campaign_id)
    return redirect("evaluation:rectification_edit", pk=item.pk)
