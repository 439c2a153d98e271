"""Campaign pages: list, overview, task tree, 我的任务, task detail, create/edit, plan import, Excel, next cycle."""

from __future__ import annotations

import copy
import datetime
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from organizations.models import Organization, OrganizationKind, Role, User
from organizations.query_params import clean_text, query_choice, query_id, query_int, query_year, strip_control
from organizations.scoping import get_scope

from . import excel, importer, selectors, services
from .forms import (
    CampaignForm,
    PlanUploadForm,
    ProgressReportForm,
    TaskFilterForm,
    TaskForm,
    campaign_formsets,
)
from .models import CURRENT_STATUS_LABELS, Campaign, ProgressReport, Task, TaskStatus, current_status_q

PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _office_units(user) -> list[Organization]:
    """Units where the user is 管理员 or 创建办 (may create campaigns and import plans)."""
    scope = get_scope(user)
    units = []
    for m in scope.memberships:
        if m.role in (Role.ADMIN, Role.OFFICE) and m.organization.kind == OrganizationKind.UNIT:
            units.append(m.organization.pk)
    return list(Organization.objects.filter(pk__in=units).order_by("path"))


def _visible_campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)


def _changeable_campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = _visible_campaign(request, pk)
    if not selectors.campaigns_changeable_by(request.user).filter(pk=campaign.pk).exists():
        raise PermissionDenied("只有本单位的创建办或管理员可以修改创建活动。")
    return campaign


def _can_change(user, campaign: Campaign) -> bool:
    return selectors.campaigns_changeable_by(user).filter(pk=campaign.pk).exists()


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ---------------------------------------------------------------------------------------------------------------
# campaigns


def index(request: HttpRequest) -> HttpResponse:
    qs = selectors.campaigns_visible_to(request.user).annotate(
        task_count=Count("tasks", filter=Q(tasks__children__isnull=True), distinct=True),
        done_count=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE, tasks__children__isnull=True), distinct=True),
    )
    q = clean_text(request.GET.get("q"))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(unit__name__icontains=q))
    year = query_year(request.GET.get("year"))
    if year:
        qs = qs.filter(start_year__lte=year, end_year__gte=year)
    year = year or ""
    status = query_choice(request.GET.get("status"), set(CURRENT_STATUS_LABELS))
    if status:
        qs = qs.filter(current_status_q(status))
    sort = query_choice(request.GET.get("sort"), {"title", "unit", "year"})
    qs = qs.order_by({"title": "title", "unit": "unit__path", "year": "start_year"}.get(sort, "-start_year"), "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page": page,
            "q": q,
            "year": year,
            "status": status,
            "sort": sort,
            "querystring": _querystring(request),
            "can_create": bool(_office_units(request.user)),
            "status_choices": list(CURRENT_STATUS_LABELS.items()),
        },
    )


def campaign_create(request: HttpRequest) -> HttpResponse:
    units = _office_units(request.user)
    if not units:
        raise PermissionDenied("只有单位的创建办或管理员可以新建创建活动。")
    unit_qs = Organization.objects.filter(pk__in=[u.pk for u in units])
    form = CampaignForm(request.POST or None, units=unit_qs, initial={"start_year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        campaign = services.campaign_create(
            unit=data["unit"],
            title=data["title"],
            level=data["level"],
            start_year=data["start_year"],
            end_year=data["end_year"],
            status=data["status"],
            guiding_idea=data["guiding_idea"],
            goals=data["goals"],
            plan_text=data["plan_text"],
            created_by=request.user,
        )
        messages.success(request, "创建活动已新建。")
        return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable_campaign(request, pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    phases, leaders = campaign_formsets(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid() and phases.is_valid() and leaders.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "unit"}
        services.campaign_update(campaign=Campaign.objects.get(pk=campaign.pk), formsets=(phases, leaders), **data)
        messages.success(request, "已保存。")
        return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign, "phases": phases, "leaders": leaders},
    )


