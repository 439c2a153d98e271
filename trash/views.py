"""The unit's 回收站: the list, restoring one delete (创建办/管理员), emptying it (管理员), each confirmed first."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from . import selectors, services


def index(request: HttpRequest) -> HttpResponse:
    deletions = list(selectors.deletions_visible_to(request.user)[:500])
    for d in deletions:
        d.expires = services.expires_at(d)
    return render(
        request,
        "trash/index.html",
        {
            "deletions": deletions,
            "retention_days": services.retention_days(),
            "can_empty": selectors.units_emptiable_by(request.user).exists(),
        },
    )


def restore(request: HttpRequest, pk: int) -> HttpResponse:
    deletion = get_object_or_404(selectors.deletions_restorable_by(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.deletion_restore(deletion=deletion, actor=request.user)
        except services.TrashError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已恢复{deletion.kind}“{deletion.title}”及其相关内容。")
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
        unit = units.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
        if unit is None:
            messages.error(request, "请选择要清空回收站的单位。")
            return redirect("trash:empty")
        count = services.trash_empty(unit=unit, actor=request.user)
        messages.success(request, f"已清空{unit.name}的回收站（{count}项），内容及文件已彻底删除。")
        return redirect("trash:index")
    return render(request, "trash/empty_confirm.html", {"units": units})
