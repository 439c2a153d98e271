"""Pages of the evaluation app. Reads go through `selectors` (scoped to the user), writes through `services`.

Objects outside the user's scope answer 404; a page the user may read but not change answers 403 on a write.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ledger.serving import stored_file_response
from organizations.media import pending_delete, pending_read, pending_save, pending_sweep
from organizations.query_params import clean_text, query_id, strip_control

from . import exports, selectors, services
from .forms import (
    AdoptForm,
    BulkRectifyForm,
    CriteriaTagForm,
    ImportForm,
    PublishedImportForm,
    RectificationForm,
    RoundForm,
)
from .models import (
    BonusItem,
    Criterion,
    EvaluationSystem,
    NegativeListItem,
    RectificationStatus,
    ScoringStyle,
    SelfAssessment,
)
from .scoring import ScoringError, format_points
from .workbook import parse_workbook, template_workbook

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ----------------------------------------------------------------------------------------------
# Systems (shared read-only)
# ----------------------------------------------------------------------------------------------
def index(request: HttpRequest) -> HttpResponse:
    query = clean_text(request.GET.get("q"))
    systems = selectors.systems_visible_to(request.user).annotate(
        item_count=Count("items", distinct=True), campaign_count=Count("campaign_links", distinct=True)
    )
    if query:
        systems = systems.filter(Q(name__icontains=query) | Q(issuer__icontains=query) | Q(level__icontains=query))
    page = Paginator(systems.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    campaigns = selectors.campaigns_visible_to(request.user).order_by("unit__path", "-start_year")[:50]
    return render(
        request,
        "evaluation/index.html",
        {
            "page": page,
            "query": query,
            "campaigns": campaigns,
            "can_import": selectors.can_import_systems(request.user),
            "querystring": urlencode({"q": query}),
        },
    )


def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(selectors.systems_visible_to(request.user), pk=pk)
    return render(
        request,
        "evaluation/system_detail.html",
        {
            "system": system,
            "indicators": selectors.system_tree(system),
            "items_without_indicators": system.items.filter(indicators__isnull=True),
            "negatives": system.negative_items.all(),
            "bonuses": system.bonus_items.all(),
            "can_import": selectors.can_import_systems(request.user),
        },
    )


def system_export(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(selectors.systems_visible_to(request.user), pk=pk)
    from .workbook import build_workbook

    return _xlsx(build_workbook(selectors.system_snapshot(system)), f"{system.name}.xlsx")


def template_download(request: HttpRequest) -> HttpResponse:
    return _xlsx(template_workbook(), "测评体系导入模板.xlsx")


def template_doc(request: HttpRequest) -> HttpResponse:
    from .workbook import TEMPLATE_GUIDE

    return render(request, "evaluation/template_doc.html", {"guide": TEMPLATE_GUIDE[1:]})


PENDING_FOLDER = "evaluation/pending"


def _keep_pending(token: str, data: bytes) -> None:
    """Keep an uploaded workbook in the media storage (a confirm may reach another web replica than the preview);
    ones older than a day are dropped first."""
    pending_sweep(PENDING_FOLDER)
    pending_save(PENDING_FOLDER, token, data)


def system_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (counts, warnings, row errors) → confirm; the file waits in the storage under a token."""
    if not selectors.can_import_systems(request.user):
        raise PermissionDenied("只有管理员或创建办可以导入测评体系")
    form = ImportForm()
    preview = None
    token = ""
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        if not re.fullmatch(r"[0-9a-f]{32}", token):
            token = ""
        pending = request.session.get("evaluation_pending", {})
        name = pending.get(token)
        data = pending_read(PENDING_FOLDER, token) if name else None
        if data is None:
            messages.error(request, "导入文件已过期，请重新上传。")
            return redirect("evaluation:system_import")
        parsed = parse_workbook(data, filename=name)
        if parsed.ok:
            system = services.system_import(parsed=parsed, user=request.user, filename=name)
            pending_delete(PENDING_FOLDER, token)
            pending.pop(token, None)
            request.session["evaluation_pending"] = pending
            messages.success(request, f"已导入测评体系“{system.name}”。")
            return redirect("evaluation:system_detail", pk=system.pk)
        preview = parsed
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            preview = parse_workbook(data, filename=upload.name)
            if preview.ok:
                token = uuid.uuid4().hex
                _keep_pending(token, data)
                pending = request.session.get("evaluation_pending", {})
                pending[token] = upload.name
                request.session["evaluation_pending"] = pending
    return render(
        request,
        "evaluation/system_import.html",
        {"form": form, "preview": preview, "token": token, "counts": preview.counts() if preview else None},
    )


