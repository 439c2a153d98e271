"""{% archive_builds campaign %}: the campaign's 归档文件 (kept archive PDFs) and the button that builds one."""

from __future__ import annotations

from django import template
from django.utils import timezone

from campaigns.models import Campaign
from ledger import selectors
from ledger.archive.builds import archive_builds_of

register = template.Library()


@register.inclusion_tag("ledger/archive/_builds.html", takes_context=True)
def archive_builds(context: template.Context, campaign: Campaign) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    year = timezone.localdate().year
    year = min(max(year, campaign.start_year), campaign.end_year)
    return {
        "show": True,
        "campaign": campaign,
        "builds": list(archive_builds_of(user=user, campaign=campaign)[:50]),
        "can_build": selectors.can_manage_ledger(user, campaign),
        "year": year,
        "csrf_token": context.get("csrf_token"),
    }
