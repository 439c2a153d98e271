"""Notifications: everyone's own notices and preferences; 发送记录 and group robots for 管理员 of the organisation.

Notices are private: another user's notice answers 404. Non-admins asking for the admin pages get 403;
admins of unit B asking for unit A's rows or robots get 404.
"""

from notifications.models import Channel, OutboxStatus
from tests.factories import NoticeFactory, OutboxFactory, RobotConfigFactory

from . import Case, only, outcomes

MANAGERS = ("city_admin", "a_admin", "b_admin")
NON_MANAGERS_403 = {
    a: 403
    for a in ("city_office", "city_leader", "a_office", "a_leader", "a_liaison", "b_office", "b_leader", "b_liaison")
}
MANAGER_PAGE = only(200, MANAGERS, otherwise=403)
A_OBJECT = only(200, ("city_admin", "a_admin"), otherwise=404) | NON_MANAGERS_403
A_OBJECT_POST = only(302, ("city_admin", "a_admin"), otherwise=404) | NON_MANAGERS_403


def _notice(w) -> dict:
    return {"pk": w.once("liaison_notice", lambda: NoticeFactory(user=w.user("a_liaison"), url="/")).pk}


def _failed_row(w) -> dict:
    def build():
        return OutboxFactory(
            recipient=w.user("a_liaison"),
            channel=Channel.EMAIL,
            organization=w.unit_a,
            status=OutboxStatus.FAILED,
            last_error="已重试 5 次仍失败：邮件发送失败",
        )

    return {"pk": w.once("failed_row", build).pk}


def _robot(w) -> dict:
    return {"pk": w.once("robot_a", lambda: RobotConfigFactory(organization=w.unit_a, name="甲单位工作群")).pk}


def _fresh_robot(w) -> dict:
    """A new robot for every actor, since a successful POST deletes it."""
    return {"pk": RobotConfigFactory(organization=w.unit_a).pk}


def _unreachable_robot(w) -> dict:
    # A webhook the settings refuse: 测试发送 answers with the reason and never touches the network.
    def build():
        return RobotConfigFactory(organization=w.unit_a, webhook_url="https://wecom-gateway.invalid/send")

    return {"pk": w.once("robot_unreachable", build).pk}


CASES = [
    Case("notifications:list", outcomes(200)),
    # A signed-out tab's poll gets an empty 204, not the sign-in page swapped into the navbar.
    Case("notifications:bell", outcomes(200, anon=204), htmx=True),
    Case("notifications:open", only(302, ("a_liaison",)), kwargs=_notice, method="post"),
    Case("notifications:open", outcomes(405), kwargs=_notice, label="GET is refused"),
    Case("notifications:mark_read", only(302, ("a_liaison",)), kwargs=_notice, method="post"),
    Case("notifications:mark_all_read", outcomes(302), method="post"),
    Case("notifications:mark_all_read", outcomes(405), label="GET is refused"),
    Case("notifications:preferences", outcomes(200)),
    Case(
        "notifications:preferences", outcomes(302), method="post", data=lambda w: {"digest-email": "on"}, label="save"
    ),
    Case("notifications:outbox", MANAGER_PAGE),
    Case("notifications:outbox_resend", A_OBJECT_POST, kwargs=_failed_row, method="post"),
    Case("notifications:robots", MANAGER_PAGE),
    Case("notifications:robot_create", MANAGER_PAGE),
    Case("notifications:robot_edit", A_OBJECT, kwargs=_robot),
    Case("notifications:robot_delete", A_OBJECT_POST, kwargs=_fresh_robot, method="post"),
    Case("notifications:robot_test", A_OBJECT_POST, kwargs=_unreachable_robot, method="post"),
]
