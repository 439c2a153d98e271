"""驾驶舱 and 动态管理: the unit's 领导/创建办/管理员 and the city office read a unit's 驾驶舱 (liaisons and other units
get 404); only the 文明办's people open 动态管理, and only its 管理员/创建办 change thresholds or refresh."""

from . import A_UNIT_LEVEL, B_UNIT_LEVEL, CITY, Case, only, outcomes

THRESHOLD_POST = {
    "task_done_pct-green": "85",
    "task_done_pct-red": "55",
    "tasks_overdue-green": "0",
    "tasks_overdue-red": "5",
    "self_pct-green": "85",
    "self_pct-red": "70",
    "rect_closure_pct-green": "90",
    "rect_closure_pct-red": "60",
    "evidence_days-green": "7",
    "evidence_days-red": "15",
    "late_entry_pct-green": "10",
    "late_entry_pct-red": "30",
    "dossier_complete_pct-green": "90",
    "dossier_complete_pct-red": "70",
    "coverage_pct-green": "80",
    "coverage_pct-red": "50",
    "volunteer_rate-green": "95",
    "volunteer_rate-red": "80",
    "hours_per_volunteer-green": "25",
    "hours_per_volunteer-red": "15",
}

CASES = [
    # Unit people with one unit are sent to it; liaisons get the (empty) chooser; the city chooses among its units.
    Case("dashboards:cockpit", outcomes(200) | {actor: 302 for actor in (*A_UNIT_LEVEL, *B_UNIT_LEVEL)}),
    Case(
        "dashboards:unit_cockpit",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": w.unit_a.pk},
        label="unit A",
    ),
    Case("dashboards:unit_cockpit", only(404, ()), kwargs=lambda w: {"pk": w.dept_a.pk}, label="a department: 404"),
    Case("dashboards:city", only(200, CITY)),
    Case("dashboards:city_thresholds", only(200, CITY)),
    Case(
        "dashboards:city_thresholds",
        only(302, ("city_admin", "city_office")) | {"city_leader": 403},
        method="post",
        data=lambda w: THRESHOLD_POST,
    ),
    Case(
        "dashboards:city_thresholds",
        only(400, ("city_admin", "city_office")) | {"city_leader": 403},
        method="post",
        data=lambda w: {**THRESHOLD_POST, "task_done_pct-green": "四十"},
        label="a wrong number",
    ),
    Case("dashboards:city_refresh", only(302, ("city_admin", "city_office")) | {"city_leader": 403}, method="post"),
    Case("dashboards:city_refresh", outcomes(405), label="GET is refused"),
]


def _supervision(w):
    return w.once("supervision_a", lambda: _fresh_supervision(w))


def _fresh_supervision(w):
    from tests.factories import SupervisionFactory

    return SupervisionFactory(office=w.city, unit=w.unit_a, request_text="甲单位逾期任务督办")


def _issue(w) -> dict:
    import datetime

    return {
        "unit": w.unit_a.pk,
        "measure": "tasks_overdue",
        "request_text": "请说明逾期原因",
        "deadline": (datetime.date.today() + datetime.timedelta(days=5)).isoformat(),  # noqa: DTZ011
    }


OFFICE_EDITORS = ("city_admin", "city_office")
UNIT_ANSWERERS = ("a_admin", "a_office")

CASES += [
    Case("dashboards:supervision_list", outcomes(200)),
    Case("dashboards:supervision_create", only(200, OFFICE_EDITORS) | {"city_leader": 403}),
    Case(
        "dashboards:supervision_create",
        only(302, OFFICE_EDITORS) | {"city_leader": 403},
        method="post",
        data=_issue,
        label="to unit A about its overdue tasks",
    ),
    Case(
        "dashboards:supervision_detail",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": _supervision(w).pk},
        label="unit A's",
    ),
    Case(
        "dashboards:supervision_answer",
        only(302, UNIT_ANSWERERS) | {actor: 403 for actor in (*CITY, "a_leader")},
        method="post",
        kwargs=lambda w: {"pk": _fresh_supervision(w).pk},
        data=lambda w: {"answer_text": "已召开专题会，逾期任务本周完成", "answer_links": "/campaigns/"},
    ),
    Case(
        "dashboards:supervision_answer",
        outcomes(405),
        kwargs=lambda w: {"pk": _supervision(w).pk},
        label="GET is refused",
    ),
    Case(
        "dashboards:supervision_close",
        only(302, OFFICE_EDITORS) | {actor: 403 for actor in ("city_leader", *A_UNIT_LEVEL)},
        method="post",
        kwargs=lambda w: {"pk": _fresh_supervision(w).pk},
        data=lambda w: {"close_note": "已整改到位"},
    ),
]


