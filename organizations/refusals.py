"""Refused accesses (a 403, or a 404 on a page whose URL resolved: an object out of the user's scope) are kept as
AccessRefusal rows, shown on the 操作记录 page (操作 “拒绝访问”) to the 管理员 of the user's organisation and above.

Rate-limited: one entry per user and path in each REFUSED_ACCESS_WINDOW seconds (default 60), counted in the cache
(Redis in production, so every web process shares it). A crawler walking ids writes one row per id per minute at
most; a user reloading a refused page writes one. Without a reachable cache every refusal is recorded.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from .models import AccessRefusal
from .scoping import get_scope, scope_filter

log = logging.getLogger(__name__)


def window_seconds() -> int:
    return int(getattr(settings, "REFUSED_ACCESS_WINDOW", 60))


def _first_time_in_window(user_id: int, path: str) -> bool:
    digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"{getattr(settings, 'REDIS_KEY_PREFIX', '')}refused:{user_id}:{digest}"
    try:
        return bool(cache.add(key, 1, timeout=window_seconds()))
    except Exception:  # the cache is down: record rather than lose the refusal
        log.warning("refused-access rate limit unavailable (cache error); recording anyway", exc_info=True)
        return True


def refused_access_record(*, user: Any, path: str, status: int, method: str = "GET") -> AccessRefusal | None:
    """Record that `user` was refused `path` (403/404), unless the same was recorded within the window."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not _first_time_in_window(user.pk, path):
        return None
    memberships = get_scope(user).memberships
    organization = memberships[0].organization if memberships else None
    return AccessRefusal.objects.create(
        actor=user, organization=organization, path=path[:1000], method=method[:10], status=status
    )


def refusals_for(*, user: Any, organization: Any = None) -> QuerySet[AccessRefusal]:
    """Refusals of people in the organisations the user manages (管理员 only), newest first."""
    qs = AccessRefusal.objects.select_related("actor", "organization")
    qs = scope_filter(qs, user, "organization", action="manage")
    if organization is not None:
        qs = qs.filter(organization__path__startswith=organization.path)
    return qs.order_by("-at", "-pk")
