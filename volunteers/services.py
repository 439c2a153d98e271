"""Every write to the volunteer registry, activities and hours."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from ledger import services as ledger_services
from ledger.models import EventCategory
from organizations.audit import audit_record
from organizations.field_ranges import date_problem, number_problem
from organizations.history import bulk_create_tracked, bulk_update_tracked, records_actor
from organizations.models import Organization, OrganizationKind
from organizations.scoping import can_administer, unit_of

from .imports import ImportPlan
from .models import (
    DEFAULT_MAX_HOURS,
    ActivityCategory,
    RecordStatus,
    ServiceActivity,
    ServiceRecord,
    StaffCount,
    Volunteer,
    VolunteerTargets,
    hours_step,
    hours_step_text,
)


class VolunteerError(ValueError):
    """A write that breaks a rule of the volunteer registry; the message is for the user."""


@dataclass(frozen=True)
class HoursEntry:
    volunteer: Volunteer
    hours: Decimal


def hours_problem(hours: object, max_hours: Decimal = DEFAULT_MAX_HOURS) -> str:
    """Why `hours` is not a valid service time ("" when it is): positive, 0.5 steps, at most `max_hours`."""
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        return "时长不是数字"
    if not value.is_finite():
        return "时长不是数字"
    if value <= 0:
        return "时长必须大于 0"
    # The upper bound first: the step test of a huge number (1e400) cannot be computed.
    if value > max_hours:
        return f"时长超过本活动上限 {max_hours.normalize():f} 小时"
    if value % hours_step() != 0:
        return f"时长须以 {hours_step_text()} 小时为单位"
    return ""


def can_confirm(user: object, organization: Organization) -> bool:
    """创建办 (or the unit's admin) of the unit that holds `organization`; never a city office."""
    return can_administer(user, organization)


def campaign_for(organization: Organization, year: int) -> Campaign | None:
    """The campaign of the organisation's unit that covers `year` (else the unit's latest one)."""
    unit = unit_of(organization)
    if unit is None:
        return None
    campaigns = Campaign.objects.filter(unit=unit)
    return (
        campaigns.filter(start_year__lte=year, end_year__gte=year).order_by("-start_year").first()
        or campaigns.order_by("-start_year", "-pk").first()
    )


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------
def _check_volunteer_org(organization: Organization) -> None:
    if organization.kind == OrganizationKind.OFFICE:
        raise VolunteerError("志愿者须登记在单位或其部门下，不能登记在文明办。")


@transaction.atomic
def volunteer_create(
    *,
    organization: Organization,
    name: str,
    phone: str = "",
    is_registered: bool = False,
    number: str = "",
    registered_on: datetime.date | None = None,
    team: str = "",
    user: object | None = None,
    is_active: bool = True,
    actor: object | None = None,
) -> Volunteer:
    """Add a person to the registry; a registration number is unique across the platform."""
    _check_volunteer_org(organization)
    volunteer = Volunteer(
        organization=organization,
        name=name.strip(),
        phone=phone.strip(),
        is_registered=is_registered,
        number=number.strip(),
        registered_on=registered_on,
        team=team.strip(),
        user=user,
        is_active=is_active,
    )
    volunteer.full_clean()
    volunteer.save()
    audit_record(actor=actor, action="create", obj=volunteer, organization=organization)
    return volunteer


@transaction.atomic
def volunteer_update(*, volunteer: Volunteer, actor: object | None = None, **fields: object) -> Volunteer:
    """Change registry fields (name, phone, registration, team, department, user, is_active)."""
    allowed = {"organization", "name", "phone", "is_registered", "number", "registered_on", "team", "user", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    if "organization" in fields:
        _check_volunteer_org(fields["organization"])  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(volunteer, name, value.strip() if isinstance(value, str) else value)
    volunteer.full_clean()
    volunteer.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=volunteer,
        organization=volunteer.organization,
        details={"fields": sorted(fields)},
    )
    return volunteer


@transaction.atomic
def staff_count_set(*, organization: Organization, year: int, count: int, actor: object | None = None) -> StaffCount:
    """Record 在职职工数 for one organisation and year (replaces an earlier value)."""
    if count < 0:
        raise VolunteerError("在职职工数不能为负数。")
    problem = number_problem(StaffCount, "count", count, label="在职职工数")
    if problem:
        raise VolunteerError(problem)
    row, _ = StaffCount.objects.update_or_create(organization=organization, year=year, defaults={"count": count})
    audit_record(actor=actor, action="update", obj=row, organization=organization, details={"count": count})
    return row


@transaction.atomic
def targets_set(
    *,
    campaign: Campaign,
    registration_rate: Decimal | int = Decimal("100"),
    hours_per_volunteer: Decimal | int = Decimal("25"),
    activities_per_year: int = 4,
    actor: object | None = None,
) -> VolunteerTargets:
    """Set the campaign's volunteer targets (defaults: 100% registered, 25 hours, 4 activities a year)."""
    targets = VolunteerTargets.objects.filter(campaign=campaign).first() or VolunteerTargets(campaign=campaign)
    targets.registration_rate = Decimal(registration_rate)
    targets.hours_per_volunteer = Decimal(hours_per_volunteer)
    targets.activities_per_year = activities_per_year
    targets.full_clean()
    targets.save()
    audit_record(actor=actor, action="update", obj=targets, organization=campaign.unit)
    return targets


# ------------------------------------------------------------------------------------------------
# Activities and hours
# ------------------------------------------------------------------------------------------------
def _check_entries(activity: ServiceActivity, entries: Sequence[HoursEntry]) -> None:
    seen: set[int] = set()
    problems: list[str] = []
    unit = unit_of(activity.organization)
    for entry in entries:
        if entry.volunteer.pk in seen:
            problems.append(f"{entry.volunteer.name}：同一活动中重复登记")
        seen.add(entry.volunteer.pk)
        problem = hours_problem(entry.hours, activity.max_hours)
        if problem:
            problems.append(f"{entry.volunteer.name}：{problem}")
        if unit is None or not entry.volunteer.organization.path.startswith(unit.path):
            problems.append(f"{entry.volunteer.name}：不是本单位的志愿者")
    existing = set(
        ServiceRecord.objects.filter(activity=activity, volunteer__in=[e.volunteer.pk for e in entries]).values_list(
            "volunteer__name", flat=True
        )
    )
    problems.extend(f"{name}：已登记过本活动的时长" for name in sorted(existing))
    if problems:
        raise VolunteerError("；".join(problems))


@transaction.atomic
def activity_record(
    *,
    organization: Organization,
    title: str,
    date: datetime.date,
    category: str,
    created_by: object,
    entries: Sequence[HoursEntry] = (),
    place: str = "",
    description: str = "",
    max_hours: Decimal = DEFAULT_MAX_HOURS,
    create_dossier: bool = False,
    confirmed: bool = False,
) -> ServiceActivity:
    """Record one service activity with the hours of several volunteers in one step.

    With `create_dossier` the activity's ledger dossier (category 志愿服务) is opened in the same transaction
    and linked, so nobody types the activity twice. Records start 待确认 unless `confirmed` (imports by 创建办).
    """
    problem = date_problem(date, "活动日期") if isinstance(date, datetime.date) else ""
    if problem:
        raise VolunteerError(problem)
    activity = ServiceActivity(
        organization=organization,
        title=title.strip(),
        date=date,
        category=category,
        place=place.strip(),
        description=description,
        max_hours=Decimal(max_hours),
        created_by=created_by,
    )
    activity.full_clean(exclude=["event", "created_by"])
    if organization.kind == OrganizationKind.OFFICE:
        raise VolunteerError("志愿服务活动须由单位或其部门组织。")
    activity.save()
    if create_dossier:
        campaign = campaign_for(organization, date.year)
        if campaign is None:
            raise VolunteerError("本单位还没有创建活动，无法同时建立台账档案。")
        activity.event = ledger_services.event_create(
            campaign=campaign,
            organization=organization,
            title=activity.title,
            start_date=date,
            category=EventCategory.VOLUNTEER,
            created_by=created_by,
            place=activity.place,
            participant_count=len(entries) or None,
            description=description,
        )
        activity.save(update_fields=["event"])
    audit_record(
        actor=created_by,
        action="create",
        obj=activity,
        organization=organization,
        details={"people": len(entries), "dossier": activity.event_id},
    )
    if entries:
        records_add(activity=activity, entries=entries, created_by=created_by, confirmed=confirmed)
    return activity


@transaction.atomic
def records_add(
    *,
    activity: ServiceActivity,
    entries: Sequence[HoursEntry],
    created_by: object,
    confirmed: bool = False,
) -> list[ServiceRecord]:
    """Add the hours of several volunteers to an activity; all or none are saved."""
    _check_entries(activity, entries)
    now = timezone.now()
    records = [
        ServiceRecord(
            volunteer=entry.volunteer,
            activity=activity,
            hours=Decimal(str(entry.hours)),
            status=RecordStatus.CONFIRMED if confirmed else RecordStatus.PENDING,
            confirmed_by=created_by if confirmed else None,
            confirmed_at=now if confirmed else None,
            created_by=created_by,
        )
        for entry in entries
    ]
    created = bulk_create_tracked(ServiceRecord, records, actor=created_by, reason=f"登记时长（共 {len(records)} 条）")
    audit_record(
        actor=created_by,
        action="create",
        object_type=ServiceRecord._meta.label,
        object_repr=f"{activity.title}：{len(created)} 人的服务时长",
        organization=activity.organization,
        details={"activity": activity.pk, "records": [r.pk for r in created], "confirmed": confirmed},
    )
    return created


def _decidable(records: Iterable[ServiceRecord], by: object) -> list[ServiceRecord]:
    records = list(records)
    for record in records:
        if record.status == RecordStatus.CONFIRMED:
            raise VolunteerError(f"{record.volunteer.name} 的时长已确认，不能重复处理。")
        if by is not None and not can_confirm(by, record.volunteer.organization):
            raise VolunteerError(f"无权确认 {record.volunteer.name} 的时长。")
    return records


@transaction.atomic
def records_confirm(*, records: Iterable[ServiceRecord], by: object) -> int:
    """创建办 confirms pending (or earlier returned) records; confirmed hours count in every statistic."""
    records = _decidable(records, by)
    now = timezone.now()
    for record in records:
        record.status = RecordStatus.CONFIRMED
        record.confirmed_by = by
        record.confirmed_at = now
        record.return_reason = ""
    bulk_update_tracked(
        ServiceRecord,
        records,
        ["status", "confirmed_by", "confirmed_at", "return_reason"],
        actor=by,
        reason=f"批量确认（共 {len(records)} 条）",
    )
    _audit_decision(records, by, "confirm")
    return len(records)


def _audit_decision(records: list[ServiceRecord], by: object, action: str, reason: str = "") -> None:
    by_org: dict[int, list[ServiceRecord]] = {}
    for record in records:
        by_org.setdefault(record.volunteer.organization_id, []).append(record)
    for group in by_org.values():
        audit_record(
            actor=by,
            action=action,
            object_type=ServiceRecord._meta.label,
            object_repr=f"{len(group)} 条服务时长记录",
            organization=group[0].volunteer.organization,
            details={"records": [r.pk for r in group], **({"reason": reason} if reason else {})},
        )


@transaction.atomic
def records_return(*, records: Iterable[ServiceRecord], by: object, reason: str = "") -> int:
    """创建办 sends records back to whoever recorded them, with a reason."""
    records = _decidable(records, by)
    now = timezone.now()
    for record in records:
        record.status = RecordStatus.RETURNED
        record.confirmed_by = by
        record.confirmed_at = now
        record.return_reason = reason.strip()[:200]
    bulk_update_tracked(
        ServiceRecord,
        records,
        ["status", "confirmed_by", "confirmed_at", "return_reason"],
        actor=by,
        reason=f"批量退回（共 {len(records)} 条）",
    )
    _audit_decision(records, by, "return", reason.strip()[:200])
    return len(records)


@transaction.atomic
def record_update_hours(*, record: ServiceRecord, hours: Decimal, actor: object | None = None) -> ServiceRecord:
    """Correct a returned or pending record; it goes back to 待确认."""
    if record.status == RecordStatus.CONFIRMED:
        raise VolunteerError("已确认的时长不能修改。")
    problem = hours_problem(hours, record.activity.max_hours)
    if problem:
        raise VolunteerError(problem)
    record.hours = Decimal(str(hours))
    record.status = RecordStatus.PENDING
    record.return_reason = ""
    record.confirmed_by = None
    record.confirmed_at = None
    record.save(update_fields=["hours", "status", "return_reason", "confirmed_by", "confirmed_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=record,
        organization=record.activity.organization,
        details={"hours": str(hours)},
    )
    return record


def validation_message(error: ValidationError) -> str:
    """A ValidationError as one Chinese line."""
    if hasattr(error, "message_dict"):
        return "；".join(f"{'、'.join(msgs)}" for msgs in error.message_dict.values())
    return "；".join(error.messages)


# ------------------------------------------------------------------------------------------------
# Excel import
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOutcome:
    records: int
    activities_created: int
    hours: Decimal


@records_actor("created_by")
@transaction.atomic
def hours_import(
    *,
    plan: ImportPlan,
    organizer: Organization,
    created_by: object,
    confirmed: bool = False,
    category: str = ActivityCategory.OTHER,
) -> ImportOutcome:
    """Save a matched hours import whole, or nothing: refused while the plan has any row error.

    Rows naming an activity (title + date) that does not exist yet create it, organised by `organizer`.
    """
    if plan.errors:
        raise VolunteerError(f"文件有 {len(plan.errors)} 处错误，未导入任何数据。")
    if not plan.records:
        raise VolunteerError("文件中没有可导入的数据行。")
    activities: dict[tuple[str, datetime.date], ServiceActivity] = {}
    grouped: dict[tuple[str, datetime.date], list[HoursEntry]] = {}
    for record in plan.records:
        key = (record.title, record.date)
        if record.activity is not None:
            activities[key] = record.activity
        grouped.setdefault(key, []).append(HoursEntry(volunteer=record.volunteer, hours=record.hours))
    created = 0
    count = 0
    for key, entries in grouped.items():
        activity = activities.get(key)
        if activity is None:
            activity = activity_record(
                organization=organizer,
                title=key[0],
                date=key[1],
                category=category,
                created_by=created_by,
            )
            created += 1
        records_add(activity=activity, entries=entries, created_by=created_by, confirmed=confirmed)
        count += len(entries)
    audit_record(
        actor=created_by,
        action="import",
        object_type=ServiceRecord._meta.label,
        object_repr=f"导入 {count} 条服务时长记录",
        organization=organizer,
        details={"records": count, "activities_created": created, "confirmed": confirmed},
    )
    return ImportOutcome(records=count, activities_created=created, hours=plan.total_hours)
