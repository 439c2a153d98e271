"""Every write to the ledger: dossiers, their evidence, submission, review and archiving."""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from campaigns.models import Campaign, Task
from organizations.field_ranges import date_problem
from organizations.models import Organization
from organizations.scoping import unit_of
from trash.services import trash_delete

from .evidence_services import enqueue_photo_checks, photo_checks_refresh_times
from .models import (
    ArchiveCounter,
    Event,
    EventLog,
    EventStatus,
    EvidenceFile,
    LedgerSettings,
    LogAction,
    MediaReport,
    Slot,
)
from .selectors import evidence_is_new, media_report_is_new
from .uploads import (
    CheckedFile,
    UploadRefused,
    check_file,
    max_dossier_bytes,
    max_file_bytes,
    max_files_per_batch,
    too_many_files_message,
)

log = logging.getLogger(__name__)

LATE_ENTRY_DAYS = 30
MEDIA_NOT_COUNTED = Q(screenshot__isnull=True) | ~Q(screenshot__slot=Slot.MEDIA)
THUMBNAIL_SIZE = (480, 480)


class LedgerError(ValueError):
    """A write the rules do not allow; the message is Chinese and meant for the user."""


# ------------------------------------------------------------------------------
# Settings and completeness
# ------------------------------------------------------------------------------
def ledger_settings_for(campaign: Campaign) -> LedgerSettings:
    """The campaign's ledger settings; an unsaved default object when none were stored."""
    try:
        return campaign.ledger_settings
    except LedgerSettings.DoesNotExist:
        return LedgerSettings(campaign=campaign)


@dataclass(frozen=True)
class Completeness:
    complete: bool
    missing: tuple[str, ...]  # Chinese, e.g. "活动图片（还差 1 张）"


def completeness_from_counts(requirements: dict[str, int], counts: dict[str, int]) -> Completeness:
    """Pure: which required slots are short, given how many files each slot holds."""
    short = [(slot, minimum, counts.get(slot, 0)) for slot, minimum in requirements.items()]
    short = [s for s in short if s[2] < s[1]]
    if not short:
        return Completeness(complete=True, missing=())
    labels = {k: str(v) for k, v in Slot.choices}
    missing = tuple(
        f"{labels.get(slot, slot)}（还差 {minimum - have} 份）" if minimum > 1 else labels.get(slot, slot)
        for slot, minimum, have in short
    )
    return Completeness(complete=False, missing=missing)


def slot_counts(event: Event) -> dict[str, int]:
    rows = EvidenceFile.objects.filter(event=event).values("slot").annotate(n=Count("pk"))
    counts = {r["slot"]: r["n"] for r in rows}
    # A registered media report counts for the 媒体报道 slot, unless its screenshot is already counted there.
    reports = MediaReport.objects.filter(event=event).filter(MEDIA_NOT_COUNTED).count()
    if reports:
        counts[Slot.MEDIA] = counts.get(Slot.MEDIA, 0) + reports
    return counts


def event_completeness(event: Event, settings_obj: LedgerSettings | None = None) -> Completeness:
    settings_obj = settings_obj or ledger_settings_for(event.campaign)
    return completeness_from_counts(settings_obj.requirements_for(event.category), slot_counts(event))


def late_days(event: Event, when: datetime.datetime | None) -> int | None:
    """Days between the activity and `when` (negative: before the activity ended)."""
    if when is None:
        return None
    return (timezone.localtime(when).date() - event.activity_date).days


def evidence_restored(evidence: EvidenceFile) -> None:
    """After the 回收站 put a file back: the dossier's completeness counts it again, and the file is dated as
    restored now (its upload time stays), so a dossier the office has seen shows it as 新增 and lets it be
    removed again like any new file."""
    now = timezone.now()
    EvidenceFile.objects.filter(pk=evidence.pk).update(restored_at=now)
    evidence.restored_at = now
    event = Event.objects.get(pk=evidence.event_id)
    _mark_changed(event)
    _refresh_completeness(event)


