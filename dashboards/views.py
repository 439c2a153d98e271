from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import workbench_for


def home(request: HttpRequest) -> HttpResponse:
    """工作台: who I am, where I sit in the tree, and what is in my scope."""
    return render(request, "dashboards/home.html", {"workbench": workbench_for(user=request.user)})


def cockpit(request: HttpRequest) -> HttpResponse:
    """驾驶舱 for the leadership group (filled in by the dashboards issue)."""
    return render(request, "dashboards/cockpit.html", {"section_title": "驾驶舱"})