def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _visible_campaign(request, pk)
    today = timezone.localdate()
    leaves = Task.objects.filter(campaign=campaign, children__isnull=True)
    stats = leaves.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        doing=Count("pk", filter=Q(status=TaskStatus.DOING)),
        todo=Count("pk", filter=Q(status=TaskStatus.TODO)),
        late=Count("pk", filter=~Q(status=TaskStatus.DONE) & Q(due_date__lt=today)),
    )
    stats["done_pct"] = round(100 * stats["done"] / stats["total"]) if stats["total"] else 0
    by_unit = (
        leaves.filter(lead_units__isnull=False)
        .values("lead_units__id", "lead_units__name", "lead_units__short_name")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=TaskStatus.DONE)),
            late=Count("pk", filter=~Q(status=TaskStatus.DONE) & Q(due_date__lt=today)),
        )
        .order_by("-late", "lead_units__name")
    )
    phases = list(campaign.phases.all())
    timeline = _timeline(phases, today)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "stats": stats,
            "by_unit": by_unit,
            "phases": phases,
            "timeline": timeline,
            "leadership": campaign.leadership.select_related("user", "organization"),
            "can_change": _can_change(request.user, campaign),
            "today": today,
        },
    )


def _timeline(phases, today: datetime.date) -> dict | None:
    dated = [p for p in phases if p.start and p.end]
    if not dated:
        return None
    lo = min(p.start for p in dated)
    hi = max(p.end for p in dated)
    span = max((hi - lo).days, 1)
    bars = [
        {
            "phase": p,
            "left": round(100 * (p.start - lo).days / span, 2),
            "width": max(round(100 * ((p.end - p.start).days + 1) / span, 2), 1),
            "current": p.start <= today <= p.end,
            "top": round(0.3 + 1.5 * i, 1),
        }
        for i, p in enumerate(dated)
    ]
    today_pos = round(100 * (today - lo).days / span, 2) if lo <= today <= hi else None
    return {"bars": bars, "start": lo, "end": hi, "today": today_pos, "height": round(0.6 + 1.5 * len(bars), 1)}


@require_POST
def campaign_next_cycle(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable_campaign(request, pk)
    raw = request.POST.get("years", "")
    years = query_int(raw, minimum=1, maximum=100) if raw else campaign.end_year - campaign.start_year + 1
    try:
        if years is None:
            raise services.CampaignError("间隔年数须为 1–100 的整数。")
        new = services.campaign_copy_to_next_cycle(campaign=campaign, years=years, user=request.user)
    except services.CampaignError as exc:
        messages.error(request, f"未能复制为新一轮：{exc}")
        return redirect("campaigns:detail", pk=campaign.pk)
    messages.success(request, f"已复制为新一轮创建活动：{new.title}")
    return redirect("campaigns:detail", pk=new.pk)


# ---------------------------------------------------------------------------------------------------------------
# tasks


def _task_queryset(campaign: Campaign):
    return (
        Task.objects.filter(campaign=campaign)
        .select_related("phase")
        .prefetch_related(
            Prefetch("lead_units", queryset=Organization.objects.only("id", "name", "short_name")),
            Prefetch("cooperating_units", queryset=Organization.objects.only("id", "name", "short_name")),
            Prefetch("responsible_people", queryset=User.objects.order_by("pk")),
        )
    )


def filter_tasks(qs, form: TaskFilterForm):
    today = timezone.localdate()
    if not form.is_valid():
        return qs, False
    d = form.cleaned_data
    filtered = False
    if d.get("q"):
        qs = qs.filter(Q(title__icontains=d["q"]) | Q(content__icontains=d["q"]) | Q(number__icontains=d["q"]))
        filtered = True
    if d.get("phase"):
        qs = qs.filter(phase=d["phase"])
        filtered = True
    if d.get("lead"):
        qs = qs.filter(lead_units__path__startswith=d["lead"].path)
        filtered = True
    if d.get("coop"):
        qs = qs.filter(cooperating_units__path__startswith=d["coop"].path)
        filtered = True
    if d.get("status") == "late":
        qs = qs.exclude(status=TaskStatus.DONE).filter(due_date__lt=today)
        filtered = True
    elif d.get("status"):
        qs = qs.filter(status=d["status"])
        filtered = True
    if d.get("due_within") is not None:
        qs = qs.exclude(status=TaskStatus.DONE).filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=d["due_within"])
        )
        filtered = True
    if d.get("recurrence"):
        qs = qs.filter(recurrence=d["recurrence"])
        filtered = True
    sort = d.get("sort") or ""
    order = {
        "due": ["due_date", "order"],
        "-due": ["-due_date", "order"],
        "progress": ["progress", "order"],
        "-progress": ["-progress", "order"],
        "status": ["status", "order"],
    }.get(sort, ["order", "pk"])
    if filtered:
        qs = qs.distinct()
    return qs.order_by(*order), filtered or bool(sort)