def _refresh_completeness(event: Event) -> None:
    """Recompute the stored completeness; the first moment it became complete decides 补录."""
    result = event_completeness(event)
    fields = []
    if result.complete != event.is_complete:
        event.is_complete = result.complete
        fields.append("is_complete")
    if result.complete and event.completed_at is None:
        event.completed_at = timezone.now()
        event.is_late_entry = (late_days(event, event.completed_at) or 0) > LATE_ENTRY_DAYS
        fields += ["completed_at", "is_late_entry"]
    if fields:
        event.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def ledger_settings_update(
    *,
    campaign: Campaign,
    review_enabled: bool,
    required_slots: dict[str, dict[str, int]] | None = None,
    max_file_mb: int | None = None,
    max_dossier_mb: int | None = None,
) -> LedgerSettings:
    obj, _created = LedgerSettings.objects.get_or_create(campaign=campaign)
    obj.review_enabled = review_enabled
    if required_slots is not None:
        obj.required_slots = required_slots
    obj.max_file_mb = max_file_mb
    obj.max_dossier_mb = max_dossier_mb
    obj.full_clean()
    obj.save()
    campaign.ledger_settings = obj
    for event in Event.objects.filter(campaign=campaign):
        event.campaign = campaign
        _refresh_completeness(event)
    return obj


# ------------------------------------------------------------------------------
# Dossiers
# ------------------------------------------------------------------------------
def _log(event: Event | None, action: str, actor: object, note: str = "", **data: object) -> None:
    EventLog.objects.create(event=event, action=action, actor=actor, note=note, data=data)


def _check_editable(event: Event) -> None:
    """Until the office archives it a dossier takes evidence and edits (submit in the corridor, finish at the desk)."""
    if event.status == EventStatus.ARCHIVED:
        raise LedgerError("档案已归档，不能再修改。")


def _check_submittable(event: Event) -> None:
    if event.status not in {EventStatus.DRAFT, EventStatus.RETURNED}:
        raise LedgerError("档案已提交或归档，不能重复提交。")


def _check_removable(event: Event, is_new: Callable[[], bool]) -> None:
    """Once submitted, only what is 新增 (added after the office last looked, see ledger.selectors) may be removed
    again; what the reviewer has seen stays until they send the dossier back."""
    _check_editable(event)
    if event.status == EventStatus.SUBMITTED and not is_new():
        raise LedgerError("档案已提交，只能删除提交后新增的材料；如需删除其他材料，请由创建办退回。")


def _mark_changed(event: Event) -> None:
    """Record that a person added or changed content now (compared with review_baseline for 新增)."""
    event.content_changed_at = timezone.now()
    event.save(update_fields=["content_changed_at", "updated_at"])


# The fields event_update may change, with the labels the reviewer sees for changes after submission.
EDITABLE_FIELDS = {
    "title": "活动名称",
    "start_date": "开始日期",
    "end_date": "结束日期",
    "category": "类别",
    "place": "地点",
    "participant_count": "参加人数",
    "description": "活动内容",
}
# What a 修改 log entry may name in its `fields`, with the labels the reviewer sees (the 已修改 marks).
CHANGE_LABELS = {**EDITABLE_FIELDS, "tasks": "关联任务"}


def _check_dates(start_date: datetime.date, end_date: datetime.date | None) -> None:
    """Activity dates outside 2000–2100 are a typing slip, refused on the field."""
    for name, label, value in (("start_date", "开始日期", start_date), ("end_date", "结束日期", end_date)):
        problem = date_problem(value, label) if isinstance(value, datetime.date) else ""
        if problem:
            raise ValidationError({name: problem})


