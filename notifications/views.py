"""Pages of the notifications app: the bell, the notice list, preferences, 发送记录 and the group robots."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.query_params import clean_text, query_choice

from . import ratelimit, selectors, services
from .channels import DeliveryError, send_dingtalk, send_wecom
from .forms import PREFERENCE_KINDS, RobotForm
from .models import Channel, Kind, OutboxStatus, RobotVendor

PAGE_SIZE = 30


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def safe_target(request: HttpRequest, url: str) -> str:
    """A notice's link, only when it is a relative URL on this site (never another host, never //host)."""
    relative = url.startswith("/") and not url.startswith("//") and "\\" not in url
    if relative and url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=False):
        return url
    return ""


# ------------------------------------------------------------------------------
# Notices
# ------------------------------------------------------------------------------
@login_not_required
@require_GET
def bell_view(request: HttpRequest) -> HttpResponse:
    """The navbar bell (loaded by htmx on every page): one query (rendered without the context processors).

    A signed-out tab polling the bell gets 204 (htmx swaps nothing) rather than the sign-in page inside the navbar.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    html = render_to_string("notifications/_bell.html", {"unread": selectors.unread_count(user=request.user)})
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def notice_list_view(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    kind = query_choice(request.GET.get("kind"), Kind.values)
    notices = selectors.notice_list(user=request.user, unread=unread, kind=kind)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notice_list.html",
        {
            "page": page,
            "unread": unread,
            "kind": kind,
            "kinds": Kind.choices,
            "unread_total": selectors.unread_count(user=request.user),
            "is_manager": selectors.managed_organizations(user=request.user).exists(),
            "querystring": _querystring(request),
        },
    )


@require_POST
def notice_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and go to its object (a relative URL on this site only)."""
    notice = get_object_or_404(selectors.notice_list(user=request.user), pk=pk)
    services.notice_mark_read(notice=notice)
    target = safe_target(request, notice.url)
    if not target:
        messages.info(request, "该消息没有可打开的页面。")
        return redirect("notifications:list")
    return redirect(target)


@require_POST
def notice_mark_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(selectors.notice_list(user=request.user), pk=pk)
    services.notice_mark_read(notice=notice)
    return redirect("notifications:list")


@require_POST
def notice_mark_all_read_view(request: HttpRequest) -> HttpResponse:
    count = services.notice_mark_all_read(user=request.user)
    messages.success(request, f"已将 {count} 条消息标为已读。")
    return redirect("notifications:list")


# ------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    kinds = [(k, Kind(k).label) for k in PREFERENCE_KINDS]
    if request.method == "POST":
        choices = {k: {Channel.EMAIL: request.POST.get(f"{k}-{Channel.EMAIL}") == "on"} for k, _label in kinds}
        services.preference_set(user=request.user, choices=choices)
        messages.success(request, "通知偏好已保存。")
        return redirect("notifications:preferences")
    current = {}
    for kind, _label in kinds:
        current[kind] = services.user_channels([request.user], kind)[request.user.pk]
    rows = [
        {"kind": kind, "label": label, "email": Channel.EMAIL in current[kind], "field": f"{kind}-{Channel.EMAIL}"}
        for kind, label in kinds
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "has_email": bool(request.user.email),
            "is_manager": selectors.managed_organizations(user=request.user).exists(),
        },
    )


# ------------------------------------------------------------------------------
# 发送记录
# ------------------------------------------------------------------------------
def _require_manager(request: HttpRequest) -> None:
    if not selectors.managed_organizations(user=request.user).exists():
        raise PermissionDenied("只有组织的管理员可以查看此页面。")


@require_GET
def outbox_list_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    status = query_choice(request.GET.get("status"), OutboxStatus.values)
    channel = query_choice(request.GET.get("channel"), Channel.values)
    kind = query_choice(request.GET.get("kind"), Kind.values)
    query = clean_text(request.GET.get("q"))
    rows = selectors.outbox_list(user=request.user, status=status, channel=channel, kind=kind, query=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox_list.html",
        {
            "page": page,
            "status": status,
            "channel": channel,
            "kind": kind,
            "q": query,
            "statuses": OutboxStatus.choices,
            "channels": Channel.choices,
            "kinds": Kind.choices,
            "querystring": _querystring(request),
        },
    )


@require_POST
def outbox_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    row = get_object_or_404(selectors.outbox_list(user=request.user), pk=pk)
    try:
        services.outbox_resend(row=row, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("notifications:outbox")
    messages.success(request, "已重新排入发送队列。")
    return redirect("notifications:outbox")


# ------------------------------------------------------------------------------
# Group robots
# ------------------------------------------------------------------------------
def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


@require_GET
def robot_list_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    robots = selectors.robot_list(user=request.user).order_by("organization__path", "name")
    return render(request, "notifications/robot_list.html", {"robots": robots})


@require_http_methods(["GET", "POST"])
def robot_create_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    organizations = selectors.managed_organizations(user=request.user)
    form = RobotForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.robot_create(
                organization=data["organization"],
                name=data["name"],
                vendor=data["vendor"],
                webhook_url=data["webhook_url"],
                secret=data["secret"],
                enabled=data["enabled"],
                actor=request.user,
            )
        except (ValueError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "群机器人已添加。")
            return redirect("notifications:robots")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/robot_form.html", {"form": form, "robot": None}, status=status)


@require_http_methods(["GET", "POST"])
def robot_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    robot = get_object_or_404(selectors.robot_list(user=request.user), pk=pk)
    organizations = selectors.managed_organizations(user=request.user)
    initial = {
        "organization": robot.organization_id,
        "name": robot.name,
        "vendor": robot.vendor,
        "webhook_url": robot.webhook_url,
        "enabled": robot.enabled,
    }
    form = RobotForm(request.POST or None, initial=initial, organizations=organizations, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("name", "vendor", "webhook_url", "enabled")}
        if data["secret"]:
            changes["secret"] = data["secret"]
        try:
            services.robot_update(robot=robot, actor=request.user, **changes)
        except (ValueError, ValidationError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            if "webhook_url" in changes:
                ratelimit.reset(robot.pk)
            messages.success(request, "群机器人已保存。")
            return redirect("notifications:robots")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/robot_form.html", {"form": form, "robot": robot}, status=status)


@require_POST
def robot_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    robot = get_object_or_404(selectors.robot_list(user=request.user), pk=pk)
    services.robot_delete(robot=robot, actor=request.user)
    messages.success(request, "群机器人已删除。")
    return redirect("notifications:robots")


@require_POST
def robot_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    """测试发送: one message now (within the robot's rate limit), the vendor's answer shown to the admin."""
    _require_manager(request)
    robot = get_object_or_404(selectors.robot_list(user=request.user), pk=pk)
    wait = ratelimit.take(robot.pk)
    if wait > 0:
        messages.error(request, f"该机器人一分钟内发送已达上限，请 {int(wait) + 1} 秒后再试。")
        return redirect("notifications:robots")
    text = f"### 测试消息\n这是来自文明创建管理平台的测试消息（{request.user.display_name} 发送）。"
    try:
        if robot.vendor == RobotVendor.WECOM:
            send_wecom(webhook_url=robot.webhook_url, content=text)
        else:
            send_dingtalk(webhook_url=robot.webhook_url, secret=robot.secret, title="测试消息", text=text)
    except DeliveryError as exc:
        messages.error(request, f"测试发送失败：{exc.message}")
    else:
        messages.success(request, f"测试消息已发送到“{robot.name}”。")
    return redirect("notifications:robots")
