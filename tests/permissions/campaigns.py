"""Campaigns: list, overview, task tree, 我的任务, task detail and report, edit, plan import, Excel, next cycle."""

from __future__ import annotations

from campaigns.models import Campaign, Task
from tests.factories import CampaignFactory, TaskFactory

from . import A_ALL, CITY, Case, only, outcomes

OFFICES = ("a_admin", "a_office", "b_admin", "b_office")
A_OFFICE = ("a_admin", "a_office")
FORMSETS_EMPTY = {
    f"{prefix}-{key}": value
    for prefix in ("phases", "leaders")
    for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))
}
PLAN = "一、主要任务\n1.开展专题学习。（责任单位：甲办公室）\n2.组织志愿服务。"


def campaign_a(w) -> Campaign:
    return w.once("campaign_a", lambda: CampaignFactory(unit=w.unit_a, title="甲单位2026年度创建"))


def task_dept_a(w) -> Task:
    """A task unit A's department leads (a_liaison may report on it)."""
    return w.once("task_dept_a", lambda: TaskFactory(campaign=campaign_a(w), lead_units=[w.dept_a]))


def task_affiliate_a(w) -> Task:
    """A task only unit A's affiliate has a part in (a_liaison in dept_a may NOT report on it)."""
    return w.once("task_affiliate_a", lambda: TaskFactory(campaign=campaign_a(w), lead_units=[w.affiliate_a]))


def _campaign(w) -> dict:
    return {"pk": campaign_a(w).pk}


def _task(w) -> dict:
    return {"pk": task_dept_a(w).pk}


def edit_table(ok: int = 200) -> dict[str, int]:
    """Unit A's admin/创建办 may edit; city office, A's leader and liaison read only (403); unit B: 404."""
    table = only(ok, A_OFFICE)
    for actor in (*CITY, "a_leader", "a_liaison"):
        table[actor] = 403
    return table


READ_A = only(200, (*CITY, *A_ALL))


def _office_only(ok: int = 200, *, b: int | None = None) -> dict[str, int]:
    table = outcomes(403)
    for actor in OFFICES:
        table[actor] = ok
    if b is not None:
        table["b_admin"] = table["b_office"] = b
    return table


