"""{% task_dossiers task %}: a task's dossiers with their completeness, and the 建档 button that starts one from it.

The task page belongs to campaigns, which knows nothing of the ledger; the ledger renders this part of it.
"""

from __future__ import annotations

from django import template

from campaigns.models import Task
from ledger import selectors

register = template.Library()

SHOWN = 20


@register.inclusion_tag("ledger/_task_dossiers.html", takes_context=True)
def task_dossiers(context: template.Context, task: Task) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    events = selectors.events_of_task(user, task)
    shown = list(events[: SHOWN + 1])
    return {
        "show": True,
        "task": task,
        "events": shown[:SHOWN],
        "more": len(shown) > SHOWN,
        "total": events.count() if len(shown) > SHOWN else len(shown),
        # A section heading gathers sub-tasks: dossiers are filed under those, so it offers no 建档.
        "can_create": not task.children.exists()
        and selectors.organizations_for_new_event(user, task.campaign).exists(),
    }
