"""Reads of the volunteer registry, activities, hours and statistics, always through the user's scope."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr

from campaigns.models import Campaign
from organizations.models import Membership, Organization, OrganizationKind
from organizations.scoping import get_scope, scope_filter

from .models import (
    STAR_LEVELS,
    RecordStatus,
    ServiceActivity,
    ServiceRecord,
    StaffCount,
    Volunteer,
    VolunteerTargets,
    star_level,
)
from .services import campaign_for

ZERO = Decimal("0")
HOURS = DecimalField(max_digits=8, decimal_places=1)

VOLUNTEER_SORTS = {
    "name": ("name", "pk"),
    "org": ("organization__path", "name", "pk"),
    "hours": ("-year_hours", "name", "pk"),
    "-hours": ("year_hours", "name", "pk"),
    "total": ("-total_hours", "name", "pk"),
}
ACTIVITY_SORTS = {
    "date": ("-date", "-pk"),
    "-date": ("date", "pk"),
    "title": ("title", "pk"),
    "hours": ("-hours_total", "-date", "-pk"),
}


def _round(value: Decimal | None, places: str = "0.1") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _subtree(prefix: str, organization: Organization) -> Q:
    return Q(**{f"{prefix}path__startswith": organization.path})


def _confirmed_hours_subquery(**filters: object) -> Coalesce:
    records = (
        ServiceRecord.objects.filter(volunteer=OuterRef("pk"), status=RecordStatus.CONFIRMED, **filters)
        .order_by()
        .values("volunteer")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return Coalesce(Subquery(records, output_field=HOURS), Value(ZERO, output_field=HOURS))


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------
def volunteers_visible(*, user: object, action: str = "view") -> QuerySet[Volunteer]:
    return scope_filter(Volunteer.objects.all(), user, "organization", action=action)


def volunteer_list(
    *,
    user: object,
    year: int,
    query: str = "",
    organization_id: int | None = None,
    registered: str = "",
    sort: str = "org",
) -> QuerySet[Volunteer]:
    """Volunteers the user may see, with this year's and all-time confirmed hours."""
    qs = (
        volunteers_visible(user=user)
        .select_related("organization")
        .annotate(
            year_hours=_confirmed_hours_subquery(activity__date__year=year),
            total_hours=_confirmed_hours_subquery(),
        )
    )
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(number__icontains=query) | Q(phone__endswith=query) | Q(team__icontains=query)
        )
    if organization_id:
        org = Organization.objects.filter(pk=organization_id).first()
        qs = qs.filter(_subtree("organization__", org)) if org else qs.none()
    if registered == "yes":
        qs = qs.filter(is_registered=True)
    elif registered == "no":
        qs = qs.filter(is_registered=False)
    return qs.order_by(*VOLUNTEER_SORTS.get(sort, VOLUNTEER_SORTS["org"]))


def volunteer_detail_queryset(*, user: object) -> QuerySet[Volunteer]:
    return volunteers_visible(user=user).select_related("organization", "user")


def volunteer_records(*, volunteer: Volunteer) -> QuerySet[ServiceRecord]:
    return volunteer.records.select_related("activity", "activity__organization", "confirmed_by").order_by(
        "-activity__date", "-pk"
    )


def volunteer_total_hours(*, volunteer: Volunteer) -> Decimal:
    total = volunteer.records.filter(status=RecordStatus.CONFIRMED).aggregate(total=Sum("hours"))["total"]
    return total or ZERO


def organizations_for_volunteers(*, user: object, action: str = "view") -> QuerySet[Organization]:
    """Units, departments and affiliates a volunteer may be placed in (for filters and forms)."""
    return scope_filter(Organization.objects.exclude(kind=OrganizationKind.OFFICE), user, action=action).order_by(
        "path"
    )


# ------------------------------------------------------------------------------------------------
# Activities and records
# ------------------------------------------------------------------------------------------------
def activities_visible(*, user: object, action: str = "view") -> QuerySet[ServiceActivity]:
    return scope_filter(ServiceActivity.objects.all(), user, "organization", action=action)


