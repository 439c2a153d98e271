"""志愿服务: the registry, activities and hours, confirmation, statistics, targets, import and export.

Liaisons record for their department; 创建办 (and the unit's admin) confirm and set targets; leaders and the
city office read only. Unit B's users get 404 for unit A's volunteers and activities.
"""

import datetime
from decimal import Decimal

from tests.factories import ServiceActivityFactory, ServiceRecordFactory, VolunteerFactory

from . import A_ALL, A_UNIT_LEVEL, CITY, Case, only, outcomes

CHANGERS = ("a_admin", "a_office", "a_liaison", "b_admin", "b_office", "b_liaison")
A_CHANGERS = ("a_admin", "a_office", "a_liaison")
CONFIRMERS = ("a_admin", "a_office", "b_admin", "b_office")


def _delete_a(ok: int) -> dict[str, int]:
    """Unit A's 创建办 and 管理员 delete; the city office, A's leader and liaison see it but may not (403)."""
    return only(ok, ("a_admin", "a_office")) | {actor: 403 for actor in (*CITY, "a_leader", "a_liaison")}


DELETE_A = _delete_a(200)


def _volunteer(w):
    return w.once("vol_dept_a", lambda: VolunteerFactory(organization=w.dept_a, name="甲办志愿者"))


def _unit_volunteer(w):
    return w.once("vol_unit_a", lambda: VolunteerFactory(organization=w.unit_a, name="甲局志愿者"))


def _activity(w):
    return w.once(
        "act_dept_a",
        lambda: ServiceActivityFactory(organization=w.dept_a, title="甲办学雷锋活动", date=datetime.date(2026, 3, 5)),
    )


def _record(w):
    return w.once(
        "rec_dept_a", lambda: ServiceRecordFactory(volunteer=_volunteer(w), activity=_activity(w), hours=Decimal("3"))
    )


def _activity_post(w):
    return {
        "organization": w.dept_a.pk,
        "title": "矩阵测试活动",
        "date": "2026-04-01",
        "category": "lei_feng",
        "max_hours": "8",
        "v": [_volunteer(w).pk],
        f"h_{_volunteer(w).pk}": "2.5",
    }


CASES = [
    Case("volunteers:volunteer_create", only(200, CHANGERS, otherwise=403)),
    Case(
        "volunteers:volunteer_create",
        only(302, A_CHANGERS, otherwise=403) | {"b_admin": 200, "b_office": 200, "b_liaison": 200},
        method="post",
        data=lambda w: {"name": "新志愿者", "organization": w.dept_a.pk, "phone": "13900001111", "is_active": "on"},
        label="into unit A's department (B's form refuses the department)",
    ),
    Case(
        "volunteers:volunteer_detail",
        only(200, (*CITY, *A_ALL)),
        kwargs=lambda w: {"pk": _volunteer(w).pk},
        label="unit A's department",
    ),
    Case(
        "volunteers:volunteer_detail",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=lambda w: {"pk": _unit_volunteer(w).pk},
        label="unit A itself",
    ),
    Case("volunteers:volunteer_update", only(200, A_CHANGERS), kwargs=lambda w: {"pk": _volunteer(w).pk}),
    Case(
        "volunteers:volunteer_update",
        only(302, A_CHANGERS),
        kwargs=lambda w: {"pk": _volunteer(w).pk},
        method="post",
        data=lambda w: {"name": "甲办志愿者", "organization": w.dept_a.pk, "is_active": "on"},
    ),
    # 删除 (into the 回收站): unit A's 创建办 and 管理员; those who see it but may not delete get 403, unit B 404.
    # The POST takes a fresh object per actor (one actor's delete must not take it away from the next).
    Case(
        "volunteers:volunteer_delete",
        DELETE_A,
        kwargs=lambda w: {"pk": _volunteer(w).pk},
        label="unit A's department: confirmation page",
    ),
    Case(
        "volunteers:volunteer_delete",
        _delete_a(302),
        kwargs=lambda w: {"pk": VolunteerFactory(organization=w.dept_a, name="矩阵删除志愿者").pk},
        method="post",
        label="a fresh volunteer of unit A",
    ),
    Case(
        "volunteers:activity_delete",
        DELETE_A,
        kwargs=lambda w: {"pk": _record(w).activity_id},
        label="unit A's department: confirmation page",
    ),
    Case(
        "volunteers:activity_delete",
        _delete_a(302),
        kwargs=lambda w: {
            "pk": ServiceRecordFactory(
                volunteer=_volunteer(w),
                activity=ServiceActivityFactory(organization=w.dept_a, title="矩阵删除活动"),
            ).activity_id
        },
        method="post",
        label="a fresh activity of unit A, with a record",
    ),
    Case("volunteers:activity_list", outcomes(200)),
    Case("volunteers:activity_create", only(200, CHANGERS, otherwise=403)),
    Case(
        "volunteers:activity_create",
        only(302, A_CHANGERS, otherwise=403) | {"b_admin": 200, "b_office": 200, "b_liaison": 200},
        method="post",
        data=_activity_post,
        label="with hours of unit A's volunteer",
    ),
    Case(
        "volunteers:activity_detail",
        only(200, (*CITY, *A_ALL)),
        kwargs=lambda w: {"pk": _record(w).activity_id},
        label="unit A's department",
    ),
    Case("volunteers:activity_add_hours", only(200, A_CHANGERS), kwargs=lambda w: {"pk": _record(w).activity_id}),
    Case(
        "volunteers:activity_add_hours",
        only(200, A_CHANGERS),
        kwargs=lambda w: {"pk": _record(w).activity_id},
        method="post",
        data=lambda w: {},
        label="nothing typed: the form comes back",
    ),
    Case(
        "volunteers:record_fix",
        only(302, A_CHANGERS),
        kwargs=lambda w: {"pk": _record(w).pk},
        method="post",
        data=lambda w: {"hours": "2.5"},
    ),
    Case("volunteers:confirm", only(200, CONFIRMERS, otherwise=403)),
    Case(
        "volunteers:confirm",
        only(302, CONFIRMERS, otherwise=403),
        method="post",
        data=lambda w: {"records": [_record(w).pk], "action": "return", "reason": "照片不清"},
        label="return unit A's record",
    ),
    Case("volunteers:statistics", outcomes(200), label="default organisation"),
    Case(
        "volunteers:statistics",
        only(200, (*CITY, *A_UNIT_LEVEL)),
        kwargs=None,
        data=lambda w: {"org": w.unit_a.pk, "year": 2026},
        label="unit A",
    ),
    Case("volunteers:targets", only(200, CONFIRMERS, otherwise=403)),
    Case(
        "volunteers:targets",
        only(302, CONFIRMERS, otherwise=403),
        method="post",
        data=lambda w: {
            "registration_rate": "80",
            "hours_per_volunteer": "20",
            "activities_per_year": "4",
            f"staff_{w.unit_a.pk}": "40",
        },
    ),
    Case("volunteers:import", only(200, CHANGERS, otherwise=403)),
    Case(
        "volunteers:import",
        only(200, CHANGERS, otherwise=403),
        method="post",
        data=lambda w: {"organization": w.dept_a.pk},
        label="no file: errors next to the fields",
    ),
    Case("volunteers:import_template", outcomes(200)),
    Case("volunteers:export_volunteers", outcomes(200)),
    Case("volunteers:export_records", outcomes(200)),
]