CASES = [
    Case("campaigns:index", outcomes(200), label="list"),
    Case("campaigns:my_tasks", outcomes(200)),
    Case("campaigns:excel_template", outcomes(200)),
    Case("campaigns:create", _office_only(200)),
    Case(
        "campaigns:create",
        _office_only(302, b=200),
        method="post",
        data=lambda w: {
            "unit": w.unit_a.pk,
            "title": "甲单位新创建",
            "level": "city",
            "start_year": 2026,
            "end_year": 2026,
            "status": "active",
        },
        label="post for unit A (B's office: form error, unit not offered)",
    ),
    Case("campaigns:plan_import", _office_only(200)),
    Case(
        "campaigns:plan_import",
        _office_only(200),
        method="post",
        data=lambda w: {"unit": w.unit_a.pk, "level": "city", "text": PLAN},
        label="preview (B's office: form error)",
    ),
    Case(
        "campaigns:plan_import_confirm",
        _office_only(302, b=404),
        method="post",
        data=lambda w: {
            "unit": w.unit_a.pk,
            "payload": '{"nodes": [{"index": 0, "number": "1", "title": "学习", "content": "", "lead_units": [],'
            ' "cooperating_units": [], "due": null, "parent": null, "is_heading": false}], "phases": [],'
            ' "leadership": []}',
            "title": "导入的创建活动",
            "start_year": "2026",
        },
    ),
    Case("campaigns:detail", READ_A, kwargs=_campaign, label="unit A's campaign"),
    Case("campaigns:tasks", READ_A, kwargs=_campaign, label="unit A's campaign"),
    Case("campaigns:task_export", READ_A, kwargs=_campaign, label="unit A's campaign"),
    Case("campaigns:edit", edit_table(), kwargs=_campaign, label="unit A's campaign"),
    Case(
        "campaigns:edit",
        edit_table(302),
        kwargs=_campaign,
        method="post",
        data=lambda w: {
            "title": "甲单位2026年度创建",
            "level": "city",
            "start_year": 2026,
            "end_year": 2026,
            "status": "active",
            **FORMSETS_EMPTY,
        },
        label="post",
    ),
    Case("campaigns:next_cycle", edit_table(302), kwargs=_campaign, method="post", data=lambda w: {"years": 1}),
    Case("campaigns:task_create", edit_table(), kwargs=_campaign, label="unit A's campaign"),
    Case("campaigns:task_import", edit_table(), kwargs=_campaign, label="unit A's campaign"),
    Case("campaigns:task_detail", READ_A, kwargs=_task, label="unit A's task"),
    Case("campaigns:task_edit", edit_table(), kwargs=_task, label="unit A's task"),
    # 删除 (into the 回收站): the confirmation page, then the POST on a fresh task per actor (one actor's delete must
    # not take the object away from the next).
    Case("campaigns:task_delete", edit_table(), kwargs=_task, label="unit A's task: confirmation page"),
    Case(
        "campaigns:task_delete",
        edit_table(302),
        kwargs=lambda w: {"pk": TaskFactory(campaign=campaign_a(w), title="矩阵删除任务").pk},
        method="post",
        label="a fresh task of unit A",
    ),
    Case(
        "campaigns:task_report",
        {**edit_table(302), "a_liaison": 302},
        kwargs=_task,
        method="post",
        data=lambda w: {f"t{task_dept_a(w).pk}-percent": 50, f"t{task_dept_a(w).pk}-text": "已完成一半"},
        label="task led by A's department: A's liaison may report",
    ),
    Case(
        "campaigns:task_report",
        edit_table(302),
        kwargs=lambda w: {"pk": task_affiliate_a(w).pk},
        method="post",
        data=lambda w: {f"t{task_affiliate_a(w).pk}-percent": 50, f"t{task_affiliate_a(w).pk}-text": "已完成一半"},
        label="task only A's affiliate has a part in: A's liaison refused (403)",
    ),
    Case(
        "campaigns:task_report",
        {**edit_table(200), "a_liaison": 200},
        kwargs=_task,
        method="post",
        htmx=True,
        data=lambda w: {f"t{task_dept_a(w).pk}-percent": 60, f"t{task_dept_a(w).pk}-text": "htmx 填报"},
        label="htmx inline report",
    ),
]


def task_overdue_a(w) -> Task:
    """An open task of unit A's department past its deadline (催办 reaches a_liaison)."""
    import datetime

    return w.once(
        "task_overdue_a",
        lambda: TaskFactory(campaign=campaign_a(w), lead_units=[w.dept_a], due_date=datetime.date(2026, 1, 5)),
    )


REMINDER_SETTINGS_POST = {
    "due_soon_days": "7,3,1",
    "overdue_repeat_days": 3,
    "escalate_office_days": 3,
    "escalate_leaders_days": 10,
    "dossier_incomplete_days": 7,
    "returned_days": 5,
    "hours_unconfirmed_days": 3,
    "overdue_enabled": "on",
    "digest_enabled": "on",
}

CASES += [
    Case("campaigns:reminder_settings", READ_A, kwargs=_campaign, label="unit A's campaign"),
    Case(
        "campaigns:reminder_settings",
        edit_table(302),
        kwargs=_campaign,
        method="post",
        data=lambda w: REMINDER_SETTINGS_POST,
        label="post",
    ),
    Case(
        "campaigns:task_urge",
        edit_table(409),
        kwargs=_task,
        method="post",
        label="task without a deadline: not overdue, refused in Chinese (409)",
    ),
    Case(
        "campaigns:task_urge",
        {**edit_table(302), "a_office": 409},
        kwargs=lambda w: {"pk": task_overdue_a(w).pk},
        method="post",
        data=lambda w: {"text": "请今天内填报"},
        label="overdue: A's admin urges (302), A's 创建办 the same day is refused (409)",
    ),
]
