"""Starting an archive PDF build (a job) and downloading a kept build (归档文件)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jobs.services import job_start
from organizations.query_params import query_id, query_year

from .. import selectors
from .builds import archive_builds_visible_to
from .job import ARCHIVE_PDF, archive_title


@require_POST
def archive_pdf_start(request: HttpRequest) -> HttpResponse:
    """The 创建办 (or an admin) of the campaign's unit starts the year's archive PDF; others get 404."""
    data = request.POST
    campaign = get_object_or_404(selectors.campaigns_for_ledger(request.user), pk=query_id(data.get("campaign")))
    if not selectors.can_manage_ledger(request.user, campaign):
        raise Http404("只有本单位创建办或管理员可以生成年度台账档案。")
    year = timezone.localdate().year if not data.get("year") else query_year(data["year"])
    if year is None:
        raise Http404("年度须在 2000–2100 之间。")
    job = job_start(
        kind=ARCHIVE_PDF,
        user=request.user,
        organization=campaign.unit,
        params={"campaign": campaign.pk, "year": year},
        title=archive_title(campaign, year),
    )
    messages.info(request, "已开始在后台生成年度台账档案 PDF，完成后可在本页或创建活动的“归档文件”中下载。")
    return redirect("jobs:detail", pk=job.pk)


def archive_build_download(request: HttpRequest, pk: int) -> HttpResponse:
    build = get_object_or_404(archive_builds_visible_to(request.user), pk=pk)
    try:
        fh = build.file.open("rb")
    except FileNotFoundError:
        raise Http404("该归档文件已不存在。") from None
    response = FileResponse(fh, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, build.filename)
    response["X-Content-SHA256"] = build.sha256
    return response
