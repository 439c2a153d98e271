from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/index.html", {"section_title": "创建方案与任务"})
