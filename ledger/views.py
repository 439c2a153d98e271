"""Views of the ledger: thin; reads go through selectors with the user, writes through services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.models import Task
from jobs.services import job_start
from organizations.models import Organization
from organizations.query_params import clean_text, query_choice, query_id, query_year, strip_control
from organizations.scoping import scope_filter

from . import jobs as ledger_jobs
from . import selectors, services
from .evidence_selectors import EVIDENCE_FILTER_CHOICES, dossier_summary, photo_findings
from .forms import DEFAULTS_TEXT, STATUS_CHOICES, EventForm, LedgerSettingsForm, MediaReportForm, ReturnForm
from .models import EventStatus, EvidenceFile, Slot, category_choices
from .serving import stored_file_response
from .uploads import ACCEPT_ATTR, UploadRefused, max_file_bytes, max_files_per_batch

PAGE_SIZE = 30
GALLERY_PAGE_SIZE = 48


def _filters(source: HttpRequest | QueryDict) -> selectors.EventFilters:
    """The list's filters from the query string (or a posted form); a value that is not a valid filter is ignored."""
    g = source.GET if isinstance(source, HttpRequest) else source
    return selectors.EventFilters(
        campaign=query_id(g.get("campaign")),
        year=query_year(g.get("year")),
        organization=query_id(g.get("organization")),
        category=query_choice(g.get("category"), dict(category_choices())),
        status=query_choice(g.get("status"), EventStatus.values),
        complete=query_choice(g.get("complete"), {"yes", "no"}),
        task=query_id(g.get("task")),
        late=query_choice(g.get("late"), {"yes", "no"}),
        evidence=query_choice(g.get("evidence"), dict(EVIDENCE_FILTER_CHOICES)),
        q=clean_text(g.get("q")),
        sort=query_choice(g.get("sort"), selectors.SORTS, default="-date"),
    )