_STYLE_VALUES = {"points", "grade", "deduction", "yes_no"}
_PUBLISHED_SESSION = "evaluation_published_pending"


def system_import_published(request: HttpRequest) -> HttpResponse:
    """A published 测评体系 (.xlsx/.docx, its own columns): upload → column mapping + preview → confirm.

    The mapping guessed from the headers (or remembered from the last file of the same layout) is shown as a select
    per column; changing one re-reads the table. The file waits in the media storage under a random token until
    confirmed.
    """
    from .published import FIELD_LABELS, MAPPABLE_FIELDS, PublishedRefused, build_system, read_table

    if not selectors.can_import_systems(request.user):
        raise PermissionDenied("只有管理员或创建办可以导入测评体系")
    form = PublishedImportForm()
    table = result = None
    token, filename, remembered = "", "", False
    try:
        if request.method == "POST" and request.POST.get("token"):
            token = request.POST["token"] if re.fullmatch(r"[0-9a-f]{32}", request.POST["token"]) else ""
            filename = request.session.get(_PUBLISHED_SESSION, {}).get(token, "")
            data = pending_read(PENDING_FOLDER, token) if token and filename else None
            if data is None:
                messages.error(request, "导入文件已过期，请重新上传。")
                return redirect("evaluation:system_import_published")
            mapping = {
                int(key[4:]): value
                for key, value in request.POST.items()
                if key.startswith("map-")
                and key[4:].isascii()
                and key[4:].isdigit()
                and value in FIELD_LABELS
                and value
            }
            styles = {
                key[6:]: value
                for key, value in request.POST.items()
                if key.startswith("style-") and value in _STYLE_VALUES
            }
            table = read_table(data, filename, mapping=mapping)
            result = build_system(table, name=request.POST.get("name", "").strip()[:200], styles=styles)
            if request.POST.get("confirm") == "1" and result.system.ok:
                system = services.system_import_published(
                    result=result,
                    headers=table.headers,
                    mapping=table.mapping,
                    signature=table.signature,
                    user=request.user,
                    filename=filename,
                )
                pending_delete(PENDING_FOLDER, token)
                pending = request.session.get(_PUBLISHED_SESSION, {})
                pending.pop(token, None)
                request.session[_PUBLISHED_SESSION] = pending
                messages.success(request, f"已导入测评体系“{system.name}”，列对应已记住，下次同样格式的表格自动套用。")
                return redirect("evaluation:system_detail", pk=system.pk)
        elif request.method == "POST":
            form = PublishedImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read()
                filename = upload.name[:200]
                table = read_table(data, filename)
                known = selectors.remembered_mapping(table.signature)
                if known:
                    table = read_table(data, filename, mapping=known)
                    remembered = True
                result = build_system(table)
                token = uuid.uuid4().hex
                _keep_pending(token, data)
                pending = request.session.get(_PUBLISHED_SESSION, {})
                pending[token] = filename
                request.session[_PUBLISHED_SESSION] = pending
    except PublishedRefused as exc:
        if form.is_bound:
            form.add_error("file", str(exc))
        else:
            messages.error(request, str(exc))
        table = result = None
    if result is not None:
        # What the preview shows beside each criterion and negative item, as written in the file.
        for c in result.system.criteria:
            c.scoring_rule = result.criteria_extra.get(c.code, {}).get("scoring_rule", "")  # type: ignore[attr-defined]
        labels = {"veto": "一票否决", "warning": "警示", "deduct": "扣分"}
        for n in result.system.negatives:
            n.label = labels.get(n.consequence, n.consequence)  # type: ignore[attr-defined]
            n.words = result.negatives_extra.get(n.code, "")  # type: ignore[attr-defined]
    columns = []
    if table is not None:
        body = table.rows[table.header_row + 1 : table.header_row + 4]
        for c, header in enumerate(table.headers):
            samples = [row[c] for row in body if c < len(row) and row[c]][:2]
            columns.append({"index": c, "header": header, "samples": samples, "field": table.mapping.get(c, "")})
    return render(
        request,
        "evaluation/system_import_published.html",
        {
            "form": form,
            "table": table,
            "result": result,
            "token": token,
            "columns": columns,
            "fields": MAPPABLE_FIELDS,
            "remembered": remembered,
            "style_choices": [("points", "分值"), ("grade", "等级"), ("deduction", "扣分"), ("yes_no", "是否")],
            "counts": result.system.counts() if result else None,
        },
    )


