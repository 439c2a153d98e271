"""Pages of the volunteer app. Every read goes through a selector with the user; every write through a service."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Campaign
from organizations.field_ranges import number_problem
from organizations.media import pending_delete, pending_read, pending_save
from organizations.models import OrganizationKind
from organizations.query_params import clean_text, query_choice, query_id, query_year
from organizations.scoping import can_change, scope_filter, unit_of

from . import exports, selectors, services
from .forms import ActivityForm, ImportForm, TargetsForm, VolunteerForm, parse_hours_rows
from .imports import parse_hours_workbook, plan_hours_import
from .models import ActivityCategory, RecordStatus, ServiceRecord, StaffCount, VolunteerTargets, star_level

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest) -> int:
    return query_year(request.GET.get("year"), default=timezone.localdate().year)


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def _changeable_orgs(request: HttpRequest):
    orgs = selectors.organizations_for_volunteers(user=request.user, action="change")
    if not orgs.exists():
        raise PermissionDenied("您没有登记志愿服务的权限。")
    return orgs


def _dossier_url(activity) -> str:
    if activity.event_id is None:
        return ""
    try:
        return reverse("ledger:detail", args=[activity.event_id])
    except NoReverseMatch:
        return ""


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------
def volunteer_list_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    query = clean_text(request.GET.get("q"))
    org_id = query_id(request.GET.get("org"))
    registered = query_choice(request.GET.get("registered"), {"yes", "no"})
    sort = query_choice(request.GET.get("sort"), selectors.VOLUNTEER_SORTS, default="org")
    volunteers = selectors.volunteer_list(
        user=request.user, year=year, query=query, organization_id=org_id, registered=registered, sort=sort
    )
    page = Paginator(volunteers, PAGE_SIZE).get_page(request.GET.get("page"))
    for v in page:
        v.star = star_level(v.total_hours)
    return render(
        request,
        "volunteers/volunteer_list.html",
        {
            "page": page,
            "year": year,
            "query": query,
            "org_id": org_id,
            "registered": registered,
            "sort": sort,
            "organizations": selectors.organizations_for_volunteers(user=request.user),
            "can_add": selectors.organizations_for_volunteers(user=request.user, action="change").exists(),
            "can_confirm": selectors.user_can_confirm_somewhere(request.user),
            "querystring": _querystring(request),
        },
    )


def volunteer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_object_or_404(selectors.volunteer_detail_queryset(user=request.user), pk=pk)
    total = selectors.volunteer_total_hours(volunteer=volunteer)
    return render(
        request,
        "volunteers/volunteer_detail.html",
        {
            "volunteer": volunteer,
            "records": selectors.volunteer_records(volunteer=volunteer)[:200],
            "total": total,
            "star": star_level(total),
            "can_edit": can_change(request.user, volunteer.organization),
        },
    )


@require_http_methods(["GET", "POST"])
def volunteer_create_view(request: HttpRequest) -> HttpResponse:
    orgs = _changeable_orgs(request)
    form = VolunteerForm(request.POST or None, organizations=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = services.volunteer_create(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.add_error(None, services.validation_message(error))
        except services.VolunteerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"已登记志愿者 {volunteer.name}。")
            return redirect("volunteers:volunteer_detail", pk=volunteer.pk)
    return render(request, "volunteers/volunteer_form.html", {"form": form, "volunteer": None})


@require_http_methods(["GET", "POST"])
def volunteer_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_object_or_404(selectors.volunteers_visible(user=request.user, action="change"), pk=pk)
    orgs = _changeable_orgs(request)
    form = VolunteerForm(request.POST or None, instance=volunteer, organizations=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            services.volunteer_update(volunteer=volunteer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, services.validation_message(error))
        else:
            messages.success(request, "已保存。")
            return redirect("volunteers:volunteer_detail", pk=volunteer.pk)
    return render(request, "volunteers/volunteer_form.html", {"form": form, "volunteer": volunteer})


# ------------------------------------------------------------------------------------------------
# Activities and hours
# ------------------------------------------------------------------------------------------------
def activity_list_view(request: HttpRequest) -> HttpResponse:
    year = query_year(request.GET.get("year"))
    query = clean_text(request.GET.get("q"))
    category = query_choice(request.GET.get("category"), ActivityCategory.values)
    org_id = query_id(request.GET.get("org"))
    sort = query_choice(request.GET.get("sort"), selectors.ACTIVITY_SORTS, default="date")
    activities = selectors.activity_list(
        user=request.user, query=query, category=category, year=year, organization_id=org_id, sort=sort
    )
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/activity_list.html",
        {
            "page": page,
            "year": year or "",
            "query": query,
            "category": category,
            "categories": ActivityCategory.choices,
            "org_id": org_id,
            "sort": sort,
            "organizations": selectors.organizations_for_volunteers(user=request.user),
            "can_add": selectors.organizations_for_volunteers(user=request.user, action="change").exists(),
            "querystring": _querystring(request),
        },
    )


def activity_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(selectors.activity_detail_queryset(user=request.user), pk=pk)
    records = list(selectors.activity_records(activity=activity, user=request.user))
    for record in records:
        record.can_decide = record.status != RecordStatus.CONFIRMED and services.can_confirm(
            request.user, record.volunteer.organization
        )
    return render(
        request,
        "volunteers/activity_detail.html",
        {
            "activity": activity,
            "records": records,
            "total": sum((r.hours for r in records), Decimal("0")),
            "can_add": can_change(request.user, activity.organization),
            "can_decide": any(r.can_decide for r in records),
            "dossier_url": _dossier_url(activity),
        },
    )


def _record_volunteers(request: HttpRequest, unit=None) -> list:
    qs = selectors.volunteers_visible(user=request.user, action="change").filter(is_active=True)
    if unit is not None:
        qs = qs.filter(organization__path__startswith=unit.path)
    return list(qs.select_related("organization").order_by("organization__path", "name"))


@require_http_methods(["GET", "POST"])
def activity_create_view(request: HttpRequest) -> HttpResponse:
    """One form for the activity and the hours of everyone who served (phone-friendly)."""
    orgs = _changeable_orgs(request)
    form = ActivityForm(request.POST or None, organizations=orgs)
    volunteers = _record_volunteers(request)
    typed: dict[int, str] = {}
    row_errors: dict[int, str] = {}
    checked: set[str] = set(request.POST.getlist("v")) if request.method == "POST" else set()
    if request.method == "POST":
        max_hours = services.DEFAULT_MAX_HOURS
        if form.is_valid():
            max_hours = form.cleaned_data["max_hours"]
        entries, typed, row_errors = parse_hours_rows(request.POST, volunteers, max_hours)
        if form.is_valid() and not row_errors:
            data = form.cleaned_data
            try:
                activity = services.activity_record(
                    organization=data["organization"],
                    title=data["title"],
                    date=data["date"],
                    category=data["category"],
                    place=data["place"],
                    description=data["description"],
                    max_hours=data["max_hours"],
                    create_dossier=data["create_dossier"],
                    created_by=request.user,
                    entries=[services.HoursEntry(volunteer=v, hours=h) for v, h in entries],
                )
            except ValidationError as error:
                form.add_error(None, services.validation_message(error))
            except services.VolunteerError as error:
                form.add_error(None, str(error))
            else:
                note = "，并已建立台账档案" if activity.event_id else ""
                messages.success(
                    request, f"已登记活动“{activity.title}”及 {len(entries)} 人的服务时长{note}，等待创建办确认。"
                )
                return redirect("volunteers:activity_detail", pk=activity.pk)
    rows = [
        {"v": v, "typed": typed.get(v.pk, ""), "error": row_errors.get(v.pk, ""), "checked": str(v.pk) in checked}
        for v in volunteers
    ]
    return render(
        request,
        "volunteers/activity_form.html",
        {"form": form, "rows": rows, "row_errors": row_errors, "activity": None},
    )


@require_http_methods(["GET", "POST"])
def activity_add_hours_view(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(selectors.activities_visible(user=request.user, action="change"), pk=pk)
    done = set(activity.records.values_list("volunteer_id", flat=True))
    volunteers = [v for v in _record_volunteers(request, unit_of(activity.organization)) if v.pk not in done]
    typed: dict[int, str] = {}
    row_errors: dict[int, str] = {}
    error = ""
    checked: set[str] = set(request.POST.getlist("v")) if request.method == "POST" else set()
    if request.method == "POST":
        entries, typed, row_errors = parse_hours_rows(request.POST, volunteers, activity.max_hours)
        if not entries and not row_errors:
            error = "请至少为一名志愿者填写时长。"
        elif not row_errors:
            try:
                services.records_add(
                    activity=activity,
                    entries=[services.HoursEntry(volunteer=v, hours=h) for v, h in entries],
                    created_by=request.user,
                )
            except services.VolunteerError as exc:
                error = str(exc)
            else:
                messages.success(request, f"已登记 {len(entries)} 人的服务时长，等待创建办确认。")
                return redirect("volunteers:activity_detail", pk=activity.pk)
    rows = [
        {"v": v, "typed": typed.get(v.pk, ""), "error": row_errors.get(v.pk, ""), "checked": str(v.pk) in checked}
        for v in volunteers
    ]
    return render(
        request,
        "volunteers/activity_hours.html",
        {"activity": activity, "rows": rows, "row_errors": row_errors, "error": error},
    )


# ------------------------------------------------------------------------------------------------
# Confirmation by 创建办
# ------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def confirm_queue_view(request: HttpRequest) -> HttpResponse:
    if not selectors.user_can_confirm_somewhere(request.user):
        raise PermissionDenied("只有创建办可以确认服务时长。")
    if request.method == "POST":
        ids = [i for i in (query_id(x) for x in request.POST.getlist("records")) if i]
        action = request.POST.get("action", "")
        records = list(selectors.records_to_confirm(user=request.user, status="").filter(pk__in=ids))
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = ""
        if not records:
            messages.error(request, "请先勾选要处理的记录。")
        elif action not in {"confirm", "return"}:
            messages.error(request, "未知的操作。")
        else:
            try:
                if action == "confirm":
                    count = services.records_confirm(records=records, by=request.user)
                    messages.success(request, f"已确认 {count} 条服务时长记录。")
                else:
                    reason = request.POST.get("reason", "").strip()
                    if not reason:
                        messages.error(request, "退回时请填写原因。")
                        return redirect(next_url or "volunteers:confirm")
                    count = services.records_return(records=records, by=request.user, reason=reason)
                    messages.success(request, f"已退回 {count} 条记录。")
            except services.VolunteerError as error:
                messages.error(request, str(error))
        return redirect(next_url or "volunteers:confirm")
    status = request.GET.get("status", RecordStatus.PENDING)
    if status not in RecordStatus.values:
        status = RecordStatus.PENDING
    records = selectors.records_to_confirm(user=request.user, status=status)
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/confirm_queue.html",
        {"page": page, "status": status, "statuses": RecordStatus.choices, "querystring": f"status={status}"},
    )


# ------------------------------------------------------------------------------------------------
# Statistics
# ------------------------------------------------------------------------------------------------
def statistics_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    orgs = selectors.statistics_organizations(user=request.user)
    org_id = query_id(request.GET.get("org"))
    if org_id:
        organization = get_object_or_404(orgs, pk=org_id)
    else:
        organization = orgs.filter(kind=OrganizationKind.UNIT).first() or orgs.first()
    stats = selectors.volunteer_statistics(organization=organization, year=year) if organization else None
    # The city office compares its units on the same measures.
    units = list(orgs.filter(kind=OrganizationKind.UNIT)[:30])
    comparison = selectors.volunteer_comparison(units=units, year=year) if len(units) > 1 else []
    chart = None
    if stats is not None:
        chart = {
            "months": [f"{m}月" for m in range(1, 13)],
            "hours": [float(h) for h in stats.monthly_hours],
            "departments": [g.organization.display_name for g in stats.departments],
            "department_hours": [float(g.confirmed_hours) for g in stats.departments],
        }
    return render(
        request,
        "volunteers/statistics.html",
        {
            "stats": stats,
            "organization": organization,
            "organizations": orgs,
            "year": year,
            "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
            "chart": chart,
            "comparison": comparison,
            "months": list(zip(range(1, 13), stats.monthly_hours, strict=True)) if stats else [],
            "json": json.dumps(stats.as_json(), ensure_ascii=False) if stats else "",
        },
    )


@require_http_methods(["GET", "POST"])
def targets_view(request: HttpRequest) -> HttpResponse:
    """Per-campaign targets and 在职职工数 per organisation and year (创建办 of the unit)."""
    units = [
        u
        for u in selectors.organizations_for_volunteers(user=request.user, action="change").filter(
            kind=OrganizationKind.UNIT
        )
        if services.can_confirm(request.user, u)
    ]
    if not units:
        raise PermissionDenied("只有创建办可以设置志愿服务目标。")
    unit_id = query_id(request.GET.get("unit")) or units[0].pk
    unit = next((u for u in units if u.pk == unit_id), None)
    if unit is None:
        raise PermissionDenied("无权设置该单位。")
    year = _year(request)
    campaign = Campaign.objects.filter(unit=unit, start_year__lte=year, end_year__gte=year).first()
    current = VolunteerTargets.objects.filter(campaign=campaign).first() if campaign else None
    initial = (
        {
            "registration_rate": current.registration_rate,
            "hours_per_volunteer": current.hours_per_volunteer,
            "activities_per_year": current.activities_per_year,
        }
        if current
        else None
    )
    form = TargetsForm(request.POST or None, initial=initial)
    orgs = list(scope_filter(unit.__class__.objects.filter(path__startswith=unit.path), request.user).order_by("path"))
    counts = dict(StaffCount.objects.filter(organization__in=orgs, year=year).values_list("organization_id", "count"))
    staff_errors: dict[int, str] = {}
    if request.method == "POST":
        new_counts: dict[int, int | None] = {}
        for org in orgs:
            raw = request.POST.get(f"staff_{org.pk}", "").strip()
            if not raw:
                new_counts[org.pk] = None
                continue
            problem = "" if raw.isascii() and raw.isdigit() else "请填写非负整数"
            problem = problem or number_problem(StaffCount, "count", raw, label="在职职工数")
            if problem:
                staff_errors[org.pk] = problem
            else:
                new_counts[org.pk] = int(raw)
        if form.is_valid() and not staff_errors:
            if campaign is not None:
                services.targets_set(campaign=campaign, actor=request.user, **form.cleaned_data)
            for org in orgs:
                if new_counts.get(org.pk) is not None:
                    services.staff_count_set(organization=org, year=year, count=new_counts[org.pk], actor=request.user)
            messages.success(request, "目标与在职职工数已保存。")
            return redirect(f"{reverse('volunteers:targets')}?unit={unit.pk}&year={year}")
        counts = {org.pk: request.POST.get(f"staff_{org.pk}", "") for org in orgs}
    rows = [{"org": o, "count": counts.get(o.pk, ""), "error": staff_errors.get(o.pk, "")} for o in orgs]
    return render(
        request,
        "volunteers/targets.html",
        {"form": form, "units": units, "unit": unit, "year": year, "campaign": campaign, "rows": rows},
    )


# ------------------------------------------------------------------------------------------------
# Excel
# ------------------------------------------------------------------------------------------------
# Previewed workbooks wait in the media storage (a confirm may reach another web replica than the preview).
IMPORT_FOLDER = "volunteers/imports"


def _plan(request: HttpRequest, organizer, data: bytes):
    unit = unit_of(organizer)
    parsed = parse_hours_workbook(data)
    volunteers = selectors.volunteers_visible(user=request.user, action="change").filter(
        organization__path__startswith=unit.path, is_active=True
    )
    activities = selectors.activities_visible(user=request.user).filter(organization__path__startswith=unit.path)
    return plan_hours_import(parsed, volunteers=volunteers, activities=activities)


@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload → preview with row errors → confirm; a file with any error saves nothing."""
    orgs = _changeable_orgs(request)
    form = ImportForm(request.POST or None, request.FILES or None, organizations=orgs)
    if not selectors.user_can_confirm_somewhere(request.user):
        del form.fields["confirmed"]  # liaisons' imports always wait for 创建办
    context: dict = {"form": form}
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        pending = request.session.get("volunteer_imports", {}).get(token)
        organizer = orgs.filter(pk=(pending or {}).get("organization")).first()
        data = pending_read(IMPORT_FOLDER, token) if pending and organizer is not None else None
        if data is None:
            messages.error(request, "预览已失效，请重新上传文件。")
            return redirect("volunteers:import")
        plan = _plan(request, organizer, data)
        confirmed = pending["confirmed"] and services.can_confirm(request.user, organizer)
        try:
            outcome = services.hours_import(
                plan=plan, organizer=organizer, created_by=request.user, confirmed=confirmed
            )
        except services.VolunteerError as error:
            messages.error(request, str(error))
            context.update(plan=plan, organizer=organizer)
            return render(request, "volunteers/import.html", context)
        pending_delete(IMPORT_FOLDER, token)
        request.session["volunteer_imports"].pop(token, None)
        request.session.modified = True
        messages.success(
            request,
            f"已导入 {outcome.records} 条记录，共 {outcome.hours.normalize():f} 小时，"
            f"新建活动 {outcome.activities_created} 个" + ("（已确认）。" if confirmed else "，等待创建办确认。"),
        )
        return redirect("volunteers:activity_list")
    if request.method == "POST" and form.is_valid():
        organizer = form.cleaned_data["organization"]
        data = form.cleaned_data["file"].read()
        plan = _plan(request, organizer, data)
        confirmed = bool(form.cleaned_data.get("confirmed"))
        context.update(plan=plan, organizer=organizer, confirmed=confirmed)
        if plan.ok:
            token = secrets.token_hex(16)
            pending_save(IMPORT_FOLDER, token, data)
            imports = request.session.get("volunteer_imports", {})
            imports[token] = {"organization": organizer.pk, "confirmed": confirmed}
            request.session["volunteer_imports"] = imports
            context["token"] = token
    return render(request, "volunteers/import.html", context)


