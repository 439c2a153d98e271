"""Deleting a volunteer or a service activity into the unit's 回收站, with their service records
(the page and the POST go through trash.views.confirm_delete)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from organizations.scoping import can_administer
from trash.views import confirm_delete

from . import selectors
from .models import RecordStatus, ServiceRecord


def _hours_note(records: object) -> str:
    totals = records.aggregate(  # type: ignore[attr-defined]
        confirmed=Sum("hours", filter=Q(status=RecordStatus.CONFIRMED)),
    )
    confirmed = totals["confirmed"]
    if not confirmed:
        return "其中没有已确认的服务时长。"
    return f"其中已确认的服务时长共 {confirmed.normalize():f} 小时，删除后不再计入统计，恢复后重新计入。"


def volunteer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """创建办/管理员 of the volunteer's unit: the volunteer goes with their service records."""
    volunteer = get_object_or_404(selectors.volunteers_visible(user=request.user), pk=pk)
    if not can_administer(request.user, volunteer.organization):
        raise PermissionDenied("只有本单位的创建办或管理员可以删除志愿者。")
    return confirm_delete(
        request,
        volunteer,
        cancel_url=reverse("volunteers:volunteer_detail", args=[volunteer.pk]),
        done_url=reverse("volunteers:index"),
        notes=(
            "志愿者的服务记录随之一并删除，活动本身保留。",
            _hours_note(ServiceRecord.objects.filter(volunteer=volunteer)),
        ),
    )


def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """创建办/管理员 of the organiser's unit: the activity goes with its service records; its dossier stays."""
    activity = get_object_or_404(selectors.activities_visible(user=request.user), pk=pk)
    if not can_administer(request.user, activity.organization):
        raise PermissionDenied("只有本单位的创建办或管理员可以删除志愿服务活动。")
    return confirm_delete(
        request,
        activity,
        cancel_url=reverse("volunteers:activity_detail", args=[activity.pk]),
        done_url=reverse("volunteers:activity_list"),
        notes=(
            "活动的服务记录随之一并删除，志愿者本身保留。",
            _hours_note(ServiceRecord.objects.filter(activity=activity)),
            "活动的台账档案是独立的记录，不会删除。" if activity.event_id else "",
        ),
    )
