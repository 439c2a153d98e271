"""A batch with more files than a request may carry gets a Chinese answer naming the limit, not a bare 400.

Django refuses such a request (TooManyFilesSent) while parsing the body, which the CSRF check does before any
view runs, so no view can catch it. This middleware parses a signed-in user's multipart POST first and answers
the refusal itself: JSON for the upload script, a page in the site's layout for a plain form post.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .uploads import max_files_per_batch, too_many_files_message


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "POST"
            and request.content_type == "multipart/form-data"
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            try:
                request.POST  # noqa: B018 - parse now, so the limit is answered here
            except TooManyFilesSent:
                return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        message = f"{too_many_files_message(max_files_per_batch())}本批文件均未保存。"
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ok": False, "error": message}, status=400)
        return render(
            request,
            "ledger/upload_refused.html",
            {"message": message, "back": request.headers.get("Referer", "")},
            status=400,
        )
