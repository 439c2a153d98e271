"""Headers every page carries: the Content-Security-Policy (with a fresh script nonce) and the Permissions-Policy.

Django 5.2 has no CSP of its own (6.0 does). The policy is built from settings.CONTENT_SECURITY_POLICY, a dict of
directive -> sources; the nonce is added to script-src on every request and exposed to templates as
`{{ request.csp_nonce }}`. Only HTML responses get the policy: files served by a view set their own (the evidence
views sandbox everything but PDFs, whose viewer a document policy would break). A view may set its own
Content-Security-Policy header; this middleware leaves it alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_HEADER = "Permissions-Policy"


def build_csp(policy: dict[str, list[str]], nonce: str) -> str:
    """The header value: directives in the order given, the nonce appended to script-src."""
    parts = []
    for directive, sources in policy.items():
        values = list(sources)
        if directive == "script-src" and nonce:
            values.append(f"'nonce-{nonce}'")
        parts.append(" ".join([directive, *values]) if values else directive)
    return "; ".join(parts)


def build_permissions_policy(policy: dict[str, list[str]]) -> str:
    """`camera=(), fullscreen=(self)`: each feature with its allow-list (empty: nobody)."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    """Adds the CSP to HTML responses and the Permissions-Policy to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = build_permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if PERMISSIONS_HEADER not in response:
            response[PERMISSIONS_HEADER] = self.permissions_policy
        if CSP_HEADER in response or not self._is_html(response):
            return response
        if settings.DEBUG and response.status_code in {404, 500}:
            # Django's technical error pages (DEBUG only) are built on inline styles and scripts.
            return response
        response[CSP_HEADER] = build_csp(settings.CONTENT_SECURITY_POLICY, request.csp_nonce)
        return response

    @staticmethod
    def _is_html(response: HttpResponse) -> bool:
        return response.get("Content-Type", "").split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
