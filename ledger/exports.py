"""The annual 台账 workbook (streamed with xlsxwriter's constant_memory) and the ZIP archive of a year."""

from __future__ import annotations

import datetime
import hashlib
import html
import os
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import IO
from urllib.parse import quote

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Task
from organizations.models import User
from organizations.spreadsheets import clean_text, safe_text, xlsxwriter_workbook

from .models import Event, EventStatus, EvidenceFile, MediaReport, Slot, category_choices
from .services import MEDIA_NOT_COUNTED, completeness_from_counts, ledger_settings_for

CATALOGUE_HEADERS = [
    "档号",
    "日期",
    "活动名称",
    "组织单位",
    "类别",
    "关联任务",
    *(str(label) for label in Slot.labels),
    "完整性",
    "补录",
    "状态",
]
CATALOGUE_WIDTHS = [18, 14, 40, 20, 10, 16, 8, 8, 8, 8, 8, 6, 26, 6, 8]


# What goes to the inspectors: submitted and archived dossiers. Drafts and returned ones only on request, marked.
FINISHED_STATUSES = (EventStatus.SUBMITTED, EventStatus.ARCHIVED)
UNFINISHED_MARK = {EventStatus.DRAFT: "【草稿】", EventStatus.RETURNED: "【退回】"}


def events_for_year(
    events: QuerySet[Event], *, campaign: Campaign, year: int, include_unfinished: bool = False
) -> QuerySet[Event]:
    """The year's dossiers of the campaign among `events`; without `include_unfinished`, only submitted and
    archived ones (a draft or a returned dossier is not part of the 台账 the inspectors read)."""
    events = events.filter(campaign=campaign, start_date__year=year)
    return events if include_unfinished else events.filter(status__in=FINISHED_STATUSES)


def unfinished_mark(status: str) -> str:
    """The mark 【草稿】 or 【退回】 before the 档号 or folder of a dossier exported on request; empty otherwise."""
    return UNFINISHED_MARK.get(status, "")


