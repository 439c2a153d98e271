"""What of the ledger goes to the 回收站 (see trash/registry.py): a dossier with its files and media reports,
and a single evidence file."""

from trash.registry import TrashError, register

from .models import Event, EventStatus, EvidenceFile
from .services import evidence_restored


def _check_event(event: Event) -> None:
    if event.status == EventStatus.ARCHIVED:
        raise TrashError("已归档的档案不能删除，只能由管理员撤档。")


register(Event, kind="档案", organization=lambda e: e.organization, title=lambda e: e.title, check=_check_event)
register(
    EvidenceFile,
    kind="材料文件",
    organization=lambda f: f.event.organization,
    title=lambda f: f"{f.original_name}（{f.event.title}）",
    restored=lambda f: evidence_restored(f),
)
