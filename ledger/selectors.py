"""Reads of the ledger, always narrowed to what the user may see."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import In

from campaigns.models import Campaign, CampaignStatus, Task
from campaigns.selectors import campaigns_visible_to, tasks_visible_to
from organizations.models import Organization, OrganizationKind
from organizations.scoping import can_administer, can_change, scope_filter

from .evidence_selectors import filter_events
from .models import Event, EventLog, EventStatus, EvidenceFile, LogAction, MediaReport, Slot

SORTS = {
    "date": ("start_date", "pk"),
    "-date": ("-start_date", "-pk"),
    "number": ("archive_number", "pk"),
    "-number": ("-archive_number", "-pk"),
    "title": ("title", "pk"),
    "organization": ("organization__path", "-start_date"),
    "status": ("status", "-start_date"),
    "-updated": ("-updated_at", "-pk"),
}
SORT_LABELS = {
    "-date": "活动日期（新→旧）",
    "date": "活动日期（旧→新）",
    "number": "档号",
    "-number": "档号（倒序）",
    "title": "活动名称",
    "organization": "组织单位",
    "status": "状态",
    "-updated": "最近更新",
}


def events_visible_to(user: object) -> QuerySet[Event]:
    """Dossiers whose organising organisation lies in the user's scope."""
    return scope_filter(Event.objects.all(), user, "organization").select_related("organization", "campaign")


def events_changeable_by(user: object) -> QuerySet[Event]:
    return scope_filter(Event.objects.all(), user, "organization", action="change").select_related(
        "organization", "campaign", "campaign__unit"
    )


def evidence_visible_to(user: object) -> QuerySet[EvidenceFile]:
    """Files of the dossiers the user may see; file views fetch through this, so others' ids answer 404."""
    return scope_filter(EvidenceFile.objects.all(), user, "event__organization").select_related("event")


def media_reports_visible_to(user: object) -> QuerySet[MediaReport]:
    return scope_filter(MediaReport.objects.all(), user, "event__organization")


def file_count_subquery() -> Coalesce:
    files = EvidenceFile.objects.filter(event=OuterRef("pk")).order_by().values("event").annotate(n=Count("pk"))
    return Coalesce(Subquery(files.values("n"), output_field=IntegerField()), Value(0))


def slot_count_annotations() -> dict[str, Count]:
    return {f"n_{slot}": Count("evidence", filter=Q(evidence__slot=slot), distinct=True) for slot in Slot.values}


@dataclass
class EventFilters:
    campaign: int | None = None
    year: int | None = None
    organization: int | None = None
    category: str = ""
    status: str = ""
    complete: str = ""  # "yes" / "no"
    task: int | None = None
    late: str = ""  # "yes" / "no"
    evidence: str = ""  # 图片检查: "duplicate" (疑似重复) / "time" (拍摄时间不符)
    q: str = ""
    sort: str = "-date"
    extra: dict = field(default_factory=dict)


def event_list(*, user: object, filters: EventFilters) -> QuerySet[Event]:
    """The list of dossiers the user may see, filtered, searched and sorted.

    Search is a substring match (icontains) on title, description and place, so Chinese words match
    without spaces between them on PostgreSQL and SQLite alike.
    """
    qs = filter_event_list(events_visible_to(user), user=user, filters=filters)
    # A subquery, not a join and GROUP BY over every dossier: it is computed for the 30 rows of the page only.
    qs = with_additions_flag(qs.annotate(n_files=file_count_subquery()))
    return qs.order_by(*SORTS.get(filters.sort, SORTS["-date"]))


def filter_event_list(qs: QuerySet[Event], *, user: object, filters: EventFilters) -> QuerySet[Event]:
    """The list's filters and search applied to `qs` (the exports use it too, so they follow the screen)."""
    f = filters
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.year:
        qs = qs.filter(start_date__year=f.year)
    if f.organization:
        org = Organization.objects.filter(pk=f.organization).only("path").first()
        qs = qs.filter(organization__path__startswith=org.path) if org else qs.none()
    if f.category:
        qs = qs.filter(category=f.category)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.complete in {"yes", "no"}:
        qs = qs.filter(is_complete=f.complete == "yes")
    if f.late in {"yes", "no"}:
        qs = qs.filter(is_late_entry=f.late == "yes")
    if f.evidence:
        qs = filter_events(qs, user=user, evidence=f.evidence)
    if f.task:
        qs = qs.filter(tasks__pk=f.task)
    if f.q:
        for word in f.q.split():
            qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(place__icontains=word))
    return qs


