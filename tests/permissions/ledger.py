"""Ledger: list, dossier pages and actions, file serving, workbook and archive, settings."""

from __future__ import annotations

from ledger import services
from ledger.models import Event, EvidenceFile, Slot
from tests.factories import ArchiveBuildFactory, CampaignFactory, EventFactory
from tests.ledger import samples

from . import A_ALL, CITY, Case, only, outcomes

A_CHANGE = ("a_admin", "a_office", "a_liaison")
A_REVIEW = ("a_admin", "a_office")


def _campaign(w):
    return w.once("ledger_campaign_a", lambda: CampaignFactory(unit=w.unit_a, title="甲单位2026年度创建"))


def draft_event(w) -> Event:
    """A draft dossier of unit A's department, with one photo."""

    def build() -> Event:
        event = EventFactory(campaign=_campaign(w), organization=w.dept_a, title="甲办公室学习活动")
        services.evidence_add(
            event=event,
            slot=Slot.PHOTO,
            uploads=[services.Upload("合影.jpg", samples.jpeg(seed=11))],
            uploaded_by=None,
        )
        return event

    return w.once("ledger_draft_event", build)


def submitted_event(w) -> Event:
    """A submitted dossier (has a 档号: cannot be deleted, files cannot be removed)."""

    def build() -> Event:
        event = EventFactory(campaign=_campaign(w), organization=w.dept_a, title="甲办公室志愿服务")
        services.evidence_add(
            event=event,
            slot=Slot.PHOTO,
            uploads=[services.Upload("服务.jpg", samples.jpeg(seed=12))],
            uploaded_by=None,
        )
        return services.event_submit(event=event, actor=None)

    return w.once("ledger_submitted_event", build)


def photo(w) -> EvidenceFile:
    return draft_event(w).evidence.get()


def locked_photo(w) -> EvidenceFile:
    return submitted_event(w).evidence.get()


def archive_build(w):
    return w.once("ledger_archive_build", lambda: ArchiveBuildFactory(campaign=_campaign(w)))


def _export(w) -> dict:
    return {"campaign": _campaign(w).pk, "year": 2026}


VIEW_A = only(200, (*CITY, *A_ALL))
CHANGE_A = only(302, A_CHANGE)
REVIEW_A = only(302, A_REVIEW)

CASES = [
    Case("ledger:index", outcomes(200)),
    Case("ledger:index", outcomes(200), data=lambda w: {"view": "gallery", "q": "学习"}, label="gallery"),
    Case("ledger:index", outcomes(200), data=lambda w: {"evidence": "duplicate"}, label="疑似重复 filter"),
    Case("ledger:create", only(200, A_CHANGE), data=lambda w: {"campaign": _campaign(w).pk}, label="unit A campaign"),
    Case(
        "ledger:create",
        only(200, A_CHANGE),
        method="post",
        data=lambda w: {"campaign": _campaign(w).pk, "title": ""},
        label="invalid form is shown again",
    ),
    Case("ledger:detail", VIEW_A, kwargs=lambda w: {"pk": draft_event(w).pk}, label="unit A's dossier"),
    Case("ledger:edit", only(200, A_CHANGE), kwargs=lambda w: {"pk": draft_event(w).pk}),
    Case("ledger:upload", CHANGE_A, method="post", kwargs=lambda w: {"pk": draft_event(w).pk}, label="empty batch"),
    Case("ledger:submit", CHANGE_A, method="post", kwargs=lambda w: {"pk": draft_event(w).pk}),
    Case(
        "ledger:return",
        REVIEW_A,
        method="post",
        kwargs=lambda w: {"pk": submitted_event(w).pk},
        data=lambda w: {"reason": ""},
        label="empty reason",
    ),
    Case("ledger:archive", REVIEW_A, method="post", kwargs=lambda w: {"pk": draft_event(w).pk}, label="a draft"),
    # A numbered dossier goes to the 回收站 when unit A's 创建办/管理员 delete it; A's liaison is sent back to it with
    # a refusal (302 too). A fresh dossier per actor: one actor's delete must not take it away from the next.
    # The confirmation page: whoever may change the dossier sees it (a liaison sees the refusal for a numbered one).
    Case("ledger:delete", only(200, A_CHANGE), kwargs=lambda w: {"pk": draft_event(w).pk}, label="confirmation page"),
    Case(
        "ledger:delete",
        CHANGE_A,
        method="post",
        kwargs=lambda w: {
            "pk": services.event_submit(
                event=EventFactory(campaign=_campaign(w), organization=w.dept_a, title="甲办公室已提交档案"), actor=None
            ).pk
        },
        label="numbered",
    ),
    Case(
        "ledger:media_report_add",
        CHANGE_A,
        method="post",
        kwargs=lambda w: {"pk": draft_event(w).pk},
        data=lambda w: {"outlet": ""},
        label="invalid",
    ),
    Case("ledger:file_download", VIEW_A, kwargs=lambda w: {"pk": photo(w).pk}, label="unit A's file"),
    Case("ledger:file_preview", VIEW_A, kwargs=lambda w: {"pk": photo(w).pk}, label="unit A's file"),
    Case("ledger:file_thumbnail", VIEW_A, kwargs=lambda w: {"pk": photo(w).pk}, label="unit A's file"),
    Case("ledger:file_delete", CHANGE_A, method="post", kwargs=lambda w: {"pk": locked_photo(w).pk}, label="locked"),
    # The annual exports start a job and redirect to its page (tests/permissions/jobs.py covers the job pages).
    Case("ledger:export_workbook", only(302, (*CITY, *A_ALL)), method="post", data=_export, label="unit A campaign"),
    Case("ledger:export_archive", only(302, (*CITY, *A_ALL)), method="post", data=_export, label="unit A campaign"),
    # The archive PDF: started by unit A's 创建办/admins; a kept build is downloadable within unit A's scope only.
    Case("ledger:export_archive_pdf", only(302, A_REVIEW), method="post", data=_export, label="unit A campaign"),
    # A build holds the whole unit's dossiers: a liaison, who sees only their department's, cannot fetch it.
    Case(
        "ledger:archive_download",
        only(200, (*CITY, "a_admin", "a_office", "a_leader")),
        kwargs=lambda w: {"pk": archive_build(w).pk},
        label="unit A's build",
    ),
    Case("ledger:settings", only(200, A_REVIEW), kwargs=lambda w: {"campaign_pk": _campaign(w).pk}),
    # The unit's banner aliases (evidence checks): its 创建办 and admins only; others never learn the list.
    Case("ledger:banner_aliases", only(200, A_REVIEW), kwargs=lambda w: {"campaign_pk": _campaign(w).pk}),
    Case(
        "ledger:banner_aliases",
        only(400, A_REVIEW),
        method="post",
        kwargs=lambda w: {"campaign_pk": _campaign(w).pk},
        data=lambda w: {"aliases": "\n".join(f"别名{i}" for i in range(60))},
        label="too many aliases",
    ),
]
