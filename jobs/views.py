"""后台任务: the list, a job's page with its polled progress bar, download, cancel and retry."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import Job

PAGE_SIZE = 20


def _job(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(selectors.jobs_visible_to(request.user), pk=pk)


def job_list(request: HttpRequest) -> HttpResponse:
    services.job_reap_if_due()
    page = Paginator(selectors.jobs_of_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "jobs/job_list.html", {"page": page, "section_title": "后台任务"})


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    services.job_reap_if_due()
    job = _job(request, pk)
    return render(request, "jobs/job_detail.html", {"job": job, "section_title": "后台任务"})


def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled fragment: progress bar and actions; it stops polling once the job has ended."""
    job = _job(request, pk)
    return render(request, "jobs/_job_status.html", {"job": job})


def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not job.has_result:
        raise Http404("该任务没有可下载的结果文件。")
    try:
        fh = job.result.open("rb")
    except FileNotFoundError:
        raise Http404("结果文件已不存在，请重新生成。") from None
    content_type = mimetypes.guess_type(job.result_name)[0] or "application/octet-stream"
    response = FileResponse(fh, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, job.result_name or f"任务{job.pk}")
    return response


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.job_cancel(job=job, user=request.user)
        messages.success(request, "任务已取消。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("jobs:detail", pk=job.pk)


@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.job_retry(job=job, user=request.user)
        messages.success(request, "任务已重新排队。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("jobs:detail", pk=job.pk)