def _slot_counts(event_ids_qs: QuerySet) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        EvidenceFile.objects.filter(event__in=event_ids_qs)
        .values_list("event_id", "slot")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for event_id, slot, n in rows.iterator(chunk_size=5000):
        counts[event_id][slot] = n
    reports = (
        MediaReport.objects.filter(event__in=event_ids_qs)
        .filter(MEDIA_NOT_COUNTED)
        .values_list("event_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for event_id, n in reports.iterator():
        counts[event_id][Slot.MEDIA] = counts[event_id].get(Slot.MEDIA, 0) + n
    return counts


def _task_numbers(event_ids_qs: QuerySet) -> dict[int, list[str]]:
    through = Event.tasks.through
    out: dict[int, list[str]] = defaultdict(list)
    rows = through.objects.filter(event__in=event_ids_qs).values_list("event_id", "task__number").order_by("task_id")
    for event_id, number in rows.iterator(chunk_size=5000):
        out[event_id].append(number.rstrip(".、") if number else "")
    return out


def write_workbook(
    target: str | IO[bytes],
    *,
    campaign: Campaign,
    year: int,
    events: QuerySet[Event],
    include_unfinished: bool = False,
) -> int:
    """Write the annual 台账 workbook of `events` (already scoped to the reader) to `target`.

    Returns the number of dossier rows on 台账目录. Rows are written in order with constant_memory,
    so memory stays flat whatever the size of the year. Drafts and returned dossiers are left out unless
    `include_unfinished`; then their 档号 cell says 【草稿】/【退回】.
    """
    events = events_for_year(events, campaign=campaign, year=year, include_unfinished=include_unfinished)
    ids = events.values("pk")
    cfg = ledger_settings_for(campaign)
    counts = _slot_counts(ids)
    task_numbers = _task_numbers(ids)
    categories = dict(category_choices())
    statuses = {k: str(v) for k, v in EventStatus.choices}

    wb = xlsxwriter_workbook(
        target,
        constant_memory=True,
        default_date_format='yyyy"年"m"月"d"日"',
        tmpdir=tempfile.gettempdir(),
    )
    wb.set_properties({"title": clean_text(f"{campaign.title} {year}年度台账"), "author": "文明创建管理平台"})
    head = wb.add_format(
        {"bold": True, "bg_color": "#EEF0F3", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    text = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
    num = wb.add_format({"border": 1, "valign": "top", "align": "right"})
    date = wb.add_format({"border": 1, "valign": "top", "num_format": 'yyyy"年"m"月"d"日"'})
    pct = wb.add_format({"border": 1, "align": "right", "num_format": '0"%"'})
    title_fmt = wb.add_format({"bold": True, "font_size": 14})

    def prepare(ws, headers: list[str], widths: list[int], heading: str) -> None:
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&C&12{safe_text(heading).replace('&', '&&')}")
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.repeat_rows(0)
        ws.freeze_panes(1, 0)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.set_row(0, 30)
        for col, h in enumerate(headers):
            ws.write_string(0, col, h, head)

    # 台账目录 -------------------------------------------------------------------
    ws = wb.add_worksheet("台账目录")
    prepare(ws, CATALOGUE_HEADERS, CATALOGUE_WIDTHS, f"{campaign.unit.name} {year}年度活动台账目录")
    rows = events.order_by("start_date", "archive_number", "pk").values_list(
        "pk",
        "archive_number",
        "start_date",
        "title",
        "organization__name",
        "category",
        "status",
        "is_late_entry",
    )
    slot_values = list(Slot.values)
    requirements = {cat: cfg.requirements_for(cat) for cat in categories}
    verdicts: dict[tuple, str] = {}
    row = 0
    for pk, number, start, title, org_name, category, status, late in rows.iterator(chunk_size=2000):
        row += 1
        c = counts.get(pk, {})
        key = (category, tuple(c.get(slot, 0) for slot in slot_values))
        verdict = verdicts.get(key)
        if verdict is None:
            result = completeness_from_counts(requirements[category], c)
            verdict = verdicts[key] = safe_text("齐全" if result.complete else "缺：" + "、".join(result.missing))
        ws.write_string(row, 0, safe_text(unfinished_mark(status) + (number or "未编号")), text)
        ws.write_datetime(row, 1, datetime.datetime.combine(start, datetime.time()), date)
        ws.write_string(row, 2, safe_text(title), text)
        ws.write_string(row, 3, safe_text(org_name), text)
        ws.write_string(row, 4, safe_text(categories.get(category, category)), text)
        ws.write_string(row, 5, safe_text("、".join(task_numbers.get(pk, []))), text)
        for i, n in enumerate(key[1]):
            ws.write_number(row, 6 + i, n, num)
        ws.write_string(row, 12, verdict, text)
        ws.write_string(row, 13, "补录" if late else "", text)
        ws.write_string(row, 14, safe_text(statuses.get(status, status)), text)
    ws.autofilter(0, 0, max(row, 1), len(CATALOGUE_HEADERS) - 1)
    catalogue_rows = row

    # 任务完成情况 ----------------------------------------------------------------
    ws = wb.add_worksheet("任务完成情况")
    headers = ["编号", "任务", "牵头单位", "责任人", "完成时限", "状态", "进度", f"{year}年关联档案"]
    prepare(ws, headers, [8, 50, 24, 14, 14, 10, 8, 12], f"{campaign.title} 任务完成情况")
    lead = defaultdict(list)
    for task_id, name in Task.lead_units.through.objects.filter(task__campaign=campaign).values_list(
        "task_id", "organization__name"
    ):
        lead[task_id].append(name)
    linked = dict(
        Event.tasks.through.objects.filter(event__in=ids)
        .values_list("task_id")
        .annotate(n=Count("event_id"))
        .order_by()
    )
    tasks = (
        Task.objects.filter(campaign=campaign)
        .prefetch_related(Prefetch("responsible_people", queryset=User.objects.order_by("pk")))
        .order_by("order", "pk")
    )
    for row, task in enumerate(tasks.iterator(chunk_size=1000), start=1):
        ws.write_string(row, 0, safe_text(task.number), text)
        ws.write_string(row, 1, safe_text(task.title), text)
        ws.write_string(row, 2, safe_text("、".join(lead.get(task.pk, []))), text)
        ws.write_string(row, 3, safe_text("、".join(u.display_name for u in task.responsible_people.all())), text)
        if task.due_date:
            ws.write_datetime(row, 4, datetime.datetime.combine(task.due_date, datetime.time()), date)
        else:
            ws.write_string(row, 4, "", text)
        ws.write_string(row, 5, safe_text(task.get_status_display()), text)
        ws.write_number(row, 6, task.progress or 0, pct)
        ws.write_number(row, 7, linked.get(task.pk, 0), num)

    # 分类统计 --------------------------------------------------------------------
    ws = wb.add_worksheet("分类统计")
    cat_values = list(categories)
    headers = ["月份", *categories.values(), "合计"]
    prepare(ws, headers, [20] + [10] * (len(cat_values) + 1), f"{campaign.unit.name} {year}年度活动分类统计")
    by_month: dict[int, dict[str, int]] = defaultdict(dict)
    for month, category, n in events.values_list("start_date__month", "category").annotate(n=Count("pk")).order_by():
        by_month[month][category] = n
    row = 0
    for month in range(1, 13):
        row += 1
        ws.write_string(row, 0, f"{month}月", text)
        for i, cat in enumerate(cat_values):
            ws.write_number(row, 1 + i, by_month[month].get(cat, 0), num)
        ws.write_number(row, 1 + len(cat_values), sum(by_month[month].values()), num)
    row += 1
    ws.write_string(row, 0, "合计", head)
    for i, cat in enumerate(cat_values):
        ws.write_number(row, 1 + i, sum(m.get(cat, 0) for m in by_month.values()), num)
    ws.write_number(row, 1 + len(cat_values), sum(sum(m.values()) for m in by_month.values()), num)
    row += 2
    ws.write_string(row, 0, "组织单位", head)
    for i, label in enumerate(categories.values()):
        ws.write_string(row, 1 + i, label, head)
    ws.write_string(row, 1 + len(cat_values), "合计", head)
    by_org: dict[str, dict[str, int]] = defaultdict(dict)
    for org_path, org_name, category, n in (
        events.values_list("organization__path", "organization__name", "category")
        .annotate(n=Count("pk"))
        .order_by("organization__path")
    ):
        by_org[(org_path, org_name)][category] = n
    for (_path, org_name), cats in sorted(by_org.items()):
        row += 1
        ws.write_string(row, 0, safe_text(org_name), text)
        for i, cat in enumerate(cat_values):
            ws.write_number(row, 1 + i, cats.get(cat, 0), num)
        ws.write_number(row, 1 + len(cat_values), sum(cats.values()), num)
    ws.write_string(row + 2, 0, f"导出时间：{timezone.localtime():%Y年%m月%d日 %H:%M}", title_fmt)
    wb.close()
    return catalogue_rows


# ------------------------------------------------------------------------------
# ZIP archive
# ------------------------------------------------------------------------------
UNSAFE_PATH_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def path_part(text: str, limit: int = 60) -> str:
    """A folder or file name from user text: no separators, no dots at the ends, bounded length."""
    cleaned = UNSAFE_PATH_CHARS.sub("_", text).strip(" .")
    return (cleaned[:limit] or "_").strip(" .") or "_"


def archive_layout(events: QuerySet[Event]) -> Iterator[tuple[Event, str, list[tuple[EvidenceFile, str]]]]:
    """(event, folder, [(file, path in archive)]) in archive order: 年/类别/档号-活动名称/槽位-序号.扩展名."""
    categories = dict(category_choices())
    slots = {k: str(v) for k, v in Slot.choices}
    used_folders: set[str] = set()
    qs = (
        events.select_related("organization")
        .prefetch_related("evidence")
        .order_by("start_date", "archive_number", "pk")
    )
    for event in qs.iterator(chunk_size=200):
        number = unfinished_mark(event.status) + (event.archive_number or f"未编号{event.pk}")
        folder = (
            f"{event.start_date.year}年/{path_part(categories.get(event.category, event.category))}/"
            f"{path_part(number)}-{path_part(event.title)}"
        )
        if folder in used_folders:
            folder = f"{folder}-{event.pk}"
        used_folders.add(folder)
        seen: dict[str, int] = defaultdict(int)
        files = []
        for ev in sorted(event.evidence.all(), key=lambda f: (list(slots).index(f.slot), f.uploaded_at, f.pk)):
            seen[ev.slot] += 1
            files.append((ev, f"{folder}/{slots[ev.slot]}-{seen[ev.slot]:02d}.{ev.detected_type}"))
        yield event, folder, files


STORED_TYPES = {"jpg", "png", "webp", "gif", "mp4", "docx", "xlsx", "pptx"}


def write_archive(
    target: str | IO[bytes],
    *,
    campaign: Campaign,
    year: int,
    events: QuerySet[Event],
    on_dossier: Callable[[int], None] | None = None,
    include_unfinished: bool = False,
) -> int:
    """Write the ZIP of a year: the workbook at the top, every dossier's files, index.html and SHA256SUMS.

    Returns the number of evidence files written. Files are copied in chunks, hashed while copied.
    `on_dossier(n)` is called after the n-th dossier is written (the job's progress bar). Drafts and returned
    dossiers only with `include_unfinished`, their folders marked 【草稿】/【退回】.
    """
    events = events_for_year(events, campaign=campaign, year=year, include_unfinished=include_unfinished)
    sums: list[tuple[str, str]] = []
    slots = {k: str(v) for k, v in Slot.choices}
    statuses = {k: str(v) for k, v in EventStatus.choices}
    written = 0
    workbook_name = f"{year}年度台账.xlsx"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:

        def add(path: str, chunks, stored: bool = False) -> None:
            digest = hashlib.sha256()
            info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
            sums.append((digest.hexdigest(), path))

        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as tmp:
            tmp_name = tmp.name
        try:
            write_workbook(tmp_name, campaign=campaign, year=year, events=events, include_unfinished=include_unfinished)
            add(workbook_name, _file_chunks(tmp_name))
        finally:
            os.unlink(tmp_name)

        rows_html: list[str] = []
        for event, _folder, files in archive_layout(events):
            links = []
            for ev, path in files:
                with ev.file.open("rb") as fh:
                    add(path, iter(lambda fh=fh: fh.read(1 << 20), b""), stored=ev.detected_type in STORED_TYPES)
                written += 1
                href = quote(path)
                links.append(
                    f'<li><a href="{html.escape(href)}">{html.escape(path.rsplit("/", 1)[-1])}</a>'
                    f" <small>{html.escape(slots[ev.slot])} · 原名：{html.escape(ev.original_name)}</small></li>"
                )
            rows_html.append(
                f"<section><h3>{html.escape(unfinished_mark(event.status) + (event.archive_number or '未编号'))} "
                f"{html.escape(event.title)}</h3>"
                f"<p>{event.start_date:%Y年%m月%d日} · {html.escape(event.organization.name)} · "
                f"{html.escape(str(statuses.get(event.status, event.status)))}</p>"
                f"<ul>{''.join(links) or '<li>（无材料）</li>'}</ul></section>"
            )
            if on_dossier is not None:
                on_dossier(len(rows_html))
        index = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(campaign.title)} {year}年度台账</title>"
            "<style>body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}"
            "h3{margin-bottom:.2rem}small{color:#666}</style></head><body>"
            f"<h1>{html.escape(campaign.unit.name)} {year}年度台账</h1>"
            f'<p><a href="{quote(workbook_name)}">{html.escape(workbook_name)}</a> · '
            '<a href="SHA256SUMS">SHA256SUMS</a></p>' + "".join(rows_html) + "</body></html>"
        )
        add("index.html", [index.encode("utf-8")])
        sums_text = "".join(f"{h}  {p}\n" for h, p in sums)
        zf.writestr("SHA256SUMS", sums_text.encode("utf-8"))
    return written


def _file_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk
