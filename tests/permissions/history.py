"""历史 pages: whoever may open the object's page may open its history; unit B's objects answer 404. The 数据变更 list
beside the 操作记录 is open to every signed-in user and shows only what their scope holds."""

from __future__ import annotations

from . import A_ALL, A_UNIT_LEVEL, CITY, Case, only, outcomes
from .campaigns import READ_A, _task
from .evaluation import ev, reads
from .ledger import VIEW_A, draft_event, submitted_event
from .volunteers import _unit_volunteer, _volunteer

CASES = [
    Case("organizations:changes", outcomes(200)),
    Case("history:dossier", VIEW_A, kwargs=lambda w: {"pk": draft_event(w).pk}, label="unit A's dossier"),
    Case("history:dossier", VIEW_A, kwargs=lambda w: {"pk": submitted_event(w).pk}, label="submitted"),
    Case("history:task", READ_A, kwargs=_task, label="unit A's task"),
    Case(
        "history:volunteer",
        only(200, (*CITY, *A_ALL)),
        kwargs=lambda w: {"pk": _volunteer(w).pk},
        label="unit A's department",
    ),
    Case(
        "history:volunteer",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": _unit_volunteer(w).pk},
        label="unit A itself",
    ),
    Case("history:round", reads, kwargs=lambda w: {"pk": ev(w).assessment.pk}),
    Case("history:rectification", reads, kwargs=lambda w: {"pk": ev(w).rectification.pk}),
]