def event_detail_queryset(user: object) -> QuerySet[Event]:
    """One dossier with its tasks, files, media reports and log; each file, report and log entry carries `is_new`
    (the 新增 rule below), read by dossier_additions."""
    return events_visible_to(user).prefetch_related(
        "tasks",
        Prefetch("evidence", queryset=EvidenceFile.objects.annotate(is_new=_is_new(_new_file))),
        Prefetch("media_reports", queryset=MediaReport.objects.annotate(is_new=_is_new(_new_report))),
        Prefetch("log_entries", queryset=EventLog.objects.annotate(is_new=_is_new(_new_edit))),
        "log_entries__actor",
    )


# ------------------------------------------------------------------------------
# 新增: what came after the office last saw a dossier (Event.review_baseline: its last 退回, else its 提交)
# ------------------------------------------------------------------------------
# The one rule behind the list's 有新增, the dossier page's 新增 marks and what a submitted dossier lets its
# liaison remove again. Something is 新增 while it is still there and came after the baseline:
#   - a file uploaded after it, or put back from the 回收站 after it (restored_at; its upload time stays);
#   - a media report registered after it;
#   - a change of the text or of the linked tasks made after it: the 修改 log entry naming the changed fields
#     (the text keeps no trace of its own, so the log is its record).
# A new file or report removed again leaves nothing new behind; drafts and archived dossiers have no baseline.
# Each rule is written once, as a condition on the row, with `ref(name)` reaching the dossier's field `name`: an
# OuterRef for the list's EXISTS subqueries, a join (event__name) for the rows the dossier page prefetches.
_REVIEWED = [EventStatus.SUBMITTED, EventStatus.RETURNED]
Ref = Callable[[str], F | OuterRef]


def _via_join(name: str) -> F:
    return F(f"event__{name}")


def _after_baseline(ref: Ref, *fields: str) -> Q:
    baseline = Coalesce(ref("returned_at"), ref("submitted_at"))
    later = Q()
    for name in fields:  # each a time that may be unset (restored_at): unset is never later, not unknown
        later |= Q(**{f"{name}__isnull": False, f"{name}__gt": baseline})
    return Q(In(ref("status"), _REVIEWED)) & later


def _new_file(ref: Ref) -> Q:
    return _after_baseline(ref, "uploaded_at", "restored_at")


def _new_report(ref: Ref) -> Q:
    return _after_baseline(ref, "created_at")


def _new_edit(ref: Ref) -> Q:
    # An edit that changed nothing is logged with no fields; it is no change.
    return _after_baseline(ref, "at") & Q(action=LogAction.UPDATE, data__fields__0__isnull=False)


def _is_new(rule: Callable[[Ref], Q]) -> ExpressionWrapper:
    """The rule as a column of the row itself (a join to its dossier)."""
    return ExpressionWrapper(rule(_via_join), output_field=BooleanField())


def additions_flag() -> ExpressionWrapper:
    """Per dossier row: is anything 新增 (the list's 有新增). Three EXISTS subqueries, computed for the rows of the
    page only, in the list's own query."""
    checks = [
        Exists(model.objects.filter(rule(OuterRef), event=OuterRef("pk")))
        for model, rule in ((EvidenceFile, _new_file), (MediaReport, _new_report), (EventLog, _new_edit))
    ]
    return ExpressionWrapper(Q(checks[0]) | Q(checks[1]) | Q(checks[2]), output_field=BooleanField())


def with_additions_flag(qs: QuerySet[Event]) -> QuerySet[Event]:
    """`qs` with `additions_after_baseline`, which Event.has_additions reads."""
    return qs.annotate(additions_after_baseline=additions_flag())


def event_has_additions(event: Event) -> bool:
    """Event.has_additions for a dossier loaded without the annotation (one query)."""
    return bool(
        with_additions_flag(Event.objects.filter(pk=event.pk))
        .values_list("additions_after_baseline", flat=True)
        .first()
    )