def activity_list(
    *,
    user: object,
    query: str = "",
    category: str = "",
    year: int | None = None,
    organization_id: int | None = None,
    sort: str = "date",
) -> QuerySet[ServiceActivity]:
    qs = (
        activities_visible(user=user)
        .select_related("organization", "event")
        .annotate(
            people=Count("records"),
            hours_total=Coalesce(Sum("records__hours"), Value(ZERO, output_field=HOURS)),
            pending=Count("records", filter=Q(records__status=RecordStatus.PENDING)),
        )
    )
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(place__icontains=query))
    if category:
        qs = qs.filter(category=category)
    if year:
        qs = qs.filter(date__year=year)
    if organization_id:
        org = Organization.objects.filter(pk=organization_id).first()
        qs = qs.filter(_subtree("organization__", org)) if org else qs.none()
    return qs.order_by(*ACTIVITY_SORTS.get(sort, ACTIVITY_SORTS["date"]))


def activity_detail_queryset(*, user: object) -> QuerySet[ServiceActivity]:
    return activities_visible(user=user).select_related("organization", "event", "created_by")


def activity_records(*, activity: ServiceActivity, user: object) -> QuerySet[ServiceRecord]:
    """The activity's records whose volunteer the user may see."""
    return (
        scope_filter(activity.records.all(), user, "volunteer__organization")
        .select_related("volunteer", "volunteer__organization", "confirmed_by")
        .order_by("volunteer__organization__path", "volunteer__name")
    )


def records_to_confirm(*, user: object, status: str = RecordStatus.PENDING) -> QuerySet[ServiceRecord]:
    """Records waiting for this user's decision: those of volunteers in units where they are 创建办 or 管理员."""
    qs = scope_filter(ServiceRecord.objects.all(), user, "volunteer__organization", action="administer")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "volunteer", "volunteer__organization", "activity", "activity__organization", "created_by"
    ).order_by("activity__date", "activity_id", "volunteer__name", "pk")


def records_for_export(*, user: object, year: int | None = None) -> QuerySet[ServiceRecord]:
    qs = scope_filter(ServiceRecord.objects.all(), user, "volunteer__organization")
    if year:
        qs = qs.filter(activity__date__year=year)
    return qs.select_related(
        "volunteer", "volunteer__organization", "activity", "activity__organization", "confirmed_by"
    ).order_by("activity__date", "activity_id", "volunteer__name")


def user_can_confirm_somewhere(user: object) -> bool:
    return bool(get_scope(user).administer_paths)


def memberships_for(user: object) -> tuple[Membership, ...]:
    return get_scope(user).memberships


# ------------------------------------------------------------------------------------------------
# Targets and statistics
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Targets:
    registration_rate: Decimal = Decimal("100")
    hours_per_volunteer: Decimal = Decimal("25")
    activities_per_year: int = 4
    campaign_title: str = ""


def targets_for(organization: Organization, year: int) -> Targets:
    """The targets of the campaign covering `year` of the organisation's unit; the defaults without one."""
    campaign = campaign_for(organization, year)
    if campaign is None:
        return Targets()
    row = VolunteerTargets.objects.filter(campaign=campaign).first()
    if row is None:
        return Targets(campaign_title=campaign.title)
    return Targets(
        registration_rate=row.registration_rate,
        hours_per_volunteer=row.hours_per_volunteer,
        activities_per_year=row.activities_per_year,
        campaign_title=campaign.title,
    )


@dataclass
class PersonHours:
    volunteer: Volunteer
    hours: Decimal
    total: Decimal
    gap: Decimal
    star: str


