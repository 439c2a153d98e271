"""What of the ledger goes to the 回收站 (see trash/registry.py): a dossier with its files and media reports,
and a single evidence file. The ledger also guards a task's delete: dossiers are records of their own, so a task
delete only takes the task off them (and a restore puts it back), and never off an archived dossier."""

from django.db import models

from campaigns.models import Task
from trash.registry import TrashError, guard, link, register

from .models import Event, EventStatus, EvidenceFile, PhotoDuplicate
from .services import evidence_restored


def _check_event(event: Event) -> None:
    if event.status == EventStatus.ARCHIVED:
        raise TrashError("已归档的档案不能删除，只能由管理员撤档。")


def _check_task(task: Task) -> None:
    archived = Event.objects.filter(tasks__in=_subtree_ids(task), status=EventStatus.ARCHIVED).distinct().count()
    if archived:
        raise TrashError(
            f"此任务（或其下级任务）关联了 {archived} 份已归档的档案，不能删除："
            "已归档档案的关联任务不再改动。如确需删除，请先由管理员撤档后解除关联。"
        )


def _check_evidence_restorable(evidence: EvidenceFile) -> None:
    if Event.objects.filter(pk=evidence.event_id, status=EventStatus.ARCHIVED).exists():
        raise TrashError("档案已归档，不能恢复其中的文件。如确需恢复，请先由管理员撤档。")


def _skip_archived_dossier(row: models.Model) -> str | None:
    """A task coming back does not re-join a dossier archived since it went: an archived dossier's 关联任务 no
    longer change (the delete guard refuses for the same reason). Skipping the link, rather than refusing the whole
    restore, is what the user wants: the task (with its subtasks and reports) comes back, the archived record stays
    as it was archived, and the message names the dossier so the link can be made again after a 撤档."""
    title = Event.objects.filter(pk=row.event_id, status=EventStatus.ARCHIVED).values_list("title", flat=True).first()
    if title is None:
        return None
    return f"档案“{title}”已归档，未恢复与它的关联（已归档档案的关联任务不再改动）。"


def _subtree_ids(task: Task) -> list[int]:
    ids, frontier = [task.pk], [task.pk]
    while frontier:
        frontier = list(Task.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


register(Event, kind="档案", organization=lambda e: e.organization, title=lambda e: e.title, check=_check_event)
register(
    EvidenceFile,
    kind="材料文件",
    organization=lambda f: f.event.organization,
    title=lambda f: f"{f.original_name}（{f.event.title}）",
    restored=lambda f: evidence_restored(f),
    restorable=_check_evidence_restorable,
)
guard(Task, _check_task)
# Rows that only tie two records together: a restore leaves one out when its other end is gone (a 疑似重复图片 pair
# with a photo of another dossier, often another unit's, deleted or purged since), rather than refusing for good.
link(PhotoDuplicate)
link(Event.tasks.through, skip=_skip_archived_dossier)
