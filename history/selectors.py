"""The 历史 of one object and what hangs from it, the object fetched through its app's scoped selector (else 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.shortcuts import get_object_or_404

from campaigns.models import ProgressReport, Task
from campaigns.selectors import tasks_visible_to
from evaluation.models import BonusClaim, NegativeDeclaration, RectificationItem, Score, SelfAssessment
from evaluation.selectors import assessments_visible_to, rectifications_visible_to
from ledger.models import Event, EvidenceFile, MediaReport
from ledger.selectors import events_visible_to
from organizations.history import HistoryEntry, object_history
from volunteers.models import ServiceRecord, Volunteer
from volunteers.selectors import volunteers_visible


@dataclass
class ObjectHistory:
    obj: models.Model
    title: str
    back_url_name: str
    entries: list[HistoryEntry]


def _merged(*parts: list[HistoryEntry]) -> list[HistoryEntry]:
    entries = [e for part in parts for e in part]
    entries.sort(key=lambda e: (e.at, e.history_id), reverse=True)
    return entries


def dossier_history(*, user: Any, pk: int) -> ObjectHistory:
    """A dossier's own changes, and its files' and media reports' (added, changed, deleted)."""
    event = get_object_or_404(events_visible_to(user), pk=pk)
    entries = _merged(
        object_history(Event, id=event.pk),
        object_history(EvidenceFile, event_id=event.pk),
        object_history(MediaReport, event_id=event.pk),
    )
    return ObjectHistory(event, event.title, "ledger:detail", entries)


def task_history(*, user: Any, pk: int) -> ObjectHistory:
    """A task's changes and its progress reports."""
    task = get_object_or_404(tasks_visible_to(user), pk=pk)
    entries = _merged(object_history(Task, id=task.pk), object_history(ProgressReport, task_id=task.pk))
    return ObjectHistory(task, f"{task.number} {task.title}".strip(), "campaigns:task_detail", entries)


def volunteer_history(*, user: Any, pk: int) -> ObjectHistory:
    """A volunteer's changes and their service records (recorded, confirmed, returned)."""
    volunteer = get_object_or_404(volunteers_visible(user=user), pk=pk)
    entries = _merged(
        object_history(Volunteer, id=volunteer.pk), object_history(ServiceRecord, volunteer_id=volunteer.pk)
    )
    return ObjectHistory(volunteer, volunteer.name, "volunteers:volunteer_detail", entries)


def round_history(*, user: Any, pk: int) -> ObjectHistory:
    """A self-inspection round, its scores, bonus claims and negative-list declarations."""
    assessment = get_object_or_404(assessments_visible_to(user), pk=pk)
    entries = _merged(
        object_history(SelfAssessment, id=assessment.pk),
        object_history(Score, assessment_id=assessment.pk),
        object_history(BonusClaim, assessment_id=assessment.pk),
        object_history(NegativeDeclaration, assessment_id=assessment.pk),
    )
    return ObjectHistory(assessment, assessment.name, "evaluation:round_detail", entries)


def rectification_history(*, user: Any, pk: int) -> ObjectHistory:
    item = get_object_or_404(rectifications_visible_to(user), pk=pk)
    entries = object_history(RectificationItem, id=item.pk)
    return ObjectHistory(item, item.problem[:60], "evaluation:rectification_edit", entries)