@transaction.atomic
def event_create(
    *,
    campaign: Campaign,
    organization: Organization,
    title: str,
    start_date: datetime.date,
    category: str,
    created_by: object,
    end_date: datetime.date | None = None,
    place: str = "",
    participant_count: int | None = None,
    description: str = "",
    tasks: Iterable[Task] = (),
) -> Event:
    """Open a new draft dossier for one activity."""
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    _check_dates(start_date, end_date)
    event = Event(
        campaign=campaign,
        organization=organization,
        title=title,
        start_date=start_date,
        end_date=end_date,
        place=place,
        category=category,
        participant_count=participant_count,
        description=description,
        created_by=created_by,
    )
    event.full_clean(exclude=["created_by", "tasks", "archive_number"])
    event.save()
    tasks = list(tasks)
    if tasks:
        if any(t.campaign_id != campaign.pk for t in tasks):
            raise ValidationError({"tasks": "只能关联本创建活动的任务。"})
        event.tasks.set(tasks)
    _log(event, LogAction.CREATE, created_by)
    return event


@transaction.atomic
def event_update(
    *,
    event: Event,
    actor: object,
    title: str,
    start_date: datetime.date,
    category: str,
    end_date: datetime.date | None = None,
    place: str = "",
    participant_count: int | None = None,
    description: str = "",
    tasks: Iterable[Task] | None = None,
) -> Event:
    event = Event.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=event.pk)
    _check_editable(event)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "结束日期不能早于开始日期。"})
    _check_dates(start_date, end_date)
    before = {name: getattr(event, name) for name in EDITABLE_FIELDS}
    old_tasks = set(event.tasks.values_list("pk", flat=True))
    event.title, event.start_date, event.end_date = title, start_date, end_date
    event.category, event.place, event.participant_count, event.description = (
        category,
        place,
        participant_count,
        description,
    )
    changed = [name for name in EDITABLE_FIELDS if getattr(event, name) != before[name]]
    tasks = None if tasks is None else list(tasks)
    if tasks is not None:
        if any(t.campaign_id != event.campaign_id for t in tasks):
            raise ValidationError({"tasks": "只能关联本创建活动的任务。"})
        if {t.pk for t in tasks} != old_tasks:
            changed.append("tasks")
    if changed:  # the 修改 log entry below is what 新增 reads; this time is informational
        event.content_changed_at = timezone.now()
    event.full_clean(exclude=["created_by", "tasks", "archive_number"])
    event.save()
    if tasks is not None:
        event.tasks.set(tasks)
    _refresh_completeness(event)
    photo_checks_refresh_times(event=event)  # 拍摄时间不符 follows the activity's dates
    _log(
        event,
        LogAction.UPDATE,
        actor,
        note="、".join(CHANGE_LABELS[name] for name in changed),
        fields=changed,
        status=event.status,
    )
    return event


