"""Deleting a task into the unit's 回收站 (the page and the POST go through trash.views.confirm_delete)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from trash.views import confirm_delete

from .views import _can_change, _visible_task


def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """创建办/管理员 of the unit: a page saying what goes with the task, then POST moves it to the 回收站."""
    task = _visible_task(request, pk)
    if not _can_change(request.user, task.campaign):
        raise PermissionDenied("只有本单位的创建办或管理员可以删除任务。")
    return confirm_delete(
        request,
        task,
        cancel_url=reverse("campaigns:task_detail", args=[task.pk]),
        done_url=reverse("campaigns:tasks", args=[task.campaign_id]),
        notes=(
            "下级任务和进展报告随任务一并删除。",
            "档案是独立的记录：删除任务不会删除任何档案，只从档案的“关联任务”中去掉此任务，恢复任务时一并恢复；"
            "关联了已归档档案的任务不能删除。",
        ),
    )