def _task_filter_form(request: HttpRequest, campaign: Campaign) -> TaskFilterForm:
    orgs = Organization.objects.filter(path__startswith=campaign.unit.path).only("id", "name", "short_name", "path")
    return TaskFilterForm(request.GET or None, orgs=orgs, phases=campaign.phases.all())


def task_list(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _visible_campaign(request, pk)
    form = _task_filter_form(request, campaign)
    qs, flat = filter_tasks(_task_queryset(campaign), form)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Depth of each row in the tree (one query over ids and parents).
    parents = dict(Task.objects.filter(campaign=campaign).values_list("pk", "parent_id"))
    has_children = {p for p in parents.values() if p}

    def depth(pk: int) -> int:
        d, seen = 0, set()
        while parents.get(pk) and pk not in seen:
            seen.add(pk)
            pk = parents[pk]
            d += 1
        return d

    rows = [{"task": t, "depth": 0 if flat else depth(t.pk), "heading": t.pk in has_children} for t in page]
    return render(
        request,
        "campaigns/task_list.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "rows": rows,
            "querystring": _querystring(request),
            "can_change": _can_change(request.user, campaign),
            "today": timezone.localdate(),
        },
    )


def my_tasks(request: HttpRequest) -> HttpResponse:
    form = TaskFilterForm(request.GET or None)
    base = (
        selectors.tasks_for_department(request.user)
        .filter(children__isnull=True)
        .select_related("campaign", "phase")
        .prefetch_related("lead_units", "cooperating_units")
    )
    qs, _ = filter_tasks(base, form)
    if not (form.is_valid() and form.cleaned_data.get("sort")):
        qs = qs.order_by("due_date", "campaign_id", "order")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"task": t, "form": ProgressReportForm(prefix=f"t{t.pk}", initial={"percent": t.progress})} for t in page]
    return render(
        request,
        "campaigns/my_tasks.html",
        {"page": page, "rows": rows, "form": form, "querystring": _querystring(request), "today": timezone.localdate()},
    )


def _visible_task(request: HttpRequest, pk: int) -> Task:
    return get_object_or_404(
        selectors.tasks_visible_to(request.user).select_related("campaign__unit", "phase", "parent"), pk=pk
    )


def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    units = services.task_units_can_report(request.user, task)
    reports = ProgressReport.objects.filter(task=task).select_related("organization", "author")
    return render(
        request,
        "campaigns/task_detail.html",
        {
            "task": task,
            "campaign": task.campaign,
            "reports": reports,
            "children": task.children.order_by("order").prefetch_related("lead_units", "cooperating_units"),
            "report_form": ProgressReportForm(prefix=f"t{task.pk}", units=units, initial={"percent": task.progress})
            if units
            else None,
            "can_change": _can_change(request.user, task.campaign),
            "show_org": len(units) > 1,
        },
    )


