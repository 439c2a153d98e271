"""回收站: the list is open to every signed-in user and shows only their units' deletions (管理员/创建办); restoring
one of unit A's deletions is unit A's 管理员 and 创建办 (others 404); the empty page is a unit 管理员's (others 403)."""

from __future__ import annotations

from trash.services import trash_delete

from . import Case, only, outcomes
from .ledger import _campaign

A_REVIEW = ("a_admin", "a_office")


def _deletion(w):
    from tests.factories import EventFactory

    def build():
        event = EventFactory(campaign=_campaign(w), organization=w.dept_a, title="甲办公室已删除档案")
        return trash_delete(obj=event, actor=None)

    return w.once("trash_deletion_a", build)


def _archived(w):
    from ledger import services
    from tests.factories import EventFactory

    def build():
        event = EventFactory(campaign=_campaign(w), organization=w.dept_a, title="甲办公室已归档档案")
        event = services.event_submit(event=event, actor=None)
        return services.event_archive(event=event, actor=None)

    return w.once("trash_archived_a", build)


CASES = [
    Case("trash:index", outcomes(200)),
    Case("trash:restore", only(200, A_REVIEW), kwargs=lambda w: {"pk": _deletion(w).pk}, label="unit A's deletion"),
    Case("trash:empty", only(200, ("a_admin", "b_admin"), otherwise=403), label="confirmation page"),
    # 撤档 (ledger): unit A's 管理员 opens the form; those who may change the dossier but are no 管理员 get 403.
    Case(
        "ledger:withdraw",
        {**only(200, ("a_admin",)), "a_office": 403, "a_liaison": 403},
        kwargs=lambda w: {"pk": _archived(w).pk},
        label="archived",
    ),
]
