"""{% urge_box obj %}: the 催办 button and history on a task or rectification item page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Task, TaskStatus
from campaigns.urging import urges_for
from organizations.scoping import can_administer

register = template.Library()


def _overdue(obj: Any, today) -> tuple[bool, str]:
    if isinstance(obj, Task):
        late = obj.status != TaskStatus.DONE and obj.due_date is not None and obj.due_date < today
        return late, reverse("campaigns:task_urge", args=[obj.pk])
    late = bool(getattr(obj, "is_overdue", False))
    return late, reverse("evaluation:rectification_urge", args=[obj.pk])


@register.inclusion_tag("campaigns/_urge_box.html", takes_context=True)
def urge_box(context: template.Context, obj: Any) -> dict:
    request = context.get("request")
    today = timezone.localdate()
    late, action = _overdue(obj, today)
    user = getattr(request, "user", None)
    can_urge = late and can_administer(user, obj.campaign.unit)
    urges = list(urges_for(obj)[:20])
    return {
        "can_urge": can_urge,
        "urges": urges,
        "urged_today": any(u.on_date == today for u in urges),
        "action": action,
        "csrf_token": context.get("csrf_token"),
    }
