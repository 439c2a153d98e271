from collections.abc import Callable

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .selectors import ObjectHistory

PAGE_SIZE = 50


def _page(request: HttpRequest, pk: int, build: Callable[..., ObjectHistory], kind: str) -> HttpResponse:
    history = build(user=request.user, pk=pk)
    page = Paginator(history.entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "history/object_history.html", {"history": history, "page": page, "kind": kind, "querystring": ""}
    )


def dossier_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, selectors.dossier_history, "档案")


def task_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, selectors.task_history, "任务")


def volunteer_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, selectors.volunteer_history, "志愿者")


def round_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, selectors.round_history, "自检自查")


def rectification_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk, selectors.rectification_history, "整改事项")