def import_template_view(request: HttpRequest) -> HttpResponse:
    return _xlsx(
        exports.hours_template(),
        "%E5%BF%97%E6%84%BF%E6%9C%8D%E5%8A%A1%E6%97%B6%E9%95%BF%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx",
    )


def export_volunteers_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    volunteers = selectors.volunteer_list(user=request.user, year=year)
    return _xlsx(exports.volunteers_workbook(volunteers), f"volunteers-{year}.xlsx")


def export_records_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    records = selectors.records_for_export(user=request.user, year=year)
    return _xlsx(exports.records_workbook(records), f"volunteer-records-{year}.xlsx")


@require_POST
def record_return_fix_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The recorder corrects the hours of a returned (or pending) record; it goes back to 待确认."""
    record = get_object_or_404(
        scope_filter(
            ServiceRecord.objects.select_related("activity", "volunteer"),
            request.user,
            "activity__organization",
            action="change",
        ),
        pk=pk,
    )
    try:
        services.record_update_hours(
            record=record, hours=Decimal(request.POST.get("hours", "0") or "0"), actor=request.user
        )
    except (services.VolunteerError, ArithmeticError) as error:
        messages.error(request, str(error) if isinstance(error, services.VolunteerError) else "时长不是数字")
    else:
        messages.success(request, f"已修改 {record.volunteer.name} 的时长，等待创建办确认。")
    return redirect("volunteers:activity_detail", pk=record.activity_id)
