"""Demo dossiers (our own invented activities), used by `manage.py seed_demo`.

About 60 dossiers per demo unit across the current and the previous year, each with small generated JPEGs
and PDFs, written through the services (so every file passes the same checks as a real upload). Some are
incomplete, some were completed late (补录), some were sent back. Idempotent: a dossier is found again by
its campaign and title, and a second run creates nothing.
"""

from __future__ import annotations

import datetime
import io

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignLevel
from demo.context import DemoContext

from . import services
from .models import ArchiveCounter, Event, EventLog, EvidenceFile, Slot

DEMO_UNITS = ("scjgj", "sthjj")
PER_UNIT = 60
# (category, title) pairs, used in rotation; each dossier adds its own 期 number so titles stay unique.
ACTIVITIES = [
    ("study", "党的创新理论专题学习会"),
    ("volunteer", "“文明交通我先行”志愿服务活动"),
    ("meeting", "文明单位创建工作推进会"),
    ("publicity", "“光盘行动·文明餐桌”宣传活动"),
    ("culture", "职工趣味运动会"),
    ("training", "文明礼仪与优质服务培训"),
    ("inspection", "创建工作自查检查"),
    ("volunteer", "“学雷锋”进社区志愿服务"),
    ("study", "“道德讲堂”身边好人宣讲"),
    ("other", "“我们的节日·端午”主题活动"),
]
PLACES = ["单位会议室", "人民广场", "解放路与人民路交叉口", "市体育中心", "幸福里社区", "单位职工之家"]
RETURN_REASON = "活动图片看不出时间和地点，请补充带横幅的现场照片后重新提交。"


def _jpeg(seed: int, size: tuple[int, int] = (160, 120)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, ((seed * 37) % 200 + 30, (seed * 91) % 200 + 30, (seed * 53) % 200 + 30))
    draw = ImageDraw.Draw(img)
    draw.rectangle((10 + seed % 40, 20, 90 + seed % 40, 80), outline=(255, 255, 255), width=3)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def _pdf(text: str) -> bytes:
    """A one-page PDF (ASCII text: the base-14 fonts carry no Chinese glyphs)."""
    stream = f"BT /F1 14 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _campaign_for(ctx: DemoContext, code: str) -> Campaign | None:
    unit = ctx.organizations.get(code)
    if unit is None:
        return None
    campaign = ctx.extra.get("campaigns", {}).get(code)
    if campaign is None:
        campaign = Campaign.objects.filter(unit=unit).order_by("-start_year").first()
    if campaign is None:
        from campaigns import services as campaign_services

        year = timezone.localdate().year
        campaign = campaign_services.campaign_create(
            unit=unit,
            title=f"{year}年度{unit.short_name or unit.name}文明单位创建",
            level=CampaignLevel.CITY,
            start_year=year,
            end_year=year,
            created_by=ctx.users.get(f"{code}_office"),
        )
    return campaign


