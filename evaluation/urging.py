"""催办 on an overdue rectification item (the record and the once-a-day rule live in campaigns.urging)."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Urge
from campaigns.urging import UrgeError, urge_create

from .models import RectificationItem
from .reminders import rectification_recipients


def rectification_urge(
    *, item: RectificationItem, user: Any, text: str = "", now: datetime.datetime | None = None
) -> Urge:
    """催办 an overdue, open item: its 责任人 (by name), the responsible units' 联络员, else the 创建办."""
    today = timezone.localdate(now or timezone.now())
    if not _overdue(item, today):
        raise UrgeError("只能催办已逾期且未完成的整改事项。")
    label = item.problem[:40]
    return urge_create(
        campaign=item.campaign,
        target=item,
        user=user,
        text=text,
        rule="urge.rectification",
        title=f"催办整改：{label}",
        body=f"整改事项“{label}”已逾期 {(today - item.deadline).days} 天"
        f"（整改时限 {item.deadline:%Y年%-m月%-d日}），请立即整改并上传佐证。",
        url=reverse("evaluation:rectification_edit", args=[item.pk]),
        recipients=rectification_recipients(item),
        robot_organizations=tuple(item.responsible_units.all()),
        now=now,
    )


def _overdue(item: RectificationItem, today: datetime.date) -> bool:
    from .reminders import OPEN

    return item.status in OPEN and item.deadline is not None and item.deadline < today