@dataclass
class GroupStats:
    """The measures of one organisation (subtree) in one year."""

    organization: Organization
    staff: int = 0
    registered: int = 0
    confirmed_hours: Decimal = ZERO
    reaching_target: int = 0
    activities: int = 0

    @property
    def rate(self) -> Decimal | None:
        return _round(Decimal(self.registered) * 100 / self.staff) if self.staff else None

    @property
    def hours_per_volunteer(self) -> Decimal | None:
        return _round(self.confirmed_hours / self.registered) if self.registered else None

    @property
    def hours_per_staff(self) -> Decimal | None:
        return _round(self.confirmed_hours / self.staff) if self.staff else None

    @property
    def share_reaching_target(self) -> Decimal | None:
        return _round(Decimal(self.reaching_target) * 100 / self.registered) if self.registered else None


@dataclass
class VolunteerStats(GroupStats):
    year: int = 0
    targets: Targets = field(default_factory=Targets)
    monthly_hours: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    behind: list[PersonHours] = field(default_factory=list)
    unregistered: int = 0
    stars: list[tuple[str, int]] = field(default_factory=list)
    starred: list[PersonHours] = field(default_factory=list)
    departments: list[GroupStats] = field(default_factory=list)

    @property
    def rate_met(self) -> bool:
        return self.rate is not None and self.rate >= self.targets.registration_rate

    @property
    def hours_met(self) -> bool:
        return self.hours_per_volunteer is not None and self.hours_per_volunteer >= self.targets.hours_per_volunteer

    @property
    def activities_met(self) -> bool:
        return self.activities >= self.targets.activities_per_year

    def as_json(self) -> dict:
        def num(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "staff": self.staff,
            "registered": self.registered,
            "rate": num(self.rate),
            "confirmed_hours": num(self.confirmed_hours),
            "hours_per_volunteer": num(self.hours_per_volunteer),
            "share_reaching_target": num(self.share_reaching_target),
            "activities": self.activities,
        }


def _staff(organization: Organization, rows: list[tuple[str, int]]) -> int:
    """The organisation's own 在职职工数, or the sum of the nearest counted organisations below it."""
    own = [count for path, count in rows if path == organization.path]
    if own:
        return own[0]
    below = sorted((p, c) for p, c in rows if p.startswith(organization.path) and p != organization.path)
    total, counted = 0, []
    for path, count in below:
        if any(path.startswith(c) for c in counted):
            continue
        counted.append(path)
        total += count
    return total