# ----------------------------------------------------------------------------------------------
# A campaign's evaluation: adopted systems, rounds, coverage, tags
# ----------------------------------------------------------------------------------------------
def _campaign(request: HttpRequest, campaign_pk: int, *, change: bool = False):
    campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=campaign_pk)
    if change and not selectors.can_change_campaign(request.user, campaign):
        raise PermissionDenied("只有本单位管理员或创建办可以修改")
    return campaign


def campaign_overview(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    rounds = list(SelfAssessment.objects.filter(campaign=campaign).select_related("system").order_by("-date", "-pk"))
    totals = selectors.round_totals(rounds)
    for r in rounds:
        r.totals = totals[r.pk]
    systems = selectors.campaign_systems(campaign)
    return render(
        request,
        "evaluation/campaign_overview.html",
        {
            "campaign": campaign,
            "systems": systems,
            "rounds": rounds,
            "can_change": selectors.can_change_campaign(request.user, campaign),
            "adopt_form": AdoptForm(),
            "round_form": RoundForm(
                initial={"date": None, "system": systems[0] if systems else None},
                systems=EvaluationSystem.objects.all(),
            ),
            "open_rectifications": campaign.rectifications.filter(
                status__in=[RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS]
            ).count(),
        },
    )


@require_POST
def system_adopt(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk, change=True)
    form = AdoptForm(request.POST)
    if form.is_valid():
        services.campaign_system_adopt(campaign=campaign, system=form.cleaned_data["system"])
        messages.success(request, "已采用该测评体系。")
    else:
        messages.error(request, "请选择测评体系。")
    return redirect("evaluation:campaign_overview", campaign_pk=campaign.pk)


@require_POST
def round_create(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk, change=True)
    form = RoundForm(request.POST, systems=EvaluationSystem.objects.all())
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("evaluation:campaign_overview", campaign_pk=campaign.pk)
    assessment = services.assessment_create(
        campaign=campaign,
        system=form.cleaned_data["system"],
        name=form.cleaned_data["name"],
        date=form.cleaned_data["date"],
        user=request.user,
    )
    return redirect("evaluation:round_detail", pk=assessment.pk)


def coverage(request: HttpRequest, campaign_pk: int, system_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    system = get_object_or_404(selectors.systems_visible_to(request.user), pk=system_pk)
    indicators = selectors.system_tree(system)
    criteria = [c for ind in indicators for c in ind.criteria.all()]
    cov = selectors.coverage_for(campaign, criteria)
    # One material, reported once: a dossier tagged to several criteria counts under each of them.
    shared: dict[int, int] = {}
    for v in cov.values():
        for e in v.events:
            shared[e.pk] = shared.get(e.pk, 0) + 1
    for v in cov.values():
        for e in v.events:
            e.criteria_count = shared[e.pk]
    only_gaps = request.GET.get("gaps") == "1"
    groups: list = []
    gap_count = 0
    item_gaps: dict[int, list[int]] = {}
    for ind in indicators:
        rows = [(c, cov[c.pk]) for c in ind.criteria.all()]
        gaps = sum(1 for _, v in rows if v.gap)
        gap_count += gaps
        counts = item_gaps.setdefault(ind.item_id, [0, 0])
        counts[0] += gaps
        counts[1] += len(rows)
        ind.gap_summary = (gaps, len(rows))
        if only_gaps:
            rows = [(c, v) for c, v in rows if v.gap]
            if not rows:
                continue
        if not groups or groups[-1][0].pk != ind.item_id:
            groups.append((ind.item, []))
        groups[-1][1].append((ind, rows))
    for item, _ in groups:
        item.gap_summary = tuple(item_gaps.get(item.pk, (0, 0)))
    return render(
        request,
        "evaluation/coverage.html",
        {
            "campaign": campaign,
            "system": system,
            "groups": groups,
            "gap_count": gap_count,
            "criterion_count": len(criteria),
            "only_gaps": only_gaps,
            "shared_dossiers": sum(1 for n in shared.values() if n > 1),
        },
    )


def _tag_page(request, *, obj, campaign, kind: str, can_change: bool, save):
    queryset = selectors.criteria_for_campaign(campaign)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        form = CriteriaTagForm(request.POST, queryset=queryset)
        if form.is_valid():
            save(form.cleaned_data["criteria"])
            messages.success(request, "已保存关联的测评标准。")
            return redirect(request.path)
    else:
        form = CriteriaTagForm(initial={"criteria": list(obj.criteria.all())}, queryset=queryset)
    return render(
        request,
        "evaluation/tags.html",
        {"obj": obj, "kind": kind, "campaign": campaign, "form": form, "can_change": can_change},
    )


def task_tags(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = get_object_or_404(selectors.tasks_visible_to(request.user), pk=task_pk)
    can_change = selectors.tasks_taggable_by(request.user).filter(pk=task.pk).exists()
    return _tag_page(
        request,
        obj=task,
        campaign=task.campaign,
        kind="任务",
        can_change=can_change,
        save=lambda criteria: services.task_criteria_set(task=task, criteria=criteria),
    )


def event_tags(request: HttpRequest, event_pk: int) -> HttpResponse:
    event = get_object_or_404(selectors.events_visible_to(request.user), pk=event_pk)
    can_change = selectors.events_taggable_by(request.user).filter(pk=event.pk).exists()
    return _tag_page(
        request,
        obj=event,
        campaign=event.campaign,
        kind="档案",
        can_change=can_change,
        save=lambda criteria: services.event_criteria_set(event=event, criteria=criteria),
    )


# ----------------------------------------------------------------------------------------------
# Self-inspection rounds
# ----------------------------------------------------------------------------------------------
def _round(request: HttpRequest, pk: int, *, change: bool = False) -> SelfAssessment:
    assessment = get_object_or_404(selectors.assessments_visible_to(request.user), pk=pk)
    if change and not selectors.can_change_campaign(request.user, assessment.campaign):
        raise PermissionDenied("只有本单位管理员或创建办可以评分")
    return assessment


def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _round(request, pk)
    sheet = selectors.assessment_sheet(assessment)
    others = [
        r
        for r in SelfAssessment.objects.filter(campaign=assessment.campaign, system=assessment.system).order_by("-date")
        if r.pk != assessment.pk
    ]
    return render(
        request,
        "evaluation/round_detail.html",
        {
            "a": assessment,
            "sheet": sheet,
            "totals": sheet.totals,
            "others": others,
            "can_change": selectors.can_change_campaign(request.user, assessment.campaign) and not assessment.is_locked,
            # 转整改 stays open after 定稿: a locked round is exactly the one whose lost points get rectified.
            "can_rectify": selectors.can_change_campaign(request.user, assessment.campaign),
            "lost_count": sum(1 for rows in sheet.rows_by_indicator.values() for r in rows if r.below_full),
        },
    )


def _parse_deduction_lines(text: str) -> list[dict[str, str]]:
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        head, _, reason = line.replace("\u3000", " ").partition(" ")
        rows.append({"points": head.removeprefix("扣").removesuffix("分"), "reason": reason.strip()})
    return rows


def _row_response(request, assessment: SelfAssessment, criterion_pk: int, *, error: str = "", form_values=None):
    """The criterion's row again, plus the totals and its indicator/item subtotals swapped out of band."""
    sheet = selectors.assessment_sheet(assessment)
    row = next(r for rows in sheet.rows_by_indicator.values() for r in rows if r.criterion.pk == criterion_pk)
    return render(
        request,
        "evaluation/_score_row_response.html",
        {
            "a": assessment,
            "row": row,
            "sheet": sheet,
            "totals": sheet.totals,
            "indicator_id": row.criterion.indicator_id,
            "item_id": row.criterion.indicator.item_id,
            "error": error,
            "form_values": form_values or {},
            "can_change": not assessment.is_locked,
            "can_rectify": True,  # only reached after the change check
        },
    )


@require_POST
def score_save(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    assessment = _round(request, pk, change=True)
    criterion = get_object_or_404(
        Criterion.objects.select_related("indicator"), pk=criterion_pk, system=assessment.system
    )
    data = request.POST
    passed = {"1": True, "0": False}.get(data.get("passed", ""))
    evidence_ids = [i for i in (query_id(x) for x in data.getlist("evidence")) if i]
    events = list(assessment.campaign.events.filter(pk__in=evidence_ids))
    error = ""
    try:
        services.score_save(
            assessment=assessment,
            criterion=criterion,
            user=request.user,
            points=data.get("points", ""),
            grade=data.get("grade", ""),
            passed=passed,
            deductions=_parse_deduction_lines(strip_control(data.get("deductions", ""))),
            comment=strip_control(data.get("comment", "")),
            evidence_events=events,
        )
    except (ScoringError, services.EvaluationError) as exc:
        error = str(exc)
    if request.htmx:
        return _row_response(request, assessment, criterion.pk, error=error, form_values=data if error else None)
    if error:
        messages.error(request, f"{criterion.code}：{error}")
    return redirect(f"{reverse('evaluation:round_detail', args=[assessment.pk])}#row-{criterion.pk}")


@require_POST
def rectify_from_score(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    assessment = _round(request, pk, change=True)
    criterion = get_object_or_404(
        Criterion.objects.select_related("indicator"), pk=criterion_pk, system=assessment.system
    )
    try:
        item = services.rectification_from_score(assessment=assessment, criterion=criterion, user=request.user)
    except services.EvaluationError as exc:
        if request.htmx:
            return _row_response(request, assessment, criterion.pk, error=str(exc))
        messages.error(request, str(exc))
        return redirect("evaluation:round_detail", pk=assessment.pk)
    if request.htmx:
        return _row_response(request, assessment, criterion.pk)
    messages.success(request, f"已生成整改事项（失{format_points(item.points_lost)}分），请补充整改措施与责任人。")
    return redirect("evaluation:rectification_edit", pk=item.pk)


@require_POST
def bonus_save(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _round(request, pk, change=True)
    errors = []
    for item in BonusItem.objects.filter(system=assessment.system):
        try:
            services.bonus_claim_save(
                assessment=assessment,
                bonus_item=item,
                points=request.POST.get(f"bonus-{item.pk}", ""),
                note=request.POST.get(f"bonus-note-{item.pk}", "").strip(),
            )
        except (ScoringError, services.EvaluationError) as exc:
            errors.append(f"{item.code}：{exc}")
    for e in errors:
        messages.error(request, e)
    if not errors:
        messages.success(request, "已保存加分申报。")
    return redirect(f"{reverse('evaluation:round_detail', args=[assessment.pk])}#bonus")


@require_POST
def negative_save(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _round(request, pk, change=True)
    try:
        for item in NegativeListItem.objects.filter(system=assessment.system):
            services.negative_declare(
                assessment=assessment,
                item=item,
                occurred=request.POST.get(f"neg-{item.pk}") == "1",
                note=request.POST.get(f"neg-note-{item.pk}", ""),
            )
        messages.success(request, "已保存负面清单申报。")
    except services.EvaluationError as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('evaluation:round_detail', args=[assessment.pk])}#negative")


@require_POST
def round_lock(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _round(request, pk, change=True)
    services.assessment_lock(assessment=assessment, user=request.user)
    messages.success(request, "本轮自查已定稿，不能再修改。")
    return redirect("evaluation:round_detail", pk=assessment.pk)


def round_export(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _round(request, pk)
    sheet = selectors.assessment_sheet(assessment)
    return _xlsx(exports.round_workbook(sheet), exports.export_filename(f"自检自查-{assessment.name}"))


def round_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two rounds side by side, always earlier then later, the change later minus earlier, whichever round the
    page was opened from."""
    opened = _round(request, pk)
    candidates = (
        selectors.assessments_visible_to(request.user)
        .filter(campaign=opened.campaign, system=opened.system)
        .exclude(pk=opened.pk)
        .order_by("-date", "-pk")
    )
    other_pk = query_id(request.GET.get("other"))
    other = candidates.filter(pk=other_pk).first() if other_pk else candidates.first()
    context = {"opened": opened, "a": opened, "b": None, "other": other, "candidates": candidates}
    if other is not None:
        first, second = selectors.earlier_first(opened, other)
        context.update(a=first, b=second)
        context.update(selectors.compare_rounds(first, second))
        context["total_change"] = context["second_totals"].final - context["first_totals"].final
    return render(request, "evaluation/round_compare.html", context)


def round_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """转整改 for many rows at once: GET shows what will be created (all lost points, or the ticked criteria)
    with the 责任单位 from the criteria's tasks and a default deadline; POST 确认 creates them (never twice)."""
    assessment = _round(request, pk, change=True)
    campaign = assessment.campaign
    data = request.POST if request.method == "POST" else request.GET
    ids = [i for i in (query_id(x) for x in data.getlist("criteria")) if i]
    scope_all = data.get("scope") == "all"
    lines = selectors.lost_points(assessment, None if scope_all else ids)
    if not scope_all and not ids:
        messages.error(request, "请先勾选要转整改的标准，或点“全部失分项转整改”。")
        return redirect("evaluation:round_detail", pk=assessment.pk)
    new_lines = [line for line in lines if not line.listed]
    form = BulkRectifyForm(
        request.POST or None,
        campaign=campaign,
        lines=new_lines,
        initial={"deadline": services.rectification_default_deadline(campaign)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.rectifications_from_round(
                assessment=assessment,
                criteria=[line.criterion for line in new_lines],
                user=request.user,
                deadline=form.cleaned_data["deadline"],
                units=form.units_by_criterion(),
            )
        except services.EvaluationError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, f"已生成 {len(created)} 条整改事项，请补充整改措施与责任人。")
            else:
                messages.info(request, "所选失分项均已列入整改清单，没有新增。")
            list_url = reverse("evaluation:rectification_list", args=[campaign.pk])
            return redirect(f"{list_url}?{urlencode({'round': assessment.pk})}")
    return render(
        request,
        "evaluation/round_rectify.html",
        {
            "a": assessment,
            "campaign": campaign,
            "form": form,
            "rows": [(line, form[f"units-{line.criterion.pk}"]) for line in new_lines],
            "listed": [line for line in lines if line.listed],
            "scope_all": scope_all,
            "ids": ids,
        },
    )


# ----------------------------------------------------------------------------------------------
# Rectification list
# ----------------------------------------------------------------------------------------------
def _rectification_filters(request: HttpRequest) -> dict:
    return {
        "status": request.GET.get("status", ""),
        "overdue": request.GET.get("overdue") == "1",
        "query": clean_text(request.GET.get("q")),
        "sort": request.GET.get("sort", "deadline"),
        "round_id": query_id(request.GET.get("round")),
    }


def rectification_list(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    filters = _rectification_filters(request)
    items = selectors.rectification_list(campaign=campaign, **filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = urlencode(
        {
            "status": filters["status"],
            "overdue": "1" if filters["overdue"] else "",
            "q": filters["query"],
            "sort": filters["sort"],
            "round": filters["round_id"] or "",
        }
    )
    return render(
        request,
        "evaluation/rectification_list.html",
        {
            "campaign": campaign,
            "page": page,
            "filters": filters,
            "rounds": SelfAssessment.objects.filter(campaign=campaign).order_by("-date", "-pk"),
            "statuses": RectificationStatus.choices,
            "querystring": querystring,
            "can_change": selectors.can_change_campaign(request.user, campaign),
        },
    )


def rectification_export(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk)
    items = selectors.rectification_list(campaign=campaign, **_rectification_filters(request))
    return _xlsx(exports.rectification_workbook(items), exports.export_filename("整改清单"))


def rectification_create(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign(request, campaign_pk, change=True)
    form = RectificationForm(request.POST or None, request.FILES or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = data.pop("responsible_units")
        events = data.pop("proof_events")
        problem = data.pop("problem")
        proof = data.pop("proof_file", None)
        data.pop("proof_file_clear", None)
        try:
            services.rectification_create(
                campaign=campaign,
                problem=problem,
                user=request.user,
                responsible_units=units,
                proof_events=events,
                proof=proof,
                **data,
            )
        except services.EvaluationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已添加整改事项。")
            return redirect("evaluation:rectification_list", campaign_pk=campaign.pk)
    return render(request, "evaluation/rectification_form.html", {"campaign": campaign, "form": form, "item": None})


def rectification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.rectifications_visible_to(request.user), pk=pk)
    campaign = item.campaign
    can_change = selectors.can_change_campaign(request.user, campaign)
    if request.method == "POST" and not can_change:
        raise PermissionDenied("只有本单位管理员或创建办可以修改整改事项")
    form = RectificationForm(request.POST or None, request.FILES or None, instance=item, campaign=campaign)
    # ModelForm validation assigns to the instance; the service does the saving.
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = data.pop("responsible_units")
        events = data.pop("proof_events")
        proof = data.pop("proof_file", None)
        remove_proof = bool(data.pop("proof_file_clear", False))
        try:
            services.rectification_update(
                item=item,
                user=request.user,
                responsible_units=units,
                proof_events=events,
                proof=proof,
                remove_proof=remove_proof,
                **data,
            )
        except services.EvaluationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存整改事项。")
            return redirect("evaluation:rectification_list", campaign_pk=campaign.pk)
    return render(
        request,
        "evaluation/rectification_form.html",
        {"campaign": campaign, "form": form, "item": item, "can_change": can_change},
    )


def rectification_proof(request: HttpRequest, pk: int) -> HttpResponse:
    """The 佐证文件 of an entry, for whoever may read the entry (others: 404). Images and PDF open in place."""
    item = get_object_or_404(selectors.rectifications_visible_to(request.user), pk=pk)
    if not item.proof_file:
        raise Http404("该整改事项没有佐证文件。")
    if item.proof_file_sha256:
        content_type, name = item.proof_file_content_type, item.proof_file_name
    else:
        # A file stored before uploads were checked: never shown in place, never typed by the browser.
        content_type, name = "application/octet-stream", item.proof_file.name.rsplit("/", 1)[-1]
    return stored_file_response(item.proof_file, content_type=content_type, download_name=name, inline=True)


STYLE_HELP = {
    ScoringStyle.POINTS: "0 至满分，以 0.5 分为单位",
    ScoringStyle.GRADE: "A/B/C/D",
    ScoringStyle.DEDUCTION: "每行一项：扣分 原因，如“0.5 未建立台账”",
    ScoringStyle.YES_NO: "达标得满分，否则 0 分",
}


def system_weight(request: HttpRequest, pk: int) -> HttpResponse:
    """赋分: save a copy of a system with points filled in (e.g. weighting a national system that has none).

    Systems are shared read-only, so the weighted one is a new version; it goes through the same workbook
    builder, parser and import service as any file, so its checks and warnings are the importer's.
    """
    system = get_object_or_404(selectors.systems_visible_to(request.user), pk=pk)
    if not selectors.can_import_systems(request.user):
        raise PermissionDenied("只有管理员或创建办可以为测评体系赋分")
    from .scoring import to_decimal
    from .workbook import build_workbook

    snapshot = selectors.system_snapshot(system)
    errors: dict[str, str] = {}
    name = f"{system.name}（赋分版）"
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:200] or name
        snapshot["meta"]["name"] = name
        for key, node in _weight_nodes(snapshot):
            raw = request.POST.get(key, "")
            try:
                value = to_decimal(raw, what="分值")
            except ScoringError as exc:
                errors[key] = str(exc)
                node["raw"] = raw
                continue
            if value is not None and value < 0:
                errors[key] = "分值不能为负数"
                node["raw"] = raw
                continue
            node["points"] = value
        total = request.POST.get("total_points", "")
        try:
            snapshot["meta"]["total_points"] = to_decimal(total, what="总分")
        except ScoringError as exc:
            errors["total_points"] = str(exc)
        if not errors:
            parsed = parse_workbook(build_workbook(snapshot), filename=f"{name}.xlsx")
            if parsed.ok:
                weighted = services.system_import(parsed=parsed, user=request.user, filename=f"{name}.xlsx")
                for w in parsed.warnings:
                    messages.warning(request, w)
                messages.success(request, f"已保存赋分后的测评体系“{weighted.name}”。")
                return redirect("evaluation:system_detail", pk=weighted.pk)
            errors["form"] = "；".join(parsed.errors[:5])
    return render(
        request,
        "evaluation/system_weight.html",
        {"system": system, "snapshot": snapshot, "errors": errors, "name": name},
    )


def _weight_nodes(snapshot: dict):
    for item in snapshot["items"]:
        yield f"item-{item['code']}", item
        for ind in item["indicators"]:
            yield f"ind-{ind['code']}", ind
            for c in ind["criteria"]:
                yield f"crit-{c['code']}", c