@require_POST
def task_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A department reports progress on one of its tasks (inline htmx form in 我的任务 and the task page)."""
    task = _visible_task(request, pk)
    units = services.task_units_can_report(request.user, task)
    if not units:
        raise PermissionDenied("您所在的部门不承担此任务，不能填报进展。")
    form = ProgressReportForm(request.POST, prefix=f"t{task.pk}", units=units)
    saved = False
    error = ""
    if form.is_valid():
        try:
            services.progress_report_create(
                task=task,
                author=request.user,
                text=form.cleaned_data["text"],
                percent=form.cleaned_data["percent"],
                organization=form.cleaned_data.get("organization") or None,
            )
            saved = True
            task.refresh_from_db()
            form = ProgressReportForm(prefix=f"t{task.pk}", units=units, initial={"percent": task.progress})
        except services.CampaignError as exc:
            error = str(exc)
    if request.htmx:
        return render(
            request,
            "campaigns/_report_form.html",
            {"task": task, "form": form, "saved": saved, "error": error, "show_org": len(units) > 1},
        )  # 200 even with errors: htmx 2 does not swap 4xx answers, and the errors belong in the form
    if saved:
        messages.success(request, "进展已填报。")
    else:
        messages.error(request, error or "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("campaigns:task_detail", pk=task.pk)


def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable_campaign(request, pk)
    form = TaskForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        task = services.task_create(
            campaign=campaign,
            title=d["title"],
            number=d["number"],
            parent=d["parent"],
            content=d["content"],
            lead_units=d["lead_units"],
            cooperating_units=d["cooperating_units"],
            phase=d["phase"],
            due_date=d["due_date"],
            start_date=d.get("start_date"),
            order=d.get("order"),
            status=d["status"],
            progress=d["progress"],
            recurrence=d["recurrence"],
            target_text=d["target_text"],
            responsible_people=d["responsible_people"],
        )
        messages.success(request, "任务已新建。")
        return redirect("campaigns:task_detail", pk=task.pk)
    return render(request, "campaigns/task_form.html", {"form": form, "campaign": campaign, "task": None})


def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _visible_task(request, pk)
    campaign = _changeable_campaign(request, task.campaign_id)
    form = TaskForm(request.POST or None, instance=task, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        lead, coop = d.pop("lead_units"), d.pop("cooperating_units")
        people = d.pop("responsible_people")
        if d.get("order") is None:
            d.pop("order")
        try:
            services.task_update(
                task=Task.objects.get(pk=task.pk),
                lead_units=lead,
                cooperating_units=coop,
                responsible_people=people,
                **d,
            )
        except services.CampaignError as exc:
            form.add_error("parent", str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("campaigns:task_detail", pk=task.pk)
    return render(request, "campaigns/task_form.html", {"form": form, "campaign": campaign, "task": task})


# ---------------------------------------------------------------------------------------------------------------
# plan import


def plan_import(request: HttpRequest) -> HttpResponse:
    units = _office_units(request.user)
    if not units:
        raise PermissionDenied("只有单位的创建办或管理员可以导入方案。")
    unit_qs = Organization.objects.filter(pk__in=[u.pk for u in units])
    campaigns = Campaign.objects.filter(unit__in=unit_qs)
    initial = {"unit": units[0].pk}
    if query_id(request.GET.get("campaign")):
        c = campaigns.filter(pk=query_id(request.GET["campaign"])).first()
        if c:
            initial.update(campaign=c.pk, unit=c.unit_id)
    form = PlanUploadForm(
        request.POST or None, request.FILES or None, units=unit_qs, campaigns=campaigns, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            text = importer.read_plan_upload(d["file"]) if d.get("file") else importer.check_plan_text(d["text"])
            year = d.get("start_year") or (d["campaign"].start_year if d.get("campaign") else None)
            plan = importer.parse_checked(text, year=year)
        except importer.PlanImportError as exc:
            form.add_error("file" if d.get("file") else "text", str(exc))
        else:
            payload = importer.plan_payload(plan)
            context = _preview_context(form, d, payload, text)
            # The same plan imported before: say so, and offer to update that campaign instead of a second one.
            same = (
                []
                if d.get("campaign")
                else importer.matching_campaigns(
                    d["unit"],
                    text=text,
                    title=d.get("title") or payload.get("title") or "",
                    start_year=d.get("start_year") or payload.get("year"),
                )
            )
            if same:
                context.update(
                    title=same[0].title, level=same[0].level, start_year=same[0].start_year, end_year=same[0].end_year
                )
            context["same_campaigns"] = same
            context["preview_token"] = _remember_preview(
                request, unit=d["unit"], campaign=d.get("campaign"), payload=payload, text=text, same=same
            )
            return render(request, "campaigns/plan_preview.html", context)
    return render(request, "campaigns/plan_import.html", {"form": form})


def _preview_context(form, d, payload, text) -> dict:
    unit = d["unit"]
    orgs = importer.unit_organizations(unit)
    names = importer.payload_unit_names(payload)
    matches = importer.match_unit_names(names, unit, orgs)
    new_names = [n for n, m in matches.items() if m.status == "unmatched"]
    options = [(f"org:{o.pk}", ("　" * max(o.depth - unit.depth, 0)) + o.name) for o in orgs]
    options += [(f"new:{n}", f"新建：{n}") for n in new_names]
    phase_names = [(j, p["name"]) for j, p in enumerate(payload.get("phases") or [])]
    rows = []
    for node in payload["nodes"]:
        warn = [
            matches[n].status_label + "：" + n
            for n in (*node["lead_units"], *node["cooperating_units"])
            if matches[n].status in ("masked", "close", "unmatched")
        ]
        lead = set(importer.default_tokens(node["lead_units"], matches))
        coop = set(importer.default_tokens(node["cooperating_units"], matches))
        rows.append(
            {
                "node": node,
                "depth": _payload_depth(payload, node),
                "lead_options": [(v, label, v in lead) for v, label in options],
                "coop_options": [(v, label, v in coop) for v, label in options],
                "warnings": warn,
                "no_units": not node["is_heading"] and not node["lead_units"] and not node["cooperating_units"],
                "phase_options": [(j, name, node.get("phase") == j) for j, name in phase_names],
            }
        )
    year = d.get("start_year") or payload.get("year") or timezone.localdate().year
    return {
        "form": form,
        "unit": unit,
        "campaign": d.get("campaign"),
        "payload": payload,
        "rows": rows,
        "orgs": orgs,
        "new_names": new_names,
        "matches": matches,
        "name_rows": [
            {
                "key": f"u{k}",
                "name": name,
                "match": matches[name],
                "count": sum(1 for n in payload["nodes"] if name in n["lead_units"] or name in n["cooperating_units"]),
            }
            for k, name in enumerate(names)
        ],
        "name_options": options,
        "role_labels": list(importer.ROLE_BY_LABEL),
        "title": d.get("title") or payload.get("title") or f"{year}年度文明单位创建",
        "level": d.get("level"),
        "start_year": year,
        "end_year": d.get("end_year") or payload.get("end_year") or year,
        "task_count": sum(1 for n in payload["nodes"] if not n["is_heading"]),
        "no_unit_count": sum(1 for r in rows if r["no_units"]),
    }


# The preview lives in the session between preview and confirm: the page carries only a token, so the confirm step
# imports what the parser produced (plus the user's per-task edits, checked again), never a posted payload.
PREVIEW_SESSION_KEY = "campaigns_plan_previews"
PREVIEWS_KEPT = 3


def _remember_preview(request: HttpRequest, *, unit, campaign, payload: dict, text: str, same=()) -> str:
    token = secrets.token_urlsafe(16)
    previews = dict(request.session.get(PREVIEW_SESSION_KEY) or {})
    previews[token] = {
        "unit": unit.pk,
        "campaign": campaign.pk if campaign else None,
        "payload": payload,
        "text": text,
        "same": [c.pk for c in same],
    }
    for old in list(previews)[:-PREVIEWS_KEPT]:
        del previews[old]
    request.session[PREVIEW_SESSION_KEY] = previews
    return token


def _forget_preview(request: HttpRequest, token: str) -> None:
    previews = dict(request.session.get(PREVIEW_SESSION_KEY) or {})
    if previews.pop(token, None) is not None:
        request.session[PREVIEW_SESSION_KEY] = previews


def _payload_depth(payload, node) -> int:
    depth, parent = 0, node.get("parent")
    while parent is not None:
        depth += 1
        parent = payload["nodes"][parent]["parent"]
    return depth


@require_POST
def plan_import_confirm(request: HttpRequest) -> HttpResponse:
    units = _office_units(request.user)
    if not units:
        raise PermissionDenied("只有单位的创建办或管理员可以导入方案。")
    unit = get_object_or_404(
        Organization.objects.filter(pk__in=[u.pk for u in units]), pk=query_id(request.POST.get("unit"))
    )
    token = request.POST.get("preview", "")
    preview = (request.session.get(PREVIEW_SESSION_KEY) or {}).get(token)
    if not isinstance(preview, dict) or preview.get("unit") != unit.pk:
        messages.error(request, "预览已失效或不属于该单位，请重新导入方案。")
        return redirect("campaigns:plan_import")
    campaign = None
    if preview.get("campaign"):
        campaign = Campaign.objects.filter(unit=unit, pk=preview["campaign"]).first()
        if campaign is None:
            messages.error(request, "所选创建活动已不存在，请重新导入方案。")
            return redirect("campaigns:plan_import")
    payload = copy.deepcopy(preview["payload"])
    post = request.POST
    # The user's edits on the preview page: text cleaned here, every value checked again by the importer.
    node_units = {}
    for node in payload["nodes"]:
        i = node["index"]
        node["title"] = strip_control(post.get(f"n{i}-title", node["title"])).strip()[:500]
        node["due"] = post.get(f"n{i}-due", node.get("due") or "").strip() or None
        node["skip"] = post.get(f"n{i}-skip") == "on"
        if f"n{i}-phase" in post:
            raw_phase = post.get(f"n{i}-phase", "")
            node["phase"] = int(raw_phase) if raw_phase.isascii() and raw_phase.isdigit() else None
        node_units[i] = (post.getlist(f"n{i}-lead"), post.getlist(f"n{i}-coop"))
    for j, phase in enumerate(payload.get("phases") or []):
        phase["name"] = strip_control(post.get(f"p{j}-name", phase["name"])).strip()[:100]
        phase["start"] = post.get(f"p{j}-start", phase.get("start") or "").strip() or None
        phase["end"] = post.get(f"p{j}-end", phase.get("end") or "").strip() or None
    leaders = payload.get("leadership") or []
    for j, member in enumerate(leaders):
        member["name"] = strip_control(post.get(f"l{j}-name", member["name"])).strip()[:100]
        member["role"] = post.get(f"l{j}-role", member["role"])
        member["duty"] = strip_control(post.get(f"l{j}-duty", member.get("duty", ""))).strip()[:500]
    payload["leadership"] = [m for j, m in enumerate(leaders) if post.get(f"l{j}-skip") != "on"]
    names = importer.payload_unit_names(payload)
    name_choices = {name: post.get(f"u{k}", "") for k, name in enumerate(names)}
    node_units = importer.resolve_node_units(payload, unit, node_units, name_choices)
    years = {}
    for key, label in (("start_year", "起始年度"), ("end_year", "结束年度")):
        raw = post.get(key, "").strip()
        years[key] = query_year(raw) if raw else None
        if raw and years[key] is None:
            messages.error(request, f"导入失败，未创建任何内容：{label}须在 2000–2100 年之间。")
            return redirect("campaigns:plan_import")
    start_year, end_year = years["start_year"], years["end_year"]
    if campaign is None and post.get("mode") == "update":
        target = query_id(post.get("target"))
        if target not in (preview.get("same") or []):
            messages.error(request, "要更新的创建活动无效，请重新导入方案。")
            return redirect("campaigns:plan_import")
        campaign = Campaign.objects.filter(unit=unit, pk=target).first()
        if campaign is None:
            messages.error(request, "要更新的创建活动已不存在，请重新导入方案。")
            return redirect("campaigns:plan_import")
    if campaign is not None:
        # Into a campaign that exists: its tasks are updated in place (their dossiers and links stay), never doubled.
        try:
            result = importer.plan_import_update(
                campaign=campaign,
                payload=payload,
                user=request.user,
                title=strip_control(post.get("title", "")).strip(),
                level=post.get("level") or "",
                start_year=start_year,
                end_year=end_year,
                plan_text=preview.get("text", ""),
                node_units=node_units,
            )
        except (importer.PlanImportError, services.CampaignError) as exc:
            messages.error(request, f"更新失败，未做任何修改：{exc}")
            return redirect("campaigns:plan_import")
        _forget_preview(request, token)
        kept = f"，保留方案中没有的任务 {result.kept} 条" if result.kept else ""
        messages.success(
            request,
            f"已更新创建活动“{campaign.title}”：更新任务 {result.updated} 条，新增 {result.created} 条{kept}。"
            "已有任务的档案、关联和进度均保留。",
        )
        return redirect("campaigns:tasks", pk=campaign.pk)
    try:
        campaign = importer.plan_import_confirm(
            unit=unit,
            payload=payload,
            user=request.user,
            campaign=campaign,
            title=strip_control(post.get("title", "")).strip(),
            level=post.get("level") or "city",
            start_year=start_year,
            end_year=end_year,
            plan_text=preview.get("text", ""),
            node_units=node_units,
        )
    except (importer.PlanImportError, services.CampaignError) as exc:
        messages.error(request, f"导入失败，未创建任何内容：{exc}")
        return redirect("campaigns:plan_import")
    _forget_preview(request, token)
    if not any(not n.get("is_heading") for n in payload["nodes"]):
        # No task list in the plan: the 任务分解表 import is the next step.
        messages.success(request, "方案已导入（阶段与领导小组）。方案中没有任务清单，请上传 Excel 任务分解表导入任务。")
        return redirect("campaigns:task_import", pk=campaign.pk)
    messages.success(request, "方案已导入。")
    return redirect("campaigns:tasks", pk=campaign.pk)


# ---------------------------------------------------------------------------------------------------------------
# Excel


def task_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The 任务分解表 as on screen: the task list's filters and sort (its query string) apply to the file too."""
    campaign = _visible_campaign(request, pk)
    form = _task_filter_form(request, campaign)
    if form.is_bound and not form.is_valid():
        problems = "；".join(f"{form.fields[name].label}：{'、'.join(errs)}" for name, errs in form.errors.items())
        return HttpResponse(f"筛选条件有误，未导出：{problems}", status=400, content_type="text/plain; charset=utf-8")
    qs, _filtered = filter_tasks(Task.objects.filter(campaign=campaign), form)
    data = excel.export_tasks(campaign, qs)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = excel.content_disposition(f"{campaign.title}-任务分解表.xlsx")
    return response