def volunteer_statistics(*, organization: Organization, year: int) -> VolunteerStats:
    """Statistics of a unit or department (its whole subtree) for one year.

    - staff: 在职职工数 of the organisation for the year (or the sum of its parts' counts);
    - registered: active volunteers registered in the national system by the end of the year;
    - rate = registered / staff (%); confirmed_hours: 已确认 hours of the subtree's volunteers in activities
      of the year; hours_per_volunteer = confirmed_hours / registered; hours_per_staff = confirmed_hours / staff;
    - share_reaching_target: registered volunteers whose confirmed hours in the year reach the target (%);
    - activities: activities of the year organised in the subtree or with confirmed hours of its volunteers;
    - star levels from cumulative confirmed hours up to the end of the year (100/300/600/1000/1500).
    Percentages and averages are rounded half-up to one decimal.
    """
    targets = targets_for(organization, year)
    year_end = datetime.date(year, 12, 31)
    stats = VolunteerStats(organization=organization, year=year, targets=targets)
    staff_rows = list(
        StaffCount.objects.filter(_subtree("organization__", organization), year=year).values_list(
            "organization__path", "count"
        )
    )
    stats.staff = _staff(organization, staff_rows)

    volunteers = list(
        Volunteer.objects.filter(_subtree("organization__", organization), is_active=True)
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )
    registered_ids = {
        v.pk for v in volunteers if v.is_registered and (v.registered_on is None or v.registered_on <= year_end)
    }
    confirmed = ServiceRecord.objects.filter(
        _subtree("volunteer__organization__", organization), status=RecordStatus.CONFIRMED
    )
    in_year = confirmed.filter(activity__date__year=year)
    # One pass over the records for both the year's and the cumulative hours of each person.
    year_hours: dict[int, Decimal] = {}
    cumulative: dict[int, Decimal] = {}
    for volunteer_id, this_year, total in (
        confirmed.filter(activity__date__lte=year_end)
        .values("volunteer_id")
        .annotate(this_year=Sum("hours", filter=Q(activity__date__year=year)), total=Sum("hours"))
        .order_by()
        .values_list("volunteer_id", "this_year", "total")
    ):
        cumulative[volunteer_id] = total
        if this_year is not None:
            year_hours[volunteer_id] = this_year
    # Grouped by activity (few rows) and folded into months here: cheaper than a date function on every record.
    served_in: set[int] = set()
    for activity_id, day, total in (
        in_year.values("activity_id", "activity__date")
        .annotate(total=Sum("hours"))
        .order_by()
        .values_list("activity_id", "activity__date", "total")
    ):
        served_in.add(activity_id)
        stats.monthly_hours[day.month - 1] += total
    stats.confirmed_hours = sum(year_hours.values(), ZERO)
    stats.registered = len(registered_ids)
    stats.unregistered = len(volunteers) - len(registered_ids)
    goal = targets.hours_per_volunteer

    star_counts: dict[str, int] = {label: 0 for _, label in STAR_LEVELS}
    children = (
        list(organization.children.order_by("order", "name"))
        if organization.kind != OrganizationKind.DEPARTMENT
        else []
    )
    groups = {child.pk: GroupStats(organization=child, staff=_staff(child, staff_rows)) for child in children}

    def group_of(volunteer: Volunteer) -> GroupStats | None:
        for child in children:
            if volunteer.organization.path.startswith(child.path):
                return groups[child.pk]
        return None

    for volunteer in volunteers:
        hours = year_hours.get(volunteer.pk, ZERO)
        total = cumulative.get(volunteer.pk, ZERO)
        star = star_level(total)
        person = PersonHours(volunteer=volunteer, hours=hours, total=total, gap=max(goal - hours, ZERO), star=star)
        if star:
            star_counts[star] += 1
            stats.starred.append(person)
        group = group_of(volunteer)
        if group is not None:
            group.confirmed_hours += hours
        if volunteer.pk not in registered_ids:
            continue
        if group is not None:
            group.registered += 1
        if hours >= goal:
            stats.reaching_target += 1
            if group is not None:
                group.reaching_target += 1
        else:
            stats.behind.append(person)
    stats.behind.sort(key=lambda p: (p.hours, p.volunteer.organization.path, p.volunteer.name))
    stats.starred.sort(key=lambda p: (-p.total, p.volunteer.name))
    stats.stars = [(label, star_counts[label]) for _, label in reversed(STAR_LEVELS)]

    organised = dict(
        ServiceActivity.objects.filter(_subtree("organization__", organization), date__year=year).values_list(
            "pk", "organization__path"
        )
    )
    stats.activities = len(served_in | set(organised))
    for child in children:
        groups[child.pk].activities = sum(1 for path in organised.values() if path.startswith(child.path))
    stats.departments = list(groups.values())
    return stats


