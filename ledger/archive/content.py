"""What goes into a year's archive, read once through the ledger's models and the registered hooks.

The result is plain data (no open files, no querysets) small enough for thousands of dossiers: images are only
named here; render.py downscales them chunk by chunk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Task, TaskStatus
from organizations.models import Organization

from ..models import Event, EventStatus, EvidenceFile, MediaReport, Slot, category_choices
from . import Appendix, Chapter, Section, Table, appendix_providers, chapters_providers, register_appendix


@dataclass
class FileRow:
    slot: str
    name: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    late: bool
    kind: str
    storage_name: str = ""
    preview_url: str = ""  # PDF originals: the first page drawn as an image (render.py), when small


@dataclass
class Picture:
    evidence_id: int
    sha256: str
    storage_name: str
    caption: str
    taken_at: datetime.datetime | None
    path: str = ""  # the downscaled copy, filled in by render.py


@dataclass
class Report:
    outlet: str
    date: datetime.date
    title: str
    url: str
    screenshot: Picture | None


@dataclass
class Dossier:
    pk: int
    number: str
    title: str
    organization: str
    category: str
    start_date: datetime.date
    end_date: datetime.date | None
    place: str
    participants: int | None
    description: str
    tasks: list[str]
    late: bool
    files: list[FileRow] = field(default_factory=list)
    photos: list[Picture] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    pdfs: list[FileRow] = field(default_factory=list)
    also_under: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"d{self.pk}"


@dataclass
class Entry:
    """A dossier's place in a section: printed in full (primary) or as a reference to where it is printed."""

    dossier: Dossier
    primary: bool


@dataclass
class PlacedSection:
    title: str
    entries: list[Entry]


@dataclass
class PlacedChapter:
    title: str
    sections: list[PlacedSection]

    @property
    def dossier_count(self) -> int:
        return sum(1 for s in self.sections for e in s.entries if e.primary)


@dataclass
class ArchiveContent:
    campaign_title: str
    unit_name: str
    compiler: str
    year: int
    built_on: datetime.date
    by_criteria: bool
    chapters: list[PlacedChapter]
    appendices: list[Appendix]

    @property
    def dossiers(self) -> list[Dossier]:
        return [e.dossier for c in self.chapters for s in c.sections for e in s.entries if e.primary]

    @property
    def photo_count(self) -> int:
        return sum(len(d.photos) + sum(1 for r in d.reports if r.screenshot) for d in self.dossiers)


def archive_events(
    *, campaign: Campaign, year: int, unit: Organization | None = None, events: QuerySet[Event] | None = None
) -> QuerySet[Event]:
    """The archived dossiers of the campaign's year (within `unit`'s subtree when given), by 档号."""
    qs = (events if events is not None else Event.objects.all()).filter(
        campaign=campaign, start_date__year=year, status=EventStatus.ARCHIVED
    )
    if unit is not None:
        qs = qs.filter(organization__path__startswith=unit.path)
    return qs.order_by("archive_number", "start_date", "pk")


def _dossiers(events: QuerySet[Event]) -> dict[int, Dossier]:
    categories = dict(category_choices())
    slots = {k: str(v) for k, v in Slot.choices}
    out: dict[int, Dossier] = {}
    qs = events.select_related("organization").prefetch_related(
        Prefetch("tasks", queryset=Task.objects.only("pk", "number", "title").order_by("order", "pk")),
        Prefetch("evidence", queryset=EvidenceFile.objects.order_by("slot", "uploaded_at", "pk")),
        Prefetch("media_reports", queryset=MediaReport.objects.select_related("screenshot").order_by("date", "pk")),
    )
    for event in qs.iterator(chunk_size=200):
        late_cut = event.archived_at or event.submitted_at
        d = Dossier(
            pk=event.pk,
            number=event.archive_number or "未编号",
            title=event.title,
            organization=event.organization.name,
            category=categories.get(event.category, event.category),
            start_date=event.start_date,
            end_date=event.end_date,
            place=event.place,
            participants=event.participant_count,
            description=event.description,
            tasks=[f"{t.number} {t.title}".strip() for t in event.tasks.all()],
            late=event.is_late_entry,
        )
        for ev in event.evidence.all():
            row = FileRow(
                slot=slots.get(ev.slot, ev.slot),
                name=ev.original_name,
                size=ev.size,
                sha256=ev.sha256,
                uploaded_at=ev.uploaded_at,
                # 补录: added after the dossier was submitted/archived, or the whole dossier entered late.
                late=event.is_late_entry or bool(late_cut and ev.uploaded_at > late_cut),
                kind=ev.detected_type,
                storage_name=ev.file.name,
            )
            d.files.append(row)
            if ev.detected_type == "pdf":
                d.pdfs.append(row)
            elif ev.is_image and ev.slot != Slot.MEDIA:
                d.photos.append(
                    Picture(ev.pk, ev.sha256, ev.file.name, ev.caption or slots.get(ev.slot, ""), ev.taken_at)
                )
        for r in event.media_reports.all():
            shot = r.screenshot
            picture = (
                Picture(shot.pk, shot.sha256, shot.file.name, r.title, shot.taken_at)
                if shot is not None and shot.is_image
                else None
            )
            d.reports.append(Report(r.outlet, r.date, r.title, r.url, picture))
        out[event.pk] = d
    return out