def excel_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        excel.template_bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = excel.content_disposition("任务分解表模板.xlsx")
    return response


def task_import(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _changeable_campaign(request, pk)
    context: dict = {"campaign": campaign}
    if request.method == "POST":
        upload = request.FILES.get("file")
        confirm = request.POST.get("confirm") == "1"
        try:
            if confirm:
                raw = excel.load_pending(request.POST.get("token", ""))
            elif upload is None:
                raise excel.ExcelImportError("请选择要导入的 .xlsx 文件。")
            else:
                raw = excel.read_upload(upload)
            # The first preview offers every unknown unit name for creation; the confirm keeps the ticked ones.
            result = excel.preview_rows(
                campaign, raw, create_units=request.POST.getlist("create_unit") if confirm else None
            )
        except excel.ExcelImportError as exc:
            context["error"] = str(exc)
        else:
            if confirm and not result.has_errors:
                n = excel.import_rows(campaign, result)
                excel.drop_pending(request.POST.get("token", ""))
                messages.success(request, f"已导入 {n} 条任务。")
                return redirect("campaigns:tasks", pk=campaign.pk)
            if confirm:
                excel.drop_pending(request.POST.get("token", ""))  # kept again below under a new token
            context.update(result=result, token=excel.store_pending(raw))
    return render(request, "campaigns/task_import.html", context)


def reverse_tasks(campaign: Campaign) -> str:
    return reverse("campaigns:tasks", kwargs={"pk": campaign.pk})