def evidence_is_new(evidence: EvidenceFile) -> bool:
    """Is the file 新增 now (so a submitted dossier lets it be removed again)."""
    return EvidenceFile.objects.filter(_new_file(_via_join), pk=evidence.pk).exists()


def media_report_is_new(report: MediaReport) -> bool:
    return MediaReport.objects.filter(_new_report(_via_join), pk=report.pk).exists()


@dataclass(frozen=True)
class Additions:
    """The dossier page's 新增: counts for the summary line, the changed fields for their 已修改 marks."""

    baseline: datetime.datetime | None
    files: int
    reports: int
    changed: dict[str, bool]  # field name -> True, for the template
    changed_labels: list[str]
    new_by_slot: dict[str, int]

    @property
    def any(self) -> bool:
        return bool(self.files or self.reports or self.changed)


def dossier_additions(event: Event) -> Additions:
    """What is 新增 on a dossier from event_detail_queryset (its rows carry `is_new`); also sets the dossier's
    has_additions from them, so its 有新增 badge and the marks cannot disagree."""
    from .services import CHANGE_LABELS

    files = [f for f in event.evidence.all() if f.is_new]
    reports = [r for r in event.media_reports.all() if r.is_new]
    changed = {name for entry in event.log_entries.all() if entry.is_new for name in entry.data.get("fields") or []}
    result = Additions(
        baseline=event.review_baseline,
        files=len(files),
        reports=len(reports),
        changed={name: True for name in changed},
        changed_labels=[label for name, label in CHANGE_LABELS.items() if name in changed],
        new_by_slot={slot: n for slot in Slot.values if (n := sum(1 for f in files if f.slot == slot))},
    )
    event.additions_after_baseline = result.any
    return result


def gallery_images(*, user: object, filters: EventFilters) -> QuerySet[EvidenceFile]:
    """Images of the listed dossiers, newest activity first."""
    events = event_list(user=user, filters=filters).values("pk")
    return (
        evidence_visible_to(user)
        .filter(event__in=events, detected_type__in=["jpg", "png", "webp", "gif"])
        .select_related("event", "event__organization")
        .order_by("-event__start_date", "event_id", "pk")
    )


def campaigns_for_ledger(user: object) -> QuerySet[Campaign]:
    return campaigns_visible_to(user).order_by("-start_year", "unit__path")


def current_campaign(campaigns: list[Campaign], *, today: datetime.date) -> Campaign | None:
    """The campaign the ledger's buttons default to: one 进行中 whose years cover today, else any covering today,
    else the newest (campaigns come newest first)."""
    covering = [c for c in campaigns if c.start_year <= today.year <= c.end_year]
    active = [c for c in covering if c.status == CampaignStatus.ACTIVE]
    return (active or covering or campaigns or [None])[0]


def task_for_new_event(user: object, pk: int | None) -> Task | None:
    """The task a new dossier starts from (the 建档 button), if the user may see it."""
    if pk is None:
        return None
    return tasks_visible_to(user).prefetch_related("lead_units", "cooperating_units").filter(pk=pk).first()


def organizations_for_new_event(user: object, campaign: Campaign) -> QuerySet[Organization]:
    """Organisations in the campaign's unit for which the user may open a dossier."""
    return (
        scope_filter(Organization.objects.all(), user, action="change")
        .filter(path__startswith=campaign.unit.path)
        .exclude(kind=OrganizationKind.OFFICE)
        .order_by("path")
    )


def can_edit_event(user: object, event: Event) -> bool:
    """Its liaison and the 创建办 add evidence and edit the text until the office archives the dossier."""
    return can_change(user, event.organization) and event.status != EventStatus.ARCHIVED


def can_submit_event(user: object, event: Event) -> bool:
    return can_change(user, event.organization) and event.status in {EventStatus.DRAFT, EventStatus.RETURNED}


def can_review_event(user: object, event: Event) -> bool:
    """创建办 and admins of the unit send back and archive; liaisons and leaders do not."""
    return can_administer(user, event.organization)


def can_manage_ledger(user: object, campaign: Campaign) -> bool:
    return can_administer(user, campaign.unit)


def events_of_task(user: object, task: Task) -> QuerySet[Event]:
    """The dossiers linked to a task that the user may see, newest activity first (the task page's list)."""
    return with_additions_flag(events_visible_to(user).filter(tasks=task)).order_by("-start_date", "-pk")
