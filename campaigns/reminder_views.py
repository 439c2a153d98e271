"""Pages of the reminders issue in campaigns: a campaign's 提醒规则, and 催办 on an overdue task."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, urging
from .models import ReminderSettings
from .reminder_forms import ReminderSettingsForm


def reminder_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """提醒规则: everyone who reads the campaign sees them; its unit's 创建办/管理员 change them."""
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
    can_change = selectors.campaigns_changeable_by(request.user).filter(pk=campaign.pk).exists()
    instance = ReminderSettings.objects.filter(campaign=campaign).first() or ReminderSettings(campaign=campaign)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("只有本单位的创建办或管理员可以修改提醒规则。")
        form = ReminderSettingsForm(request.POST, instance=ReminderSettings(campaign=campaign))
        if form.is_valid():
            urging.reminder_settings_update(
                campaign=campaign, user=request.user, **{f: form.cleaned_data[f] for f in urging.SETTINGS_FIELDS}
            )
            messages.success(request, "提醒规则已保存。")
            return redirect("campaigns:reminder_settings", pk=campaign.pk)
        status = 400
    else:
        form = ReminderSettingsForm(instance=instance)
        status = 200
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "campaigns/reminder_settings.html",
        {"campaign": campaign, "form": form, "can_change": can_change, "settings_row": instance},
        status=status,
    )


@require_POST
def task_urge(request: HttpRequest, pk: int) -> HttpResponse:
    """催办 an overdue task: the lead departments' 联络员 and 责任人 are told at once; once per task per day."""
    task = get_object_or_404(selectors.tasks_visible_to(request.user).select_related("campaign__unit"), pk=pk)
    if not selectors.campaigns_changeable_by(request.user).filter(pk=task.campaign_id).exists():
        raise PermissionDenied("只有本单位的创建办或管理员可以催办。")
    try:
        urge = urging.task_urge(task=task, user=request.user, text=request.POST.get("text", ""))
    except urging.UrgeError as exc:
        return render(
            request,
            "campaigns/urge_refused.html",
            {"message": str(exc), "back": reverse("campaigns:task_detail", args=[task.pk])},
            status=409,
        )
    messages.success(request, f"已催办，{urge.recipient_count} 人已收到通知。")
    return redirect("campaigns:task_detail", pk=task.pk)