def _snapshots(w) -> None:
    from django.utils import timezone

    from tests.factories import UnitSnapshotFactory

    def build():
        for unit in (w.unit_a, w.unit_b):
            UnitSnapshotFactory(unit=unit, date=timezone.localdate(), measures={"task_done_pct": 60.0})
        return True

    w.once("snapshots", build)


def _freeze_month(w) -> dict:
    from django.utils import timezone

    _snapshots(w)
    return {"month": timezone.localdate().strftime("%Y-%m"), "notes": "本月通报", "sort": "task_done_pct"}


def _draft(w):
    """A fresh draft each call (publishing it is what the case tests), in a month the office has no 通报 for yet:
    the fuzz test calls this builder many times in one world."""
    import datetime

    from dashboards.models import Bulletin
    from tests.factories import BulletinFactory

    used = set(Bulletin.objects.filter(office=w.city).values_list("month", flat=True))
    month = next(m for n in range(1200) if (m := datetime.date(2025 - n // 12, 12 - n % 12, 1)) not in used)
    return BulletinFactory(office=w.city, rows=_rows(w), month=month)


def _rows(w) -> list:
    return [
        {"unit_id": w.unit_a.pk, "unit_name": w.unit_a.name, "rank": 1, "reds": 0, "veto": False, "cells": []},
        {"unit_id": w.unit_b.pk, "unit_name": w.unit_b.name, "rank": 2, "reds": 1, "veto": False, "cells": []},
    ]


def _published(w):
    import datetime

    from tests.factories import BulletinFactory

    return w.once(
        "bulletin_published",
        lambda: BulletinFactory(office=w.city, month=datetime.date(2020, 1, 1), rows=_rows(w), status="published"),
    )


UNIT_READERS = (*A_UNIT_LEVEL, *B_UNIT_LEVEL)

CASES += [
    Case("dashboards:bulletin_list", outcomes(200)),
    Case(
        "dashboards:bulletin_create",
        only(302, OFFICE_EDITORS) | {"city_leader": 403},
        method="post",
        data=_freeze_month,
        label="this month, from the snapshots",
    ),
    Case("dashboards:bulletin_create", outcomes(405), label="GET is refused"),
    Case(
        "dashboards:bulletin_detail",
        only(200, CITY),
        kwargs=lambda w: {"pk": w.once("bulletin_draft", lambda: _draft(w)).pk},
        label="a draft: the office only",
    ),
    Case(
        "dashboards:bulletin_detail",
        only(200, (*CITY, *UNIT_READERS)),
        kwargs=lambda w: {"pk": _published(w).pk},
        label="published: the units too",
    ),
    Case(
        "dashboards:bulletin_publish",
        only(302, OFFICE_EDITORS) | {"city_leader": 403},
        method="post",
        kwargs=lambda w: {"pk": _draft(w).pk},
        data=lambda w: {"publish_ranking": "on"},
    ),
    Case(
        "dashboards:bulletin_publish", outcomes(405), kwargs=lambda w: {"pk": _published(w).pk}, label="GET is refused"
    ),
    Case(
        "dashboards:bulletin_export",
        only(200, (*CITY, *UNIT_READERS)),
        kwargs=lambda w: {"pk": _published(w).pk},
        label="published",
    ),
    Case(
        "dashboards:bulletin_pdf",
        only(200, (*CITY, *UNIT_READERS)),
        kwargs=lambda w: {"pk": _published(w).pk},
        label="published",
    ),
    Case(
        "dashboards:bulletin_pdf",
        only(200, CITY),
        kwargs=lambda w: {"pk": w.once("bulletin_draft", lambda: _draft(w)).pk},
        label="a draft: the office only",
    ),
]
