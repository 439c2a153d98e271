"""What volunteers adds to the ledger's year-end archive PDF: the year's statistics (found by ledger.archive)."""

from __future__ import annotations

from decimal import Decimal

from campaigns.models import Campaign
from ledger.archive import Appendix, Table, register_appendix
from organizations.models import Organization

from .selectors import volunteer_statistics


def _num(value: Decimal | int | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def _target(value: str, met: bool) -> str:
    return f"目标 {value}" + ("，已达标" if met else "，未达标")


def volunteer_appendix(*, campaign: Campaign, year: int, unit: Organization) -> Appendix:
    stats = volunteer_statistics(organization=unit, year=year)
    t = stats.targets
    measures = [
        ["在职职工数", _num(stats.staff), ""],
        ["注册志愿者", _num(stats.registered), ""],
        ["注册率", _num(stats.rate, "%"), _target(f"{t.registration_rate}%", stats.rate_met)],
        ["已确认服务时长", _num(stats.confirmed_hours, " 小时"), ""],
        [
            "人均服务时长",
            _num(stats.hours_per_volunteer, " 小时"),
            f"目标 {t.hours_per_volunteer} 小时" + ("，已达标" if stats.hours_met else "，未达标"),
        ],
        ["达到时长目标的志愿者占比", _num(stats.share_reaching_target, "%"), ""],
        [
            "志愿服务活动",
            _num(stats.activities, " 次"),
            f"目标 {t.activities_per_year} 次" + ("，已达标" if stats.activities_met else "，未达标"),
        ],
    ]
    tables = [Table(["指标", "数值", "目标"], measures, caption=f"{unit.name}{year}年度")]
    if stats.departments:
        tables.append(
            Table(
                ["部门", "职工数", "注册志愿者", "注册率", "确认时长（小时）", "活动次数"],
                [
                    [
                        g.organization.name,
                        _num(g.staff),
                        _num(g.registered),
                        _num(g.rate, "%"),
                        _num(g.confirmed_hours),
                        _num(g.activities),
                    ]
                    for g in stats.departments
                ],
                caption="各部门情况",
            )
        )
    return Appendix(f"{year}年度志愿服务统计", tables=tables)


register_appendix("volunteers", volunteer_appendix, order=20)
