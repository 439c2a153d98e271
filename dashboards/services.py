"""Writes of the dashboards: the daily unit snapshots and the office's thresholds."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import Organization, OrganizationKind

from .measures import MEASURE_BY_KEY, unit_cockpit
from .models import Threshold, UnitSnapshot

# How far back the nightly run looks for days without a snapshot (a stopped beat is caught up within this).
FILL_BACK_DAYS = 35


class DashboardError(ValueError):
    """A refused write, with a message for the user (Chinese)."""


@transaction.atomic
def snapshot_unit(*, unit: Organization, day: datetime.date) -> UnitSnapshot:
    """The unit's measures as of `day`, replacing any snapshot of that day.

    Dates in the measures (overdue, due soon, this year) are taken relative to `day`; statuses are as they are now,
    so a missed day filled later is the best reading available, not a record of that day.
    """
    cockpit = unit_cockpit(unit, today=day)
    snapshot, _ = UnitSnapshot.objects.update_or_create(
        unit=unit,
        date=day,
        defaults={"measures": cockpit.measures(), "campaign_title": cockpit.campaign.title if cockpit.campaign else ""},
    )
    return snapshot


def snapshot_units(
    *, day: datetime.date | None = None, units: list[Organization] | None = None, fill_missing: bool = False
) -> dict[str, int]:
    """Snapshot every unit (or `units`) for `day` (today by default); with fill_missing, also the days of the last
    FILL_BACK_DAYS that have no snapshot of a unit yet. Idempotent: re-running a day replaces its rows."""
    day = day or timezone.localdate()
    if units is None:
        units = list(Organization.objects.filter(kind=OrganizationKind.UNIT).order_by("path"))
    written = filled = 0
    for unit in units:
        snapshot_unit(unit=unit, day=day)
        written += 1
    if fill_missing:
        start = day - datetime.timedelta(days=FILL_BACK_DAYS)
        have = set(
            UnitSnapshot.objects.filter(unit__in=units, date__gte=start, date__lt=day).values_list("unit_id", "date")
        )
        # A unit is only filled from its first snapshot on: days before it existed are not invented.
        first = dict(
            UnitSnapshot.objects.filter(unit__in=units)
            .values("unit_id")
            .annotate(first=Min("date"))
            .order_by()
            .values_list("unit_id", "first")
        )
        for unit in units:
            d = start
            while d < day:
                if (unit.pk, d) not in have and d >= first.get(unit.pk, day):
                    snapshot_unit(unit=unit, day=d)
                    filled += 1
                d += datetime.timedelta(days=1)
    return {"units": len(units), "written": written, "filled": filled}


def _decimal(raw: object, label: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DashboardError(f"{label}须为数字。") from None
    if not value.is_finite() or value < 0 or value > Decimal("100000"):
        raise DashboardError(f"{label}须在 0 至 100000 之间。")
    return value.quantize(Decimal("0.1"))


@transaction.atomic
def threshold_set(*, office: Organization, measure: str, green: object, red: object, actor) -> Threshold:
    """Set the 绿灯线 and 红灯线 of one measure for the office's units (the green line must be the better one)."""
    if office.kind != OrganizationKind.OFFICE:
        raise DashboardError("阈值只能由文明办设置。")
    m = MEASURE_BY_KEY.get(measure)
    if m is None:
        raise DashboardError("没有这个指标。")
    g, r = _decimal(green, f"{m.label}的绿灯线"), _decimal(red, f"{m.label}的红灯线")
    if m.unit == "%" and (g > 100 or r > 100):
        raise DashboardError(f"{m.label}是百分比，阈值不能超过 100。")
    if m.higher_is_better and g < r:
        raise DashboardError(f"{m.label}越高越好：绿灯线（{g}）不能低于红灯线（{r}）。")
    if not m.higher_is_better and g > r:
        raise DashboardError(f"{m.label}越低越好：绿灯线（{g}）不能高于红灯线（{r}）。")
    row, created = Threshold.objects.update_or_create(
        office=office, measure=measure, defaults={"green": g, "red": r, "updated_by": actor}
    )
    audit_record(
        actor=actor,
        action="create" if created else "update",
        obj=row,
        organization=office,
        details={"measure": measure, "green": str(g), "red": str(r)},
    )
    return row
