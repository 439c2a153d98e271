"""The site's URLs plus views that fail on purpose, for the 400 and 500 pages (tests/config/test_headers.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


def denied_in_english(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("CSRF-ish internal reason")


urlpatterns = [
    path("test-errors/500/", boom),
    path("test-errors/400/", suspicious),
    path("test-errors/403/", denied_in_english),
    *site_urlpatterns,
]
