"""Request-level hooks of the organisations app."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

REFUSED_STATUSES = frozenset({403, 404})


class RefusedAccessMiddleware:
    """Log 403s, and 404s of URLs that resolved to a view (an object fetched through a scoped selector that is not
    the user's), for signed-in users. Unknown URLs (no view) are not refusals and are not logged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED_STATUSES and getattr(request, "resolver_match", None) is not None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                from .refusals import refused_access_record

                try:
                    refused_access_record(
                        user=user, path=request.path, status=response.status_code, method=request.method or ""
                    )
                except Exception:  # never turn a refusal into a 500
                    log.exception("could not record a refused access to %s", request.path)
        return response
