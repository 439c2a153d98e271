"""Workbooks: the hours import template, the volunteer registry and the service records."""

from __future__ import annotations

from collections.abc import Iterable

from organizations.spreadsheets import table_workbook

from .imports import TEMPLATE_HEADERS
from .models import ServiceRecord, Volunteer, star_level


def _workbook(title: str, headers: list[str], rows: Iterable[list[object]], widths: list[int]) -> bytes:
    return table_workbook(title, headers, rows, widths=widths)


def hours_template() -> bytes:
    """The import template with one example row (delete it before filling in)."""
    wb_bytes = _workbook(
        "服务时长",
        TEMPLATE_HEADERS,
        [["张三（示例，请删除）", "1234", "“学雷锋”社区志愿服务", "2026-03-05", 2.5]],
        [18, 26, 32, 14, 14],
    )
    return wb_bytes


def volunteers_workbook(volunteers: Iterable[Volunteer]) -> bytes:
    """The registry, with this year's and cumulative confirmed hours (annotated by the selector)."""
    rows = (
        [
            v.name,
            v.organization.name,
            v.number,
            "是" if v.is_registered else "否",
            v.registered_on,
            v.team,
            v.phone,
            "在职" if v.is_active else "离职",
            float(getattr(v, "year_hours", 0)),
            float(getattr(v, "total_hours", 0)),
            star_level(getattr(v, "total_hours", 0)),
        ]
        for v in volunteers
    )
    return _workbook(
        "志愿者",
        [
            "姓名",
            "部门",
            "志愿者编号",
            "已注册",
            "注册日期",
            "服务队",
            "手机号",
            "状态",
            "本年时长",
            "累计时长",
            "星级",
        ],
        rows,
        [12, 22, 20, 8, 12, 20, 16, 8, 10, 10, 8],
    )


def records_workbook(records: Iterable[ServiceRecord]) -> bytes:
    rows = (
        [
            r.activity.date,
            r.activity.title,
            r.activity.get_category_display(),
            r.activity.organization.name,
            r.volunteer.name,
            r.volunteer.number,
            r.volunteer.organization.name,
            float(r.hours),
            r.get_status_display(),
            r.confirmed_by.display_name if r.confirmed_by else "",
        ]
        for r in records
    )
    return _workbook(
        "服务时长记录",
        ["日期", "活动名称", "类别", "组织单位", "姓名", "志愿者编号", "部门", "时长", "状态", "确认人"],
        rows,
        [12, 32, 10, 22, 12, 20, 22, 8, 8, 12],
    )