def _next_archive_number(event: Event) -> tuple[str, int, int]:
    """Take the next number of the unit and year from a locked counter row (gapless: the lock is held
    until the submitting transaction commits, and a rollback returns the number)."""
    unit = unit_of(event.organization) or event.campaign.unit
    year = event.start_date.year
    # Create the row if missing without racing (ON CONFLICT DO NOTHING), then lock it.
    ArchiveCounter.objects.bulk_create([ArchiveCounter(unit=unit, year=year, last=0)], ignore_conflicts=True)
    counter = ArchiveCounter.objects.select_for_update().get(unit=unit, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{unit.code}-{counter.last:04d}", year, counter.last


@transaction.atomic
def event_submit(*, event: Event, actor: object) -> Event:
    """Submit a draft or returned dossier; the first submission gives it its 档号.
    With review switched off for the campaign, submitting archives it at once."""
    event = Event.objects.select_for_update(of=("self",)).select_related("campaign", "organization").get(pk=event.pk)
    _check_submittable(event)
    now = timezone.now()
    fields = ["status", "submitted_at", "return_reason", "updated_at"]
    if not event.archive_number:
        event.archive_number, event.archive_year, event.archive_seq = _next_archive_number(event)
        fields += ["archive_number", "archive_year", "archive_seq"]
    event.submitted_at = now
    event.return_reason = ""
    if ledger_settings_for(event.campaign).review_enabled:
        event.status = EventStatus.SUBMITTED
    else:
        event.status = EventStatus.ARCHIVED
        event.archived_at = now
        fields.append("archived_at")
    event.save(update_fields=fields)
    _log(event, LogAction.SUBMIT, actor, archive_number=event.archive_number)
    if event.status == EventStatus.ARCHIVED:
        _log(event, LogAction.ARCHIVE, actor, note="本创建活动未启用审核，提交即归档。")
    return event


@transaction.atomic
def event_return(*, event: Event, actor: object, reason: str) -> Event:
    """Send a submitted dossier back to its authors with a reason they will see."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"})
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.SUBMITTED:
        raise LedgerError("只有已提交待审核的档案可以退回。")
    event.status = EventStatus.RETURNED
    event.return_reason = reason
    event.returned_at = timezone.now()  # the office has seen everything up to now: later additions are 新增
    event.save(update_fields=["status", "return_reason", "returned_at", "updated_at"])
    _log(event, LogAction.RETURN, actor, note=reason)
    return event


@transaction.atomic
def event_archive(*, event: Event, actor: object) -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.SUBMITTED:
        raise LedgerError("只有已提交待审核的档案可以归档。")
    event.status = EventStatus.ARCHIVED
    event.archived_at = timezone.now()
    event.save(update_fields=["status", "archived_at", "updated_at"])
    _log(event, LogAction.ARCHIVE, actor)
    return event


@transaction.atomic
def event_withdraw(*, event: Event, actor: object, reason: str) -> Event:
    """撤档: the unit's 管理员 takes an archived dossier out of the archive, with a reason; it goes back to 已退回
    (its 档号 stays, so numbers remain gapless) and can be corrected and submitted again. An archived dossier is
    never deleted."""
    from organizations.audit import audit_record
    from organizations.scoping import can_administer, can_manage

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤档原因。"})
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not (can_manage(actor, event.organization) and can_administer(actor, event.organization)):
        raise LedgerError("只有本单位的管理员可以撤档。")
    if event.status != EventStatus.ARCHIVED:
        raise LedgerError("只有已归档的档案可以撤档。")
    event.status = EventStatus.RETURNED
    event.return_reason = f"撤档：{reason}"
    event.returned_at = timezone.now()
    event.archived_at = None
    event.save(update_fields=["status", "return_reason", "returned_at", "archived_at", "updated_at"])
    _log(event, LogAction.RETURN, actor, note=f"撤档：{reason}", withdraw=True)
    audit_record(actor=actor, action="withdraw", obj=event, organization=event.organization, details={"reason": reason})
    return event


@transaction.atomic
def event_delete(*, event: Event, actor: object) -> None:
    """Move a dossier into the unit's 回收站. A draft: whoever may change it. A dossier that already has its 档号
    (submitted, or sent back): only the unit's 创建办 or 管理员; its number goes with it (a restore gives it back)
    and is never issued again. An archived dossier is never deleted, only withdrawn (撤档) by the 管理员."""
    from organizations.scoping import can_administer

    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == EventStatus.ARCHIVED:
        raise LedgerError("已归档的档案不能删除，只能由管理员撤档。")
    if event.archive_number and not can_administer(actor, event.organization):
        raise LedgerError("已编档号的档案只能由本单位的创建办或管理员删除。")
    names = [n for f in event.evidence.all() for n in (f.file.name, f.thumbnail.name) if n]
    _log(
        None,
        LogAction.DELETE,
        actor,
        note=event.title,
        event_id=event.pk,
        files=len(names),
        archive_number=event.archive_number,
    )
    # Into the unit's 回收站 with its files and media reports; the stored files stay until the purge.
    trash_delete(obj=event, actor=actor)


# ------------------------------------------------------------------------------
# Evidence
# ------------------------------------------------------------------------------
def delete_stored(names: Sequence[str]) -> None:
    """Remove stored files by name; a name already gone is fine."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - a missing file is already what we want
            log.warning("could not delete %s", name)


def store_checked(checked: CheckedFile, written: list[str], *, prefix: str = "ledger") -> str:
    """Put a checked file in storage under a generated name and add that name to `written`.

    The name is recorded before the write, so a write that fails half-way (a full disk) leaves nothing behind
    once the caller deletes `written`: the generated name is new, so whatever sits under it is ours."""
    name = checked.storage_name(prefix)
    written.append(name)
    stored = default_storage.save(name, ContentFile(checked.data))
    if stored != name:  # the storage chose another name: the one we asked for belongs to someone else
        written[-1] = stored
    return stored


@dataclass
class Upload:
    """One file as received: its name as the user sent it and its bytes."""

    name: str
    data: bytes


def evidence_check_batch(*, event: Event, uploads: Sequence[Upload]) -> list[CheckedFile]:
    """Check every file of a batch; refuse the whole batch with the first file that fails."""
    if not uploads:
        raise LedgerError("请选择要上传的文件。")
    if len(uploads) > max_files_per_batch():
        raise LedgerError(too_many_files_message())
    cfg = ledger_settings_for(event.campaign)
    per_file = max_file_bytes(cfg.max_file_mb)
    checked = [check_file(u.name, u.data, max_bytes=per_file) for u in uploads]
    _check_against_dossier(event, checked)
    return checked


def _check_against_dossier(event: Event, checked: Sequence[CheckedFile]) -> None:
    """Duplicates (by SHA-256) and the dossier's size limit, against what the dossier holds now."""
    existing = set(EvidenceFile.objects.filter(event=event).values_list("sha256", flat=True))
    seen: set[str] = set()
    for c in checked:
        if c.sha256 in existing:
            raise UploadRefused(c.original_name, "本档案中已有内容相同的文件（重复上传）。")
        if c.sha256 in seen:
            raise UploadRefused(c.original_name, "本次选择的文件中有内容相同的两份。")
        seen.add(c.sha256)
    used = EvidenceFile.objects.filter(event=event).aggregate(s=Sum("size"))["s"] or 0
    limit = max_dossier_bytes(ledger_settings_for(event.campaign).max_dossier_mb)
    if used + sum(c.size for c in checked) > limit:
        raise LedgerError(f"本档案的材料总量将超过 {limit // 1048576} MB 上限，请删减后再上传。")


def evidence_add(
    *, event: Event, slot: str, uploads: Sequence[Upload], uploaded_by: object, caption: str = ""
) -> list[EvidenceFile]:
    """Add a batch of files to a dossier, all or nothing: when one file is refused (or anything fails)
    no row is written and every file already put in storage is removed again."""
    if slot not in Slot.values:
        raise LedgerError("请选择材料类别。")
    event = Event.objects.select_related("campaign", "organization").get(pk=event.pk)
    _check_editable(event)
    checked = evidence_check_batch(event=event, uploads=uploads)
    written: list[str] = []
    try:
        with transaction.atomic():
            # Lock the dossier, then check again what a concurrent batch may have added meanwhile.
            _check_editable(Event.objects.select_for_update().get(pk=event.pk))
            _check_against_dossier(event, checked)
            rows = []
            for c in checked:
                stored = store_checked(c, written)
                row = EvidenceFile(
                    event=event,
                    slot=slot,
                    file=stored,
                    original_name=c.original_name,
                    size=c.size,
                    detected_type=c.detected_type,
                    content_type=c.content_type,
                    sha256=c.sha256,
                    uploaded_by=uploaded_by,
                    width=c.width,
                    height=c.height,
                    taken_at=c.taken_at,
                    caption=caption[:200],
                )
                row.save()
                rows.append(row)
            _mark_changed(event)
            _refresh_completeness(event)
            _log(
                event,
                LogAction.UPLOAD,
                uploaded_by,
                note="、".join(c.original_name for c in checked),
                slot=slot,
                count=len(rows),
            )
            ids = [r.pk for r in rows if r.is_image]
            if ids:
                transaction.on_commit(lambda: _enqueue_thumbnails(ids))
                # Evidence checks (duplicates, capture time, banner text) run on the "ocr" queue.
                transaction.on_commit(lambda: enqueue_photo_checks(ids))
    except IntegrityError:
        delete_stored(written)
        raise LedgerError("本档案中已有内容相同的文件（重复上传）。") from None
    except OSError:
        log.exception("storing a batch of %d files for dossier %s failed", len(checked), event.pk)
        delete_stored(written)
        raise LedgerError("文件保存失败（存储空间不可用），本批文件均未保存，请稍后重试或联系管理员。") from None
    except BaseException:
        delete_stored(written)
        raise
    return rows


def _enqueue_thumbnails(ids: list[int]) -> None:
    """On commit of an upload. The broker being down must not fail the upload: the gallery makes a missing
    thumbnail on demand, and ledger.tasks.sweep_pending_photos sends the task again later."""
    from config.enqueue import send_quietly

    from .tasks import make_thumbnail

    for pk in ids:
        if not send_quietly(make_thumbnail, pk):
            break


@transaction.atomic
def evidence_delete(*, evidence: EvidenceFile, actor: object) -> None:
    """Move one file of a dossier into the 回收站; the removal is recorded, the stored file stays until the purge."""
    event = Event.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=evidence.event_id)
    _check_removable(event, lambda: evidence_is_new(evidence))
    _log(
        event,
        LogAction.DELETE_FILE,
        actor,
        note=evidence.original_name,
        slot=evidence.slot,
        sha256=evidence.sha256,
        size=evidence.size,
    )
    trash_delete(obj=evidence, actor=actor)  # into the 回收站; the stored file stays until the purge
    _refresh_completeness(event)


