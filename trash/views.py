"""The unit's 回收站: the list, restoring one delete (创建办/管理员), emptying it (管理员), each confirmed first."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html

from . import selectors, services

PAGE_SIZE = 50


def index(request: HttpRequest) -> HttpResponse:
    # The list shows names and counts only: the serialised rows (a dossier's can be large) stay in the database.
    deletions = selectors.deletions_visible_to(request.user).defer("rows", "nulled", "files")
    page = Paginator(deletions, PAGE_SIZE).get_page(request.GET.get("page"))  # a bad ?page= gives page 1 or the last
    page.object_list = list(page.object_list)
    for d in page.object_list:
        d.expires = services.expires_at(d)
    return render(
        request,
        "trash/index.html",
        {
            "deletions": page.object_list,
            "page": page,
            "retention_days": services.retention_days(),
            "can_empty": selectors.units_emptiable_by(request.user).exists(),
        },
    )


def restore(request: HttpRequest, pk: int) -> HttpResponse:
    deletion = get_object_or_404(selectors.deletions_restorable_by(request.user), pk=pk)
    if request.method == "POST":
        try:
            left_out = services.deletion_restore(deletion=deletion, actor=request.user)
        except services.TrashError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "".join([f"已恢复{deletion.kind}“{deletion.title}”及其相关内容。", *left_out]))
        return redirect("trash:index")
    return render(
        request, "trash/restore_confirm.html", {"deletion": deletion, "expires": services.expires_at(deletion)}
    )


def empty(request: HttpRequest) -> HttpResponse:
    units = selectors.units_emptiable_by(request.user).annotate(n=Count("trash_deletions")).order_by("path")
    if not units:
        raise PermissionDenied("只有本单位的管理员可以清空回收站。")
    if request.method == "POST":
        raw = request.POST.get("unit", "")
        unit = units.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        if unit is None:
            messages.error(request, "请选择要清空回收站的单位。")
            return redirect("trash:empty")
        count = services.trash_empty(unit=unit, actor=request.user)
        messages.success(request, f"已清空{unit.name}的回收站（{count}项），内容及文件已彻底删除。")
        return redirect("trash:index")
    return render(request, "trash/empty_confirm.html", {"units": units})


def confirm_delete(
    request: HttpRequest,
    obj: models.Model,
    *,
    cancel_url: str,
    done_url: str,
    notes: Sequence[str] = (),
) -> HttpResponse:
    """The delete page of a task, a volunteer, a service activity...: GET shows what goes into the 回收站 with it
    (and why it may not), POST moves it there. The caller has fetched `obj` through its scoped selector and checked
    the user may delete it."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    preview = services.trash_preview(obj=obj)
    if request.method == "POST":
        if preview.refusal:
            messages.error(request, preview.refusal)
            return redirect(cancel_url)
        try:
            services.trash_delete(obj=obj, actor=request.user)
        except services.TrashError as exc:
            messages.error(request, str(exc))
            return redirect(cancel_url)
        except (models.ProtectedError, models.RestrictedError):
            messages.error(request, f"还有其他记录引用此{preview.kind}，不能删除。")
            return redirect(cancel_url)
        messages.success(
            request,
            format_html(
                '已将{}“{}”移入<a href="{}">回收站</a>，{} 天内可由创建办或管理员恢复。',
                preview.kind,
                preview.title,
                reverse("trash:index"),
                services.retention_days(),
            ),
        )
        return redirect(done_url)
    return render(
        request,
        "trash/delete_confirm.html",
        {
            "preview": preview,
            "notes": [n for n in notes if n],
            "cancel_url": cancel_url,
            "retention_days": services.retention_days(),
        },
    )