def volunteer_comparison(*, units: list[Organization], year: int) -> list[VolunteerStats]:
    """The headline measures of many units at once (the city office's 各单位对比), in seven queries whatever the
    number of units: the same staff, registered, rate, confirmed hours, share reaching the target and activities as
    `volunteer_statistics` gives for each unit alone (no per-person lists, star levels or departments)."""
    if not units:
        return []
    year_end = datetime.date(year, 12, 31)
    # Paths end in "/": a row belongs to the unit whose path is its path's prefix of that length (a dict look-up
    # per distinct length, not a scan of the units per row: 100,000 records × 30 units was seconds).
    by_path = {u.path: u for u in units}
    lengths = sorted({len(p) for p in by_path}, reverse=True)

    def unit_of_path(path: str) -> Organization | None:
        for n in lengths:
            unit = by_path.get(path[:n])
            if unit is not None:
                return unit
        return None

    def subtree(prefix: str) -> Q:
        q = Q()
        for unit in units:
            q |= Q(**{f"{prefix}path__startswith": unit.path})
        return q

    # Targets: each unit's campaign covering the year (else its latest), as `campaign_for` picks.
    campaigns: dict[int, tuple[int, str, bool]] = {}
    for campaign_id, unit_id, title, start, end in (
        Campaign.objects.filter(unit__in=units)
        .order_by("unit_id", "-start_year", "-pk")
        .values_list("pk", "unit_id", "title", "start_year", "end_year")
    ):
        covering = start <= year <= end
        if unit_id not in campaigns or (covering and not campaigns[unit_id][2]):
            campaigns[unit_id] = (campaign_id, title, covering)
    target_rows = {
        t.campaign_id: t for t in VolunteerTargets.objects.filter(campaign_id__in=[c[0] for c in campaigns.values()])
    }
    out: dict[int, VolunteerStats] = {}
    for unit in units:
        chosen = campaigns.get(unit.pk)
        targets = Targets()
        if chosen is not None:
            row = target_rows.get(chosen[0])
            targets = (
                Targets(
                    registration_rate=row.registration_rate,
                    hours_per_volunteer=row.hours_per_volunteer,
                    activities_per_year=row.activities_per_year,
                    campaign_title=chosen[1],
                )
                if row
                else Targets(campaign_title=chosen[1])
            )
        out[unit.pk] = VolunteerStats(organization=unit, year=year, targets=targets)

    staff_rows = list(
        StaffCount.objects.filter(subtree("organization__"), year=year).values_list("organization__path", "count")
    )
    for unit in units:
        out[unit.pk].staff = _staff(unit, staff_rows)
    registered: set[int] = set()
    for pk, path in (
        Volunteer.objects.filter(subtree("organization__"), is_active=True, is_registered=True)
        .filter(Q(registered_on__isnull=True) | Q(registered_on__lte=year_end))
        .values_list("pk", "organization__path")
    ):
        unit = unit_of_path(path)
        if unit is not None:
            registered.add(pk)
            out[unit.pk].registered += 1
    served: dict[int, set[int]] = defaultdict(set)
    for volunteer_id, path, hours in (
        ServiceRecord.objects.filter(subtree("volunteer__organization__"), status=RecordStatus.CONFIRMED)
        .filter(activity__date__year=year)
        .values("volunteer_id", "volunteer__organization__path")
        .annotate(total=Sum("hours"))
        .order_by()
        .values_list("volunteer_id", "volunteer__organization__path", "total")
    ):
        unit = unit_of_path(path)
        if unit is None:
            continue
        stats = out[unit.pk]
        stats.confirmed_hours += hours
        if volunteer_id in registered and hours >= stats.targets.hours_per_volunteer:
            stats.reaching_target += 1
    # Distinct (activity, unit path) pairs: with units all at one depth the path is cut to the unit's in SQL, so
    # the rows are units × activities, not records (order_by() drops the model's ordering from the DISTINCT).
    org_path = (
        Substr("volunteer__organization__path", 1, lengths[0])
        if len(lengths) == 1
        else F("volunteer__organization__path")
    )
    for activity_id, path in (
        ServiceRecord.objects.filter(subtree("volunteer__organization__"), status=RecordStatus.CONFIRMED)
        .filter(activity__date__year=year)
        .annotate(org_path=org_path)
        .order_by()
        .values_list("activity_id", "org_path")
        .distinct()
    ):
        unit = unit_of_path(path)
        if unit is not None:
            served[unit.pk].add(activity_id)
    for activity_id, path in ServiceActivity.objects.filter(subtree("organization__"), date__year=year).values_list(
        "pk", "organization__path"
    ):
        unit = unit_of_path(path)
        if unit is not None:
            served[unit.pk].add(activity_id)
    for unit in units:
        stats = out[unit.pk]
        stats.activities = len(served[unit.pk])
        if stats.targets.hours_per_volunteer <= 0:  # a zero target is reached without any record
            stats.reaching_target = stats.registered
    return [out[u.pk] for u in units]


def statistics_organizations(*, user: object) -> QuerySet[Organization]:
    """Units and their parts the user may read statistics of."""
    return organizations_for_volunteers(user=user)