def _place(chapters: list[Chapter], dossiers: dict[int, Dossier]) -> list[PlacedChapter]:
    """Each dossier printed once, where first filed; listed by 档号 everywhere else it is filed.

    Dossiers no chapter files are added at the end, by category."""
    placed, where = _place_only(chapters, dossiers)
    rest = [pk for pk in dossiers if pk not in where]
    if rest:
        placed.extend(_place_only(by_category(rest, dossiers, other=bool(placed)), dossiers)[0])
    return placed


def _place_only(chapters: list[Chapter], dossiers: dict[int, Dossier]) -> tuple[list[PlacedChapter], dict]:
    placed: list[PlacedChapter] = []
    where: dict[int, str] = {}
    for chapter in chapters:
        sections = []
        for section in chapter.sections:
            entries = []
            for pk in section.event_ids:
                d = dossiers.get(pk)
                if d is None:
                    continue
                primary = pk not in where
                if primary:
                    where[pk] = section.title
                else:
                    d.also_under.append(section.title)
                entries.append(Entry(d, primary))
            if entries:
                sections.append(PlacedSection(section.title, entries))
        if sections:
            placed.append(PlacedChapter(chapter.title, sections))
    return placed, where


def by_category(pks: list[int], dossiers: dict[int, Dossier], *, other: bool = False) -> list[Chapter]:
    groups: dict[str, list[int]] = defaultdict(list)
    for pk in pks:
        groups[dossiers[pk].category].append(pk)
    order = [str(label) for _v, label in category_choices()]
    names = sorted(groups, key=lambda c: (order.index(c) if c in order else len(order), c))
    if other:
        return [Chapter("其他档案（未关联测评指标）", [Section(name, groups[name]) for name in names])]
    return [Chapter(name, [Section(f"{name}类档案", groups[name])]) for name in names]


def gather(
    *, campaign: Campaign, year: int, unit: Organization | None = None, events: QuerySet[Event] | None = None
) -> ArchiveContent:
    """Everything the archive prints: chapters (by 测评项目 → 测评指标 when a hook provides them), appendices."""
    qs = archive_events(campaign=campaign, year=year, unit=unit, events=events)
    dossiers = _dossiers(qs)
    chapters: list[Chapter] | None = None
    for provider in chapters_providers():
        chapters = provider(campaign=campaign, event_ids=list(dossiers))
        if chapters:
            break
    by_criteria = bool(chapters)
    placed = _place(chapters or by_category(list(dossiers), dossiers), dossiers)
    appendices = []
    for _name, provider in appendix_providers():
        appendix = provider(campaign=campaign, year=year, unit=unit or campaign.unit)
        if appendix is not None:
            appendices.append(appendix)
    owner = unit or campaign.unit
    return ArchiveContent(
        campaign_title=campaign.title,
        unit_name=owner.name,
        compiler=campaign.unit.name,
        year=year,
        built_on=timezone.localdate(),
        by_criteria=by_criteria,
        chapters=placed,
        appendices=appendices,
    )


# ------------------------------------------------------------------------------
# The ledger's own appendix: task completion (campaigns may be imported by the ledger)
# ------------------------------------------------------------------------------
def task_completion(*, campaign: Campaign, year: int, unit: Organization) -> Appendix:
    statuses = dict(TaskStatus.choices)
    tasks = (
        Task.objects.filter(campaign=campaign)
        .prefetch_related("lead_units")
        .order_by("order", "pk")
        .only("pk", "number", "title", "status", "progress", "due_date")
    )
    rows, done, total = [], 0, 0
    for t in tasks:
        total += 1
        done += t.status == TaskStatus.DONE
        rows.append(
            [
                t.number,
                t.title,
                "、".join(u.short_name or u.name for u in t.lead_units.all()) or "—",
                f"{t.due_date:%Y-%m-%d}" if t.due_date else "—",
                f"{t.progress}%",
                str(statuses.get(t.status, t.status)),
            ]
        )
    summary = f"共 {total} 项任务，已完成 {done} 项。" if total else "本创建活动尚无任务分解。"
    return Appendix(
        title="任务完成情况",
        paragraphs=[summary],
        tables=[Table(["编号", "任务", "牵头单位", "完成时限", "进度", "状态"], rows)] if rows else [],
    )


register_appendix("tasks", task_completion, order=10)
