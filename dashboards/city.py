"""The city office's 动态管理: every unit below the office on the same measures, read from the daily snapshots.

The page reads snapshot rows, never the live tables, so it runs the same queries for 5 units or 500.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q

from organizations.models import Organization

from .measures import MEASURE_BY_KEY, MEASURES, Measure, light
from .models import Threshold, UnitSnapshot
from .selectors import units_of_office

# The cockpit's trend lines (from the daily snapshots).
TREND_KEYS = {"task_done_pct": "任务完成率", "self_pct": "自查得分率", "coverage_pct": "佐证覆盖率"}
# "Last month": the latest snapshot at least this many days before the one shown.
MONTH_DAYS = 28


@dataclass
class Cell:
    measure: Measure
    value: float | None
    light: str
    delta: float | None

    @property
    def delta_better(self) -> bool | None:
        if not self.delta:
            return None
        return (self.delta > 0) == self.measure.higher_is_better


@dataclass
class CityRow:
    unit: Organization
    measures: dict | None
    cells: list[Cell] = field(default_factory=list)
    rank: int | None = None

    def value(self, key: str) -> float | None:
        return (self.measures or {}).get(key)

    @property
    def reds(self) -> int:
        return sum(1 for c in self.cells if c.light == "red")


@dataclass
class CityTable:
    office: Organization
    date: datetime.date | None
    previous_date: datetime.date | None
    rows: list[CityRow]
    thresholds: dict[str, tuple[Decimal, Decimal]]
    sort: str
    descending: bool

    @property
    def measures(self) -> tuple[Measure, ...]:
        return MEASURES

    @property
    def red_list(self) -> list[CityRow]:
        return [r for r in self.rows if r.reds]


def thresholds_for(office: Organization) -> dict[str, tuple[Decimal, Decimal]]:
    """{measure: (green, red)} set by the office, the defaults for the rest (1 query)."""
    found = {t.measure: (t.green, t.red) for t in Threshold.objects.filter(office=office)}
    return {m.key: found.get(m.key, (m.green, m.red)) for m in MEASURES}


def _rows_on(units, latest: datetime.date | None, previous: datetime.date | None) -> tuple[dict, dict]:
    """{unit: measures} on both days in one query (a missing day matches nothing, so the query count never changes)."""
    now: dict[int, dict] = {}
    before: dict[int, dict] = {}
    rows = UnitSnapshot.objects.filter(Q(date=latest) | Q(date=previous), unit__in=units)
    for unit_id, day, values in rows.values_list("unit_id", "date", "measures"):
        if day == latest:
            now[unit_id] = values
        if day == previous:
            before[unit_id] = values
    return now, before


def city_table(
    *, office: Organization, sort: str = "", descending: bool | None = None, as_of: datetime.date | None = None
) -> CityTable:
    """Every unit of the office with its latest snapshot, traffic lights, change since last month and rank.

    Rank follows the chosen outcome measure (completion by default); units without a value rank last.
    `as_of`: the latest snapshots on or before that day (the 月度通报 freezes the month's last one).
    """
    units_qs = units_of_office(office)
    units = list(units_qs)
    snapshots = UnitSnapshot.objects.filter(unit__in=units_qs)
    if as_of is not None:
        snapshots = snapshots.filter(date__lte=as_of)
    latest = snapshots.aggregate(d=Max("date"))["d"]
    # Asked even without a latest day (then about none), so the page runs the same queries with or without snapshots.
    before_day = latest - datetime.timedelta(days=MONTH_DAYS) if latest else datetime.date.min
    previous = UnitSnapshot.objects.filter(unit__in=units_qs, date__lte=before_day).aggregate(d=Max("date"))["d"]
    now, before = _rows_on(units_qs, latest, previous)
    thresholds = thresholds_for(office)
    measure = MEASURE_BY_KEY.get(sort) or MEASURES[0]
    if descending is None:
        descending = measure.higher_is_better
    rows = []
    for unit in units:
        values = now.get(unit.pk)
        row = CityRow(unit=unit, measures=values)
        old = before.get(unit.pk) or {}
        for m in MEASURES:
            value = (values or {}).get(m.key)
            green, red = thresholds[m.key]
            prior = old.get(m.key)
            delta = round(value - prior, 1) if value is not None and prior is not None else None
            row.cells.append(Cell(measure=m, value=value, light=light(m, value, green=green, red=red), delta=delta))
        rows.append(row)
    present = [r for r in rows if r.value(measure.key) is not None]
    missing = [r for r in rows if r.value(measure.key) is None]
    present.sort(key=lambda r: r.unit.path)
    present.sort(key=lambda r: r.value(measure.key), reverse=descending)  # stable: ties keep the tree order
    for i, r in enumerate(present, start=1):
        # Equal values share a rank (1, 1, 3).
        same = i > 1 and present[i - 2].value(measure.key) == r.value(measure.key)
        r.rank = present[i - 2].rank if same else i
    return CityTable(
        office=office,
        date=latest,
        previous_date=previous,
        rows=present + missing,
        thresholds=thresholds,
        sort=measure.key,
        descending=descending,
    )


def unit_trend(*, unit: Organization, keys: list[str], days: int = 365) -> dict[str, list]:
    """The unit's snapshots of the last `days` days for a trend chart: {"dates": [...], key: [...]} (1 query)."""
    rows = UnitSnapshot.objects.filter(unit=unit).order_by("-date").values_list("date", "measures")[:days]
    rows = list(reversed(rows))
    out: dict[str, list] = {"dates": [d.isoformat() for d, _ in rows]}
    for key in keys:
        out[key] = [m.get(key) for _, m in rows]
    return out