def evidence_make_thumbnail(*, evidence_id: int) -> EvidenceFile | None:
    """Write a small JPEG beside an image; idempotent (a second run does nothing)."""
    from PIL import Image, ImageOps

    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None or not evidence.is_image or evidence.thumbnail:
        return evidence
    with evidence.file.open("rb") as fh, Image.open(fh) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=80)
    name = default_storage.save(
        f"ledger/thumbs/{evidence.file.name.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.jpg", ContentFile(out.getvalue())
    )
    updated = EvidenceFile.objects.filter(pk=evidence.pk, thumbnail="").update(thumbnail=name)
    if not updated:
        default_storage.delete(name)
    evidence.refresh_from_db()
    return evidence


@transaction.atomic
def media_report_add(
    *,
    event: Event,
    actor: object,
    outlet: str,
    date: datetime.date,
    title: str,
    url: str = "",
    screenshot: EvidenceFile | None = None,
) -> MediaReport:
    event = Event.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=event.pk)
    _check_editable(event)
    if screenshot is not None and screenshot.event_id != event.pk:
        raise ValidationError({"screenshot": "截图必须是本档案中的材料。"})
    report = MediaReport(
        event=event, outlet=outlet, date=date, title=title, url=url, screenshot=screenshot, created_by=actor
    )
    report.full_clean(exclude=["created_by", "screenshot"])
    report.save()
    _log(event, LogAction.UPLOAD, actor, note=f"登记媒体报道：{report.title}", media_report=report.pk)
    _mark_changed(event)
    _refresh_completeness(event)
    return report


@transaction.atomic
def media_report_delete(*, report: MediaReport, actor: object) -> None:
    event = Event.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=report.event_id)
    _check_removable(event, lambda: media_report_is_new(report))
    _log(event, LogAction.DELETE_FILE, actor, note=f"媒体报道：{report.title}")
    report.delete()
    _refresh_completeness(event)
