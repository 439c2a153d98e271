"""Error pages in Chinese, in the site's layout (wired as handler400/403/404/500 and CSRF_FAILURE_VIEW).

A 403 shows the reason the view gave (`PermissionDenied("只有本单位的创建办或管理员可以修改创建活动。")`) when it is
a message for people, that is, Chinese; Django's own English reasons become a general sentence. The 500 page is
rendered without a request or the database (whatever broke may be the database), from a template that extends
nothing.
"""

from __future__ import annotations

import re

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader

_CHINESE = re.compile(r"[\u3400-\u9fff]")


def reason_for_people(exception: object) -> str:
    """The exception's message when it was written for the user (contains Chinese), else ''."""
    if exception is None:
        return ""
    text = str(exception.args[0]) if getattr(exception, "args", None) else str(exception)
    text = text.strip()
    return text if _CHINESE.search(text) else ""


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    # Rendered without the request, as Django does: the request itself may be what was wrong (a bad Host header).
    html = loader.render_to_string(template_name, {"reason": reason_for_people(exception)})
    return HttpResponseBadRequest(html)


def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    html = loader.render_to_string(template_name, {"reason": reason_for_people(exception)}, request=request)
    return HttpResponseForbidden(html)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    context = {"reason": reason_for_people(exception), "request_path": request.path}
    return HttpResponseNotFound(loader.render_to_string(template_name, context, request=request))


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    return HttpResponseServerError(loader.render_to_string(template_name))


def csrf_failure(request: HttpRequest, reason: str = "", template_name: str = "403_csrf.html") -> HttpResponse:
    # Django has already logged the reason (django.security.csrf); people get a sentence they can act on.
    return HttpResponseForbidden(loader.render_to_string(template_name, {}, request=request))
