"""The 驾驶舱's chart data, as plain JSON for `json_script` (the page's tables show the same numbers)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from .measures import Cockpit

MONTHS = [f"{m}月" for m in range(1, 13)]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def late_tasks_url(cockpit: Cockpit, organization_id: int) -> str:
    """The task list of the campaign filtered to the department's late tasks."""
    if cockpit.campaign is None:
        return ""
    base = reverse("campaigns:tasks", kwargs={"pk": cockpit.campaign.pk})
    return f"{base}?{urlencode({'lead': organization_id, 'status': 'late'})}"


def cockpit_charts(cockpit: Cockpit) -> dict[str, Any]:
    departments = cockpit.departments
    vol = cockpit.volunteers
    items: list[str] = []
    for cell in cockpit.coverage_cells:
        if cell.item_label not in items:
            items.append(cell.item_label)
    width = max((cell.position for cell in cockpit.coverage_cells), default=0)
    return {
        "departments": {
            "names": [d.name for d in departments],
            "done": [d.done for d in departments],
            "late": [d.late for d in departments],
            "open": [d.total - d.done - d.late for d in departments],
            "urls": [late_tasks_url(cockpit, d.organization_id) for d in departments],
        },
        "phases": [
            {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()}
            for p in cockpit.phases
            if p.start and p.end
        ],
        "today": cockpit.today.isoformat(),
        "heatmap": {
            "items": items,
            "columns": [f"指标{i}" for i in range(1, width + 1)],
            "cells": [
                [cell.position - 1, items.index(cell.item_label), _num(cell.percent), cell.indicator_label]
                for cell in cockpit.coverage_cells
            ],
        },
        "rounds": {
            "names": [f"{r.assessment.name}（{r.assessment.date:%Y-%m-%d}）" for r in cockpit.rounds],
            "percent": [_num(r.percent) for r in cockpit.rounds],
        },
        "monthly": {
            "months": MONTHS,
            "series": [{"name": name, "data": counts} for name, counts in cockpit.dossiers_monthly.items()],
        },
        "hours": {
            "months": MONTHS,
            "hours": [float(h) for h in vol.monthly_hours] if vol else [0.0] * 12,
        },
    }