def index(request: HttpRequest) -> HttpResponse:
    """台账: the list of dossiers (or the gallery of their photos) with filters, search, sort and pages."""
    f = _filters(request)
    view = "gallery" if request.GET.get("view") == "gallery" else "list"
    campaigns = list(selectors.campaigns_for_ledger(request.user))
    campaign = next((c for c in campaigns if c.pk == f.campaign), None)
    if campaign is None and f.campaign is None:
        # No campaign chosen: the buttons (workbook, archive, settings) are offered for the current one.
        campaign = selectors.current_campaign(campaigns, today=timezone.localdate())
    if view == "gallery":
        page = Paginator(selectors.gallery_images(user=request.user, filters=f), GALLERY_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    else:
        page = Paginator(selectors.event_list(user=request.user, filters=f), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    year_now = timezone.localdate().year
    export_year = f.year or (min(max(year_now, campaign.start_year), campaign.end_year) if campaign else year_now)
    organizations = selectors.scope_filter(Organization.objects.exclude(kind="office"), request.user).order_by("path")[
        :200
    ]
    tasks = Task.objects.filter(campaign=campaign).order_by("order", "pk") if campaign else []
    return render(
        request,
        "ledger/event_list.html",
        {
            "section_title": "台账",
            "page": page,
            "view": view,
            "filters": f,
            "querystring": urlencode(params),
            "view_querystring": urlencode({k: v for k, v in params.items() if k != "view"}),
            "campaigns": campaigns,
            "campaign": campaign,
            "years": range(year_now + 1, year_now - 6, -1),
            "organizations": organizations,
            "categories": category_choices(),
            "statuses": STATUS_CHOICES,
            "tasks": tasks,
            "sorts": selectors.SORT_LABELS.items(),
            "evidence_filters": EVIDENCE_FILTER_CHOICES,
            "export_year": export_year,
            "export_filters": _export_filter_params(f),
            "can_manage": bool(campaign) and selectors.can_manage_ledger(request.user, campaign),
            "can_create": any(selectors.organizations_for_new_event(request.user, c).exists() for c in campaigns[:5]),
        },
    )


# The list filters an export carries (campaign and year are the export's own fields).
EXPORT_FILTER_NAMES = ("organization", "task", "category", "status", "complete", "late", "evidence", "q")


def _export_filter_params(f: selectors.EventFilters) -> dict[str, object]:
    """The filters on screen, as the export buttons send them along (empty ones left out)."""
    return {name: getattr(f, name) for name in EXPORT_FILTER_NAMES if getattr(f, name)}


def _campaign_for(request: HttpRequest, pk: int | None):
    campaigns = selectors.campaigns_for_ledger(request.user)
    if pk is None:
        return campaigns.first()
    return get_object_or_404(campaigns, pk=pk)


def event_create(request: HttpRequest) -> HttpResponse:
    """新建档案; with ?task=ID (the 建档 button of a task) the task is linked and its campaign chosen."""
    task = selectors.task_for_new_event(request.user, query_id(request.GET.get("task")))
    campaign_pk = query_id(request.GET.get("campaign") or request.POST.get("campaign"))
    if campaign_pk is None and task is not None:
        campaign_pk = task.campaign_id
    campaign = _campaign_for(request, campaign_pk)
    if campaign is None or not selectors.organizations_for_new_event(request.user, campaign).exists():
        raise Http404("没有可以新建档案的创建活动。")
    form = EventForm(request.POST or None, user=request.user, campaign=campaign, task=task)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            event = services.event_create(
                campaign=campaign,
                organization=d["organization"],
                title=d["title"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                category=d["category"],
                place=d["place"],
                participant_count=d["participant_count"],
                description=d["description"],
                tasks=d["tasks"],
                created_by=request.user,
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "档案已建立，请上传方案通知、签到表、活动图片等材料。")
            return redirect("ledger:detail", pk=event.pk)
    campaigns = selectors.campaigns_for_ledger(request.user)
    return render(
        request,
        "ledger/event_form.html",
        {
            "form": form,
            "campaign": campaign,
            "campaigns": campaigns,
            "section_title": "新建活动档案",
            "task": task if task is not None and task.campaign_id == campaign.pk else None,
        },
    )


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    if not selectors.can_edit_event(request.user, event):
        messages.error(request, "档案已归档，不能再修改。")
        return redirect("ledger:detail", pk=event.pk)
    form = EventForm(request.POST or None, instance=event, user=request.user, campaign=event.campaign)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.event_update(
                event=event,
                actor=request.user,
                title=d["title"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                category=d["category"],
                place=d["place"],
                participant_count=d["participant_count"],
                description=d["description"],
                tasks=d["tasks"],
            )
        except (ValidationError, services.LedgerError) as exc:
            _errors_to_form(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, "已保存。")
            return redirect("ledger:detail", pk=event.pk)
    return render(
        request,
        "ledger/event_form.html",
        {"form": form, "campaign": event.campaign, "event": event, "section_title": "修改活动档案"},
    )


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier, laid out like the paper file: cover, table of contents, then the materials by slot."""
    event = get_object_or_404(selectors.event_detail_queryset(request.user), pk=pk)
    files = list(event.evidence.all())
    findings = photo_findings(user=request.user, files=files)
    for f in files:
        f.findings = findings.get(f.pk)
    by_slot = [(value, label, [f for f in files if f.slot == value]) for value, label in Slot.choices]
    completeness = services.event_completeness(event)
    requirements = services.ledger_settings_for(event.campaign).requirements_for(event.category)
    first_upload = min((f.uploaded_at for f in files), default=None)
    last_upload = max((f.uploaded_at for f in files), default=None)
    log_entries = list(event.log_entries.all())
    reports = list(event.media_reports.all())
    additions = selectors.dossier_additions(event)
    can_submit = selectors.can_submit_event(request.user, event)
    return render(
        request,
        "ledger/event_detail.html",
        {
            "section_title": "活动档案",
            "event": event,
            "by_slot": by_slot,
            "files": files,
            "completeness": completeness,
            "requirements": requirements,
            "slot_labels": dict(Slot.choices),
            "first_days": services.late_days(event, first_upload),
            "last_days": services.late_days(event, last_upload),
            "complete_days": services.late_days(event, event.completed_at),
            "late_limit": services.LATE_ENTRY_DAYS,
            "can_edit": selectors.can_edit_event(request.user, event),
            "can_submit": can_submit,
            "ask_submit": can_submit and not completeness.complete and request.GET.get("confirm") == "submit",
            "additions": additions,
            "media_reports": reports,
            "new_by_slot": additions.new_by_slot,
            "can_review": selectors.can_review_event(request.user, event) and event.status == EventStatus.SUBMITTED,
            # 回收站: a draft by whoever may change it; a numbered one (not archived) by the unit's 创建办/管理员.
            "can_delete": event.status != EventStatus.ARCHIVED
            and (
                selectors.can_review_event(request.user, event)
                or (selectors.can_submit_event(request.user, event) and not event.archive_number)
            ),
            "return_form": ReturnForm(),
            "media_form": MediaReportForm(event=event),
            "accept": ACCEPT_ATTR,
            "max_files": max_files_per_batch(),
            "max_file_mb": max_file_bytes(services.ledger_settings_for(event.campaign).max_file_mb) // 1048576,
            "slots": Slot.choices,
            "log_entries": log_entries,
            "evidence_summary": dossier_summary(files),
            "can_edit_aliases": selectors.can_manage_ledger(request.user, event.campaign),
        },
    )


@require_POST
def event_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Receive a batch of files (all or nothing). Answers JSON to the upload script, redirects otherwise."""
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    limit = max_file_bytes(services.ledger_settings_for(event.campaign).max_file_mb)
    uploads = [
        # Never read more than one byte past the limit: the checker refuses it as oversize.
        services.Upload(name=f.name, data=f.read(limit + 1))
        # The camera button is its own input, so a form posted without the script sends it under its own name.
        for f in [*request.FILES.getlist("files"), *request.FILES.getlist("camera")]
    ]
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        rows = services.evidence_add(
            event=event,
            slot=request.POST.get("slot", ""),
            uploads=uploads,
            uploaded_by=request.user,
            caption=request.POST.get("caption", ""),
        )
    except (UploadRefused, services.LedgerError) as exc:
        if wants_json:
            return JsonResponse({"ok": False, "error": f"{exc} 本批文件均未保存。"}, status=400)
        messages.error(request, f"{exc} 本批文件均未保存。")
        return redirect("ledger:detail", pk=event.pk)
    if wants_json:
        return JsonResponse({"ok": True, "files": [{"id": r.pk, "name": r.original_name} for r in rows]})
    messages.success(request, f"已上传 {len(rows)} 个文件。")
    return redirect("ledger:detail", pk=event.pk)


def _act(request: HttpRequest, pk: int, action, success: str, *, review: bool = False) -> HttpResponse:
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    if review and not selectors.can_review_event(request.user, event):
        raise Http404
    try:
        action(event)
    except services.LedgerError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("ledger:detail", pk=event.pk)


@require_POST
def event_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """提交. An incomplete dossier is asked about once ("尚缺：…。仍要提交吗？" on the dossier page, answered by
    a form posting confirm=1), so the question works without JavaScript too."""
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    if (
        request.POST.get("confirm") != "1"
        and selectors.can_submit_event(request.user, event)
        and not services.event_completeness(event).complete
    ):
        return redirect(f"{reverse('ledger:detail', args=[event.pk])}?confirm=submit#submit-confirm")
    return _act(
        request,
        pk,
        lambda e: services.event_submit(event=e, actor=request.user),
        "档案已提交。归档前仍可补充材料、修改信息，提交后补充的内容会标为“新增”。",
    )


@require_POST
def event_return(request: HttpRequest, pk: int) -> HttpResponse:
    reason = strip_control(request.POST.get("reason", ""))
    return _act(
        request,
        pk,
        lambda e: services.event_return(event=e, actor=request.user, reason=reason),
        "已退回。",
        review=True,
    )


@require_POST
def event_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda e: services.event_archive(event=e, actor=request.user), "已归档。", review=True)


def event_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤档 (管理员 only): a small form with the reason; an archived dossier is withdrawn, never deleted."""
    from django.core.exceptions import PermissionDenied

    from organizations.scoping import can_administer, can_manage

    from .forms import WithdrawForm

    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    if not (can_manage(request.user, event.organization) and can_administer(request.user, event.organization)):
        raise PermissionDenied("只有本单位的管理员可以撤档。")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_withdraw(event=event, actor=request.user, reason=form.cleaned_data["reason"])
        except (services.LedgerError, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "已撤档，档案退回为“已退回”状态。")
            return redirect("ledger:detail", pk=event.pk)
    return render(request, "ledger/event_withdraw.html", {"event": event, "form": form})


def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what goes into the 回收站 with the dossier (its files, media reports), or why it may not; POST deletes."""
    from django.http import HttpResponseNotAllowed
    from django.utils.html import format_html

    from organizations.scoping import can_administer
    from trash.services import retention_days, trash_preview

    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    if request.method == "GET":
        preview = trash_preview(obj=event)
        if event.status == EventStatus.ARCHIVED:
            preview.refusal = "已归档的档案不能删除，只能由管理员撤档。"
        elif event.archive_number and not can_administer(request.user, event.organization):
            preview.refusal = "已编档号的档案只能由本单位的创建办或管理员删除。"
        notes = ["档号随档案进入回收站，恢复时原样还回；彻底删除后该档号不再使用。"] if event.archive_number else []
        return render(
            request,
            "trash/delete_confirm.html",
            {
                "preview": preview,
                "notes": notes,
                "cancel_url": reverse("ledger:detail", args=[event.pk]),
                "retention_days": retention_days(),
            },
        )
    try:
        services.event_delete(event=event, actor=request.user)
    except services.LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("ledger:detail", pk=event.pk)
    messages.success(
        request,
        format_html('档案已移入<a href="{}">回收站</a>，{} 天内可恢复。', reverse("trash:index"), retention_days()),
    )
    return redirect("ledger:index")


@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(
        scope_filter(EvidenceFile.objects.all(), request.user, "event__organization", action="change"),
        pk=pk,
    )
    try:
        services.evidence_delete(evidence=evidence, actor=request.user)
    except services.LedgerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除“{evidence.original_name}”。")
    return redirect("ledger:detail", pk=evidence.event_id)


@require_POST
def media_report_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(selectors.events_changeable_by(request.user), pk=pk)
    form = MediaReportForm(request.POST, event=event)
    if not form.is_valid():
        messages.error(request, "媒体报道未保存：" + "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("ledger:detail", pk=event.pk)
    try:
        services.media_report_add(event=event, actor=request.user, **form.cleaned_data)
    except (services.LedgerError, ValidationError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "媒体报道已登记。")
    return redirect("ledger:detail", pk=event.pk)


# ------------------------------------------------------------------------------
# Serving files: only through these views, only what the scope allows
# ------------------------------------------------------------------------------
def _serve(request: HttpRequest, pk: int, *, inline: bool, thumbnail: bool = False) -> HttpResponse:
    evidence = get_object_or_404(selectors.evidence_visible_to(request.user), pk=pk)
    if thumbnail:
        if not evidence.is_image:
            raise Http404
        if not evidence.thumbnail:
            evidence = services.evidence_make_thumbnail(evidence_id=evidence.pk)
        return stored_file_response(
            evidence.thumbnail,
            content_type="image/jpeg",
            download_name=f"缩略图-{evidence.original_name}.jpg",
            inline=inline,
        )
    return stored_file_response(
        evidence.file,
        content_type=evidence.content_type,
        download_name=evidence.original_name,
        inline=inline and evidence.inline,
    )


def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _serve(request, pk, inline=False)


def evidence_preview(request: HttpRequest, pk: int) -> HttpResponse:
    return _serve(request, pk, inline=True)


def evidence_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    return _serve(request, pk, inline=True, thumbnail=True)


# ------------------------------------------------------------------------------
# Workbook and archive
# ------------------------------------------------------------------------------
def _export_args(request: HttpRequest):
    data = request.POST  # the export buttons POST: each starts a job
    campaign = get_object_or_404(selectors.campaigns_for_ledger(request.user), pk=query_id(data.get("campaign")))
    year = timezone.localdate().year if not data.get("year") else query_year(data["year"])
    if year is None:
        raise Http404("年度须在 2000–2100 之间。")
    return campaign, year, selectors.events_visible_to(request.user)


def _export_job(request: HttpRequest, kind: str) -> HttpResponse:
    """Start the annual export as a job (it can take minutes for a large year) and show its progress page."""
    campaign, year, _events = _export_args(request)
    # The filters on screen travel with the export (checked like the list's own query string).
    shown = _filters(request.POST)
    filters = _export_filter_params(shown)
    include = request.POST.get("include_unfinished") == "1"
    title = ledger_jobs.export_title(campaign, year, kind)
    if filters:
        title += "（按筛选条件）"
    job = job_start(
        kind=kind,
        user=request.user,
        organization=campaign.unit,
        params={"campaign": campaign.pk, "year": year, "filters": filters, "include_unfinished": include},
        title=title,
    )
    messages.info(request, "已开始在后台生成，完成后可在本页下载；离开本页不影响生成。")
    return redirect("jobs:detail", pk=job.pk)


@require_POST
def export_workbook(request: HttpRequest) -> HttpResponse:
    return _export_job(request, ledger_jobs.WORKBOOK)


@require_POST
def export_archive(request: HttpRequest) -> HttpResponse:
    return _export_job(request, ledger_jobs.ZIP)


def ledger_settings(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = get_object_or_404(selectors.campaigns_for_ledger(request.user), pk=campaign_pk)
    if not selectors.can_manage_ledger(request.user, campaign):
        raise Http404
    current = services.ledger_settings_for(campaign)
    form = LedgerSettingsForm(request.POST or None, settings_obj=current)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        services.ledger_settings_update(
            campaign=campaign,
            review_enabled=d["review_enabled"],
            required_slots=form.required_slots(),
            max_file_mb=d["max_file_mb"],
            max_dossier_mb=d["max_dossier_mb"],
        )
        messages.success(request, "台账设置已保存，各档案的完整性已重新计算。")
        return redirect(f"{reverse('ledger:index')}?campaign={campaign.pk}")
    return render(
        request,
        "ledger/settings_form.html",
        {
            "form": form,
            "campaign": campaign,
            "slots": Slot.choices,
            "defaults_text": DEFAULTS_TEXT,
            "section_title": "台账设置",
        },
    )
