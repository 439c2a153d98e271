"""Demo data for the bell: a few notices for the demo users, and one robot with sending switched off."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from organizations.models import Organization, User

from . import services
from .models import Kind, RobotConfig, RobotVendor

DEMO_NOTICES = (
    (Kind.SYSTEM, "欢迎使用文明创建管理平台", "右上角的“消息”会提醒您任务到期、逾期督办和催办。", "/"),
    (Kind.REMINDER, "请查看本单位的创建任务", "任务到期前 7、3、1 天，系统会在这里提醒您。", "/campaigns/"),
)


def seed_notifications(users: Iterable[User] | None = None, *, notices: Iterable[tuple] = DEMO_NOTICES) -> int:
    """Welcome notices (in-app) for `users` (default: every active user); idempotent. Returns rows created."""
    users = list(users if users is not None else User.objects.filter(is_active=True))
    created = 0
    for index, (kind, title, body, url) in enumerate(notices):
        result = services.notify(
            rule=f"demo-welcome-{index}",
            obj=None,
            recipients=users,
            title=title,
            body=body,
            url=url,
            period="demo",
            kind=kind,
            now=timezone.now(),
        )
        created += result.created
    return created


def seed_demo_robot(organization: Organization) -> RobotConfig:
    """One 企业微信 robot on `organization`, sending switched off (the demo sends nothing out)."""
    existing = RobotConfig.objects.filter(organization=organization, name="创建工作群（演示）").first()
    if existing:
        return existing
    return services.robot_create(
        organization=organization,
        name="创建工作群（演示）",
        vendor=RobotVendor.WECOM,
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=00000000-demo-0000-0000-000000000000",
        enabled=False,
    )