def _aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _seed_event(ctx: DemoContext, code: str, campaign: Campaign, i: int, orgs: list) -> Event:
    category, base = ACTIVITIES[i % len(ACTIVITIES)]
    today = timezone.localdate()
    year = campaign.start_year - 1 if i < PER_UNIT // 2 else campaign.start_year
    start = min(datetime.date(year, 1, 6) + datetime.timedelta(days=(i % (PER_UNIT // 2)) * 11), today)
    title = f"{base}（{year}年第{i % (PER_UNIT // 2) + 1}期）"
    existing = Event.objects.filter(campaign=campaign, title=title).first()
    if existing is not None:
        return existing
    liaison = ctx.users.get(f"{code}_liaison")
    office = ctx.users.get(f"{code}_office")
    org = orgs[i % len(orgs)]
    event = services.event_create(
        campaign=campaign,
        organization=org,
        title=title,
        start_date=start,
        category=category,
        created_by=liaison,
        place=PLACES[i % len(PLACES)],
        participant_count=15 + (i * 7) % 60,
        description=f"{org.name}组织开展{base}，参加人员认真参与，取得良好效果。",
        tasks=list(campaign.tasks.order_by("order")[i % 5 : i % 5 + 1]),
    )
    kind = i % 10  # 0: incomplete draft, 1: sent back, 2: completed late (补录), else complete and filed
    services.evidence_add(
        event=event,
        slot=Slot.PLAN,
        uploads=[services.Upload("活动方案.pdf", _pdf(f"Plan {code} {i}"))],
        uploaded_by=liaison,
    )
    if kind != 0:
        services.evidence_add(
            event=event,
            slot=Slot.PHOTO,
            uploads=[
                services.Upload(f"现场照片{k}.jpg", _jpeg(i * 10 + k + sum(map(ord, code)) % 7)) for k in (1, 2, 3)
            ],
            uploaded_by=liaison,
        )
        services.evidence_add(
            event=event,
            slot=Slot.SUMMARY,
            uploads=[services.Upload("活动总结.pdf", _pdf(f"Summary {code} {i}"))],
            uploaded_by=liaison,
        )
        if i % 3 != 0:  # most activities kept their sign-in sheet
            services.evidence_add(
                event=event,
                slot=Slot.SIGNIN,
                uploads=[services.Upload("签到表.pdf", _pdf(f"Sign-in {code} {i}"))],
                uploaded_by=liaison,
            )
        if i % 4 == 0:
            # The report with its screenshot: that file is what an inspector sees of the coverage.
            (screenshot,) = services.evidence_add(
                event=event,
                slot=Slot.MEDIA,
                uploads=[services.Upload("报道截图.jpg", _jpeg(i, size=(240, 135)))],
                uploaded_by=liaison,
            )
            services.media_report_add(
                event=event,
                actor=liaison,
                outlet="某市日报",
                date=start + datetime.timedelta(days=2),
                title=f"{org.name}开展{base}",
                url="https://example.com/news/demo",
                screenshot=screenshot,
            )
    # History as it would have happened: evidence arrived a few days after the activity (45 days for 补录).
    arrived = start + datetime.timedelta(days=45 if kind == 2 else 2 + i % 5)
    arrived_at = _aware(min(arrived, today))
    EvidenceFile.objects.filter(event=event).update(uploaded_at=arrived_at)
    event.refresh_from_db()
    if event.is_complete:
        late = services.late_days(event, arrived_at) > services.LATE_ENTRY_DAYS
        Event.objects.filter(pk=event.pk).update(completed_at=arrived_at, is_late_entry=late)
    if kind == 0:
        return event
    services.event_submit(event=event, actor=liaison)
    if kind == 1:
        services.event_return(event=event, actor=office, reason=RETURN_REASON)
    elif start < today - datetime.timedelta(days=14):
        services.event_archive(event=event, actor=office)
    event.refresh_from_db()
    return event


def seed(ctx: DemoContext) -> dict:
    rows = []
    for code in DEMO_UNITS:
        campaign = _campaign_for(ctx, code)
        if campaign is None:
            continue
        unit = campaign.unit
        orgs = [unit, *[o for c, o in sorted(ctx.organizations.items()) if c.startswith(f"{code}-")][:4]]
        with transaction.atomic():
            events = [_seed_event(ctx, code, campaign, i, orgs) for i in range(PER_UNIT)]
        rows += [{"id": e.pk, "archive_number": e.archive_number, "unit_code": code} for e in events]
    return {"events": rows}


@transaction.atomic
def reset(ctx: DemoContext) -> None:
    """Delete the demo units' dossiers, their files and their number counters."""
    events = Event.objects.filter(campaign__unit__code__in=DEMO_UNITS)
    names = [
        n for pair in EvidenceFile.objects.filter(event__in=events).values_list("file", "thumbnail") for n in pair if n
    ]
    EventLog.objects.filter(event__in=events).delete()
    EvidenceFile.objects.filter(event__in=events).delete()
    events.delete()
    ArchiveCounter.objects.filter(unit__code__in=DEMO_UNITS).delete()
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
