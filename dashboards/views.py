import datetime
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.models import Task
from config.enqueue import send_quietly
from ledger.evidence_selectors import finding_counts_by_unit, is_office_user

from . import bulletins, measures, services, supervision
from .charts import MONTHS, cockpit_charts
from .city import TREND_KEYS, city_table, thresholds_for, unit_trend
from .measures import MEASURE_BY_KEY, MEASURES
from .models import SupervisionStatus
from .selectors import (
    can_edit_office,
    city_office,
    cockpit_unit,
    cockpit_units_for,
    offices_for,
    units_of_office,
    workbench_for,
)
from .tasks import snapshot_units as snapshot_units_task


def home(request: HttpRequest) -> HttpResponse:
    """工作台: who I am, where I sit in the tree, and what is in my scope."""
    return render(request, "dashboards/home.html", {"workbench": workbench_for(user=request.user)})


def cockpit(request: HttpRequest) -> HttpResponse:
    """驾驶舱: straight to the user's one unit, else the list of units whose 驾驶舱 they may open."""
    units = list(cockpit_units_for(request.user))
    if len(units) == 1 and not offices_for(request.user):
        return redirect("dashboards:unit_cockpit", pk=units[0].pk)
    return render(request, "dashboards/cockpit_choose.html", {"units": units})


def unit_cockpit(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit's 驾驶舱 (read-only): numbers first, then the charts, each with its table."""
    unit = cockpit_unit(request.user, pk)
    data = measures.unit_cockpit(unit)
    trend = unit_trend(unit=unit, keys=list(TREND_KEYS))
    trend_rows = [[day, *(trend[key][i] for key in TREND_KEYS)] for i, day in enumerate(trend["dates"])][::-1][:31]
    return render(
        request,
        "dashboards/cockpit.html",
        {
            "unit": unit,
            "c": data,
            "charts": cockpit_charts(data),
            "months": MONTHS,
            "hours_rows": list(zip(MONTHS, data.volunteers.monthly_hours, strict=True)) if data.volunteers else [],
            "trend": {**trend, "labels": TREND_KEYS},
            "trend_rows": trend_rows,
            "trend_labels": TREND_KEYS,
            "supervisions": list(
                supervision.supervisions_visible_to(request.user)
                .filter(unit=unit)
                .exclude(status=SupervisionStatus.CLOSED)
                .order_by("deadline", "pk")
            ),
        },
    )


# ------------------------------------------------------------------------------------------------
# City 动态管理 (文明办)
# ------------------------------------------------------------------------------------------------
def city(request: HttpRequest) -> HttpResponse:
    """动态管理: every unit of the office on the same outcome measures, from the latest daily snapshots."""
    office = city_office(request.user)
    sort = request.GET.get("sort", "")
    direction = request.GET.get("dir", "")
    descending = {"desc": True, "asc": False}.get(direction)
    table = city_table(office=office, sort=sort if sort in MEASURE_BY_KEY else "", descending=descending)
    return render(
        request,
        "dashboards/city.html",
        {
            "office": office,
            "table": table,
            "can_edit": can_edit_office(request.user, office),
            "can_issue": supervision.can_issue(request.user, office),
            "open_supervisions": supervision.open_supervisions_by_unit(office),
            # 图片疑点 per unit (issue 15): for the office's eyes only, never ranked (photos are not an outcome).
            "findings": finding_counts_by_unit(request.user) if is_office_user(request.user) else {},
        },
    )


def city_thresholds(request: HttpRequest) -> HttpResponse:
    """红/黄/绿 lines per measure: the office's 管理员 and 创建办 set them, its 领导 reads them."""
    office = city_office(request.user)
    editable = can_edit_office(request.user, office)
    errors: dict[str, str] = {}
    current = thresholds_for(office)
    values = {m.key: {"green": current[m.key][0], "red": current[m.key][1]} for m in MEASURES}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("只有文明办的管理员和创建办可以修改阈值。")
        # All or nothing: one wrong line keeps every threshold as it was.
        with transaction.atomic():
            for m in MEASURES:
                green, red = request.POST.get(f"{m.key}-green", ""), request.POST.get(f"{m.key}-red", "")
                values[m.key] = {"green": green, "red": red}
                try:
                    services.threshold_set(office=office, measure=m.key, green=green, red=red, actor=request.user)
                except services.DashboardError as exc:
                    errors[m.key] = str(exc)
            if errors:
                transaction.set_rollback(True)
        if not errors:
            messages.success(request, "阈值已保存。")
            return redirect("dashboards:city_thresholds")
    rows = [(m, values[m.key], errors.get(m.key, "")) for m in MEASURES]
    return render(
        request,
        "dashboards/city_thresholds.html",
        {"office": office, "rows": rows, "editable": editable, "errors": errors},
        status=400 if errors else 200,
    )


@require_POST
def city_refresh(request: HttpRequest) -> HttpResponse:
    """Take today's snapshots of the office's units now (in the background), instead of waiting for the night."""
    office = city_office(request.user)
    if not can_edit_office(request.user, office):
        raise PermissionDenied("只有文明办的管理员和创建办可以刷新。")
    unit_ids = list(units_of_office(office).values_list("pk", flat=True))
    if send_quietly(snapshot_units_task, unit_ids=unit_ids):
        messages.success(request, f"已开始刷新 {len(unit_ids)} 个单位的今日数据，稍后刷新本页查看。")
    else:
        messages.error(request, "后台服务暂时不可用，未能开始刷新；今日数据将在夜间自动生成，也可稍后再试。")
    return redirect("dashboards:city")


# ------------------------------------------------------------------------------------------------
# 督办
# ------------------------------------------------------------------------------------------------
def supervision_list(request: HttpRequest) -> HttpResponse:
    """督办单 on both sides: what my office issued, what my unit received; open ones first."""
    items = list(supervision.supervisions_visible_to(request.user).order_by("status", "deadline", "-pk")[:200])
    offices = offices_for(request.user)
    return render(
        request,
        "dashboards/supervision_list.html",
        {
            "items": items,
            "today": timezone.localdate(),
            "can_issue": any(supervision.can_issue(request.user, o) for o in offices),
        },
    )


def supervision_create(request: HttpRequest) -> HttpResponse:
    """The office issues a 督办单: a unit, a measure and/or its late tasks, the request and a deadline."""
    office = city_office(request.user)
    if not supervision.can_issue(request.user, office):
        raise PermissionDenied("只有文明办的管理员和创建办可以下发督办单。")
    units = list(units_of_office(office))
    source = request.POST if request.method == "POST" else request.GET
    unit = next((u for u in units if str(u.pk) == source.get("unit", "")), None)
    late = list(supervision.late_tasks_of(unit)) if unit else []
    error = ""
    status = 200
    default_deadline = timezone.localdate() + datetime.timedelta(days=7)
    if request.method == "POST":
        chosen = set(request.POST.getlist("tasks"))
        try:
            if unit is None:
                raise supervision.SupervisionError("请选择被督办的单位。")
            try:
                deadline = datetime.date.fromisoformat(request.POST.get("deadline", ""))
            except ValueError:
                raise supervision.SupervisionError("答复期限须为日期，如 2026-12-08。") from None
            if any(not (c.isascii() and c.isdigit()) for c in chosen):
                raise supervision.SupervisionError("所选任务不对。")
            item = supervision.supervision_issue(
                office=office,
                unit=unit,
                request_text=request.POST.get("request_text", ""),
                deadline=deadline,
                measure=request.POST.get("measure", ""),
                tasks=Task.objects.filter(pk__in=[int(c) for c in chosen]),
                actor=request.user,
            )
        except supervision.SupervisionError as exc:
            error, status = str(exc), 400
        else:
            messages.success(request, f"已向{unit.name}下发督办单，已通知其创建办。")
            return redirect("dashboards:supervision_detail", pk=item.pk)
    return render(
        request,
        "dashboards/supervision_form.html",
        {
            "office": office,
            "units": units,
            "unit": unit,
            "late": late,
            "measures": MEASURES,
            "error": error,
            "data": source,
            "chosen": set(source.getlist("tasks")),
            "default_deadline": default_deadline,
        },
        status=status,
    )


def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = supervision.supervision_for(request.user, pk)
    return render(request, "dashboards/supervision_detail.html", _supervision_context(request, item))


def _supervision_context(request: HttpRequest, item, **extra) -> dict:
    return {
        "item": item,
        "tasks": item.tasks.select_related("campaign").order_by("due_date", "order"),
        "today": timezone.localdate(),
        "measure": MEASURE_BY_KEY.get(item.measure),
        "can_answer": supervision.can_answer(request.user, item) and item.is_open,
        "can_close": supervision.can_close(request.user, item) and item.is_open,
        **extra,
    }


@require_POST
def supervision_answer(request: HttpRequest, pk: int) -> HttpResponse:
    item = supervision.supervision_for(request.user, pk)
    if not supervision.can_answer(request.user, item):
        raise PermissionDenied("只有被督办单位的创建办或管理员可以答复。")
    try:
        supervision.supervision_answer(
            supervision=item,
            text=request.POST.get("answer_text", ""),
            links=request.POST.get("answer_links", ""),
            actor=request.user,
        )
    except supervision.SupervisionError as exc:
        context = _supervision_context(request, item, answer_error=str(exc), answer_data=request.POST)
        return render(request, "dashboards/supervision_detail.html", context, status=400)
    messages.success(request, "情况说明已提交，已通知文明办。")
    return redirect("dashboards:supervision_detail", pk=item.pk)


@require_POST
def supervision_close(request: HttpRequest, pk: int) -> HttpResponse:
    item = supervision.supervision_for(request.user, pk)
    if not supervision.can_close(request.user, item):
        raise PermissionDenied("只有文明办的管理员和创建办可以办结督办单。")
    try:
        supervision.supervision_close(supervision=item, note=request.POST.get("close_note", ""), actor=request.user)
    except supervision.SupervisionError as exc:
        context = _supervision_context(request, item, close_error=str(exc))
        return render(request, "dashboards/supervision_detail.html", context, status=400)
    messages.success(request, "督办单已办结。")
    return redirect("dashboards:supervision_detail", pk=item.pk)


# ------------------------------------------------------------------------------------------------
# 月度通报
# ------------------------------------------------------------------------------------------------
def bulletin_list(request: HttpRequest) -> HttpResponse:
    items = list(bulletins.bulletins_visible_to(request.user).order_by("-month", "office__path")[:120])
    offices = [o for o in offices_for(request.user) if supervision.can_issue(request.user, o)]
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "dashboards/bulletin_list.html",
        {"items": items, "can_create": bool(offices), "last_month": last_month, "measures": MEASURES},
    )


@require_POST
def bulletin_create(request: HttpRequest) -> HttpResponse:
    office = city_office(request.user)
    if not supervision.can_issue(request.user, office):
        raise PermissionDenied("只有文明办的管理员和创建办可以编制通报。")
    try:
        item = bulletins.bulletin_freeze(
            office=office,
            month=bulletins.parse_month(request.POST.get("month", "")),
            notes=request.POST.get("notes", ""),
            sort=request.POST.get("sort", ""),
            actor=request.user,
        )
    except bulletins.BulletinError as exc:
        return render(request, "dashboards/bulletin_error.html", {"error": str(exc)}, status=400)
    messages.success(request, "通报已编制（草稿），核对后可发布。")
    return redirect("dashboards:bulletin_detail", pk=item.pk)


def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = bulletins.bulletin_for(request.user, pk)
    rows, ranked = bulletins.rows_for(request.user, item)
    return render(
        request,
        "dashboards/bulletin_detail.html",
        {
            "item": item,
            "rows": rows,
            "ranked": ranked,
            "measures": MEASURES,
            "sort_label": MEASURE_BY_KEY[item.sort].label if item.sort in MEASURE_BY_KEY else "",
            "red_rows": [r for r in rows if r["reds"]] if ranked else [],
            "can_publish": not item.is_published and supervision.can_issue(request.user, item.office),
        },
    )


@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    item = bulletins.bulletin_for(request.user, pk)
    if not supervision.can_issue(request.user, item.office):
        raise PermissionDenied("只有文明办的管理员和创建办可以发布通报。")
    try:
        bulletins.bulletin_publish(
            bulletin=item, publish_ranking=request.POST.get("publish_ranking") == "on", actor=request.user
        )
    except bulletins.BulletinError as exc:
        return render(request, "dashboards/bulletin_error.html", {"error": str(exc)}, status=400)
    messages.success(request, "通报已发布，已通知各单位创建办。")
    return redirect("dashboards:bulletin_detail", pk=item.pk)


def bulletin_export(request: HttpRequest, pk: int) -> HttpResponse:
    item = bulletins.bulletin_for(request.user, pk)
    response = HttpResponse(
        bulletins.bulletin_workbook(request.user, item),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = quote(f"{item.office.display_name}{item.month:%Y年%m月}通报.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 通报 as PDF, with exactly the rows the reader may see (a unit: its own row unless the ranking is public)."""
    item = bulletins.bulletin_for(request.user, pk)
    try:
        data = bulletins.bulletin_pdf(request.user, item)
    except bulletins.BulletinError as exc:
        return render(request, "dashboards/bulletin_error.html", {"error": str(exc)}, status=503)
    response = HttpResponse(data, content_type="application/pdf")
    filename = quote(f"{item.office.display_name}{item.month:%Y年%m月}通报.pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response
