"""`manage.py seed_demo --scale large`: one city of 50 units for the 驾驶舱, the 动态管理 page and the benchmarks.

Under the demo 文明办 (`city`, so `city_office` and the other demo accounts see every unit) it adds, by default:
50 units × 12 departments, a campaign per unit with 4 phases and 150 tasks under 10 headings, 400 dossiers per unit
(20,000) with 4 small files each, 100 volunteers per unit with 40 service records each (200,000) over 60 activities,
three self-inspection rounds per unit over the demo evaluation system with criterion tags on tasks and dossiers,
rectification items, and a daily snapshot per unit for the last 12 months.

Rows are written with `bulk_create` in batches, not through the per-row services, but carry what the services
would have set: statuses and their times agree (a submitted dossier has its 档号 and `submitted_at`; complete means
方案通知 + 总结简报 + 2 张活动图片; 补录 is completion more than 30 days after the activity), every date lies between
the campaign's 1 January and today, scores are computed by `evaluation.services.compute_value`, today's snapshot by
`dashboards.services.snapshot_units` and the earlier days from the same rows as of each day.

Files: a handful of blobs (4 方案 PDFs, 4 总结 PDFs, 8 photos) pass `ledger.uploads.check_file` once and are stored
by `ledger.services.store_checked`; every evidence row then gets its own generated name, a hard link to its blob, so
deleting one dossier's file never removes another's (where the storage is not a local directory, rows share the
blob names instead). Photo checks are not run (as with EVIDENCE_CHECKS_ON_UPLOAD off): the shared photos would all
be duplicates of each other, so do not run `scan_evidence` on this data.

Idempotent: a second run finds the units and changes nothing; `--reset` removes them (and their files) first.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import io
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignLevel,
    CampaignStatus,
    Phase,
    ProgressReport,
    Recurrence,
    Task,
    TaskStatus,
)
from dashboards.models import UnitSnapshot
from demo.context import DemoContext
from evaluation.models import (
    BonusClaim,
    CampaignSystem,
    Criterion,
    EvaluationSystem,
    NegativeDeclaration,
    RectificationItem,
    RectificationStatus,
    Score,
    ScoringStyle,
    SelfAssessment,
)
from ledger.models import ArchiveCounter, Event, EventLog, EventStatus, EvidenceFile, LogAction, Slot
from ledger.uploads import CheckedFile, check_file
from organizations.models import Membership, Organization, OrganizationKind, Role, User
from volunteers.models import (
    ActivityCategory,
    RecordStatus,
    ServiceActivity,
    ServiceRecord,
    StaffCount,
    Volunteer,
    VolunteerTargets,
)

CODE_PREFIX = "large"
CODE_REGEX = rf"^{CODE_PREFIX}[0-9]{{2}}$"
USERNAME_REGEX = rf"^{CODE_PREFIX}[0-9]{{2}}_"
BATCH = 2000
LATE_ENTRY_DAYS = 30  # ledger.services.LATE_ENTRY_DAYS
RETURN_REASON = "活动图片看不出时间和地点，请补充带横幅的现场照片后重新提交。"
RECORD_RETURN_REASON = "签到表上没有本人签名，请核实后重报"


@dataclass(frozen=True)
class Shape:
    """How much to make. The defaults are the city scale of issue 12; tests use `scaled` for a quick run."""

    units: int = 50
    departments: int = 12
    headings: int = 10
    tasks: int = 150  # leaf tasks per unit (the headings come on top)
    dossiers: int = 400
    volunteers: int = 100
    records: int = 40  # per volunteer
    activities: int = 60
    rounds: int = 3

    @classmethod
    def scaled(cls, *, units: int = 50, factor: float = 1.0) -> Shape:
        base = cls()

        def f(n: int, least: int) -> int:
            return max(least, round(n * factor))

        records = f(base.records, 2)
        return replace(
            base,
            units=units,
            tasks=f(base.tasks, 10),
            dossiers=f(base.dossiers, 12),
            volunteers=f(base.volunteers, 4),
            records=records,
            activities=max(records, f(base.activities, 3)),
        )

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


UNIT_NAMES = [
    "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局",
    "自然资源和规划局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化广电旅游局",
    "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "国有资产监督管理委员会", "体育局", "统计局",
    "医疗保障局", "城市管理局", "林业局", "行政审批服务局", "信访局", "机关事务管理局", "大数据管理局", "档案馆",
    "图书馆", "博物馆", "人民医院", "中医院", "妇幼保健院", "疾病预防控制中心", "第一中学", "实验小学", "职业技术学院",
    "供电公司", "自来水公司", "公交集团", "燃气公司", "邮政分公司", "广播电视台", "日报社", "税务局", "气象局",
    "消防救援支队", "公共资源交易中心",
]  # fmt: skip
DEPARTMENTS = [
    ("bgs", "办公室"), ("rsk", "人事科"), ("jgdw", "机关党委"), ("cwk", "财务科"), ("fgk", "法规科"),
    ("ghk", "综合规划科"), ("xck", "宣传科"), ("xxzx", "信息中心"), ("ywyk", "业务一科"), ("ywek", "业务二科"),
    ("dck", "督查科"), ("hqzx", "后勤服务中心"),
]  # fmt: skip
PEOPLE = [
    ("admin", Role.ADMIN, "信息管理员", ""),
    ("office", Role.OFFICE, "创建办主任", ""),
    ("leader", Role.LEADER, "主要负责人（组长）", ""),
    ("liaison", Role.LIAISON, "联络员", "bgs"),
]
PHASES = [
    ("动员部署阶段", 0.0, 0.15, "成立创建工作领导小组，制定实施方案，召开动员大会。"),
    ("全面创建阶段", 0.15, 0.7, "按任务分解表推进各项创建任务，建立一事一档台账。"),
    ("自查整改阶段", 0.7, 0.9, "对照测评体系开展自检自查，建立整改清单并逐项销号。"),
    ("总结验收阶段", 0.9, 1.0, "总结创建工作，整理归档台账，迎接测评验收。"),
]
HEADINGS = [
    "思想道德建设", "领导班子建设", "组织建设", "制度建设", "业务工作", "学雷锋志愿服务",
    "诚信建设", "文化建设", "环境建设", "创建活动",
]  # fmt: skip
TASK_VERBS = ["组织开展", "建立健全", "深入推进", "落实", "持续开展", "完善"]
TASK_OBJECTS = [
    "理论学习中心组学习", "“三会一课”制度", "道德讲堂活动", "志愿服务常态化", "诚信承诺践诺", "文明礼仪培训",
    "窗口服务规范", "职工文化活动", "环境卫生整治", "廉政风险防控", "政务公开", "网络文明传播",
]  # fmt: skip
ACTIVITIES = [
    ("study", "党的创新理论专题学习会"), ("volunteer", "“文明交通我先行”志愿服务活动"),
    ("meeting", "文明单位创建工作推进会"), ("publicity", "“光盘行动·文明餐桌”宣传活动"),
    ("culture", "职工趣味运动会"), ("training", "文明礼仪与优质服务培训"), ("inspection", "创建工作自查检查"),
    ("volunteer", "“学雷锋”进社区志愿服务"), ("study", "“道德讲堂”身边好人宣讲"), ("other", "“我们的节日”主题活动"),
]  # fmt: skip
PLACES = ["单位会议室", "人民广场", "解放路与人民路交叉口", "市体育中心", "幸福里社区", "单位职工之家"]
SERVICE = [
    ("“学雷锋”便民服务", ActivityCategory.LEI_FENG, "市民广场"),
    ("文明交通路口劝导", ActivityCategory.TRAFFIC, "人民路与解放路口"),
    ("河道清洁志愿服务", ActivityCategory.ENVIRONMENT, "护城河沿线"),
    ("政策宣讲进社区", ActivityCategory.CIVILISATION_PRACTICE, "新时代文明实践站"),
    ("共建文明社区环境整治", ActivityCategory.COMMUNITY, "幸福里社区"),
]
TEAMS = ("学雷锋志愿服务队", "文明交通志愿服务队", "生态环保志愿服务队", "“红马甲”志愿服务队")
# Hours a volunteer usually serves per activity: some keen, most around the target, some well under it.
HOURS_BASE = ("0.5", "0.5", "0.5", "1", "1", "1.5", "2")


class LargeExists(Exception):
    """The large-scale units are already there (the command reports it; nothing was changed)."""


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------
def _aware(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """The local wall time as an aware datetime (the zone looked up once: this runs ~600,000 times)."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=_zone())


@functools.cache
def _zone() -> datetime.tzinfo:
    return timezone.get_default_timezone()


def _bulk(model: type[models.Model], rows: list) -> list:
    if not rows:
        return rows
    return model.objects.bulk_create(rows, batch_size=BATCH)


@contextmanager
def _given_times(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the historical times we set (auto_now / auto_now_add would stamp them all 'now')."""
    changed = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in changed:
            f.auto_now, f.auto_now_add = now, add


def large_units(root: Organization | None = None) -> models.QuerySet:
    qs = Organization.objects.filter(kind=OrganizationKind.UNIT, code__regex=CODE_REGEX)
    if root is not None:
        qs = qs.filter(parent=root)
    return qs.order_by("path")


def _root(ctx: DemoContext) -> Organization:
    root = ctx.organizations.get("city") or Organization.objects.filter(code="city").first()
    if root is None:
        raise RuntimeError("找不到演示文明办（city），请先运行 seed_demo。")
    return root


# ------------------------------------------------------------------------------------------------
# Files: a few checked blobs, one generated name (a hard link) per evidence row
# ------------------------------------------------------------------------------------------------
@dataclass
class Blob:
    checked: CheckedFile
    name: str  # the stored master
    thumb: str = ""  # the stored master thumbnail (images)


class FileLinker:
    """Gives each evidence row its own stored name for one of a few blobs; removes everything on failure."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.masters: list[str] = []
        try:
            default_storage.path("x")
            self.local = True
        except NotImplementedError:
            self.local = False

    def store(self, checked: CheckedFile) -> Blob:
        from ledger.services import store_checked

        name = store_checked(checked, self.masters)
        blob = Blob(checked=checked, name=name)
        if checked.detected_type == "jpg":
            blob.thumb = default_storage.save(
                f"ledger/thumbs/{name.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.jpg", ContentFile(_thumbnail(checked.data))
            )
            self.masters.append(blob.thumb)
        return blob

    def _link(self, master: str, name: str) -> str:
        target = default_storage.path(name)
        try:
            os.link(default_storage.path(master), target)
        except FileExistsError:  # a generated name is new; one taken means another writer: choose again
            return self._link(master, f"{name.rsplit('.', 1)[0]}x.{name.rsplit('.', 1)[1]}")
        except OSError:  # a new month's folder, too many links to one inode, or no links here: write a copy
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with default_storage.open(master, "rb") as src, open(target, "xb") as dst:
                dst.write(src.read())
        self.written.append(name)
        return name

    def names_for(self, blob: Blob) -> tuple[str, str]:
        """(file, thumbnail) names for one more row holding `blob`."""
        if not self.local:
            return blob.name, blob.thumb
        name = self._link(blob.name, blob.checked.storage_name("ledger"))
        thumb = ""
        if blob.thumb:
            thumb = self._link(blob.thumb, f"ledger/thumbs/{name.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.jpg")
        return name, thumb

    def finish(self) -> None:
        """The masters are only link sources: once every row has its own name they go (the data stays)."""
        if self.local:
            names = list(self.masters)
            transaction.on_commit(lambda: _delete_names(names))

    def discard(self) -> None:
        _delete_names(self.written + self.masters)


def _delete_names(names: list[str]) -> None:
    for name in names:
        with suppress(OSError):  # already gone is what we want
            default_storage.delete(name)


def _thumbnail(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    from ledger.services import THUMBNAIL_SIZE

    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def _blobs(linker: FileLinker) -> dict[str, list[Blob]]:
    from ledger.demo import _jpeg, _pdf

    plans = [linker.store(check_file("活动方案.pdf", _pdf(f"Activity plan no. {i + 1}"))) for i in range(4)]
    summaries = [linker.store(check_file("活动总结.pdf", _pdf(f"Activity summary no. {i + 1}"))) for i in range(4)]
    photos = [linker.store(check_file("现场照片.jpg", _jpeg(101 + i * 13))) for i in range(8)]
    return {Slot.PLAN: plans, Slot.SUMMARY: summaries, Slot.PHOTO: photos}


# ------------------------------------------------------------------------------------------------
# The seed
# ------------------------------------------------------------------------------------------------
@dataclass
class UnitWorld:
    """What one unit got, kept for the snapshots of the earlier days."""

    unit: Organization
    campaign: Campaign
    tasks: list[tuple[datetime.date, datetime.date | None]]  # leaf (due, done on)
    dossiers: list[tuple[datetime.date, datetime.date, datetime.date | None, bool]]  # activity, created, complete, late
    rect: list[tuple[datetime.date, datetime.date, datetime.date | None]]  # created, deadline, closed
    rounds: list[tuple[datetime.date, Decimal | None, bool]]  # date, % of full marks, vetoed
    hours: list[tuple[datetime.date, int, Decimal]]  # confirmed on, volunteer index, hours
    registered: int
    registered_ids: set[int]
    hours_target: Decimal


def seed(ctx: DemoContext, shape: Shape | None = None, *, log: Callable[[str], None] | None = None) -> dict:
    """Make the large-scale city under the demo 文明办; raises LargeExists when it is already there."""
    shape = shape or Shape()
    log = log or (lambda _msg: None)
    root = _root(ctx)
    existing = large_units().count()
    if existing:
        raise LargeExists(existing)
    started = time.perf_counter()
    today = timezone.localdate()
    linker = FileLinker()
    try:
        with transaction.atomic():
            system = _evaluation_system()
            blobs = _blobs(linker)
            made = _organizations_and_people(root, shape)
            log(f"  组织与账号：{time.perf_counter() - started:.1f} 秒")
            with _given_times(
                Campaign, Task, ProgressReport, Event, EvidenceFile, EventLog, SelfAssessment, Score,
                RectificationItem, Volunteer, ServiceActivity, ServiceRecord,
            ):  # fmt: skip
                worlds = []
                for n, (unit, depts, people) in enumerate(made, start=1):
                    worlds.append(_unit(n, unit, depts, people, shape, system, blobs, linker, today))
                    if n % 10 == 0 or n == len(made):
                        log(f"  {n}/{len(made)} 个单位：{time.perf_counter() - started:.1f} 秒")
            current = _snapshots_today(worlds, today)
            log(f"  今日快照：{time.perf_counter() - started:.1f} 秒")
            with _given_times(UnitSnapshot):
                _snapshot_history(worlds, today, current)
            log(f"  历史快照：{time.perf_counter() - started:.1f} 秒")
            linker.finish()
    except BaseException:
        linker.discard()
        raise
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics, else the planner guesses from empty tables
            cursor.execute("ANALYZE")
    seconds = round(time.perf_counter() - started, 1)
    return {"shape": shape.as_dict(), "seconds": seconds, "counts": counts(root)}


def counts(root: Organization | None = None) -> dict[str, int]:
    """Rows of the large-scale units, per kind (what LARGE_READY and the tests report)."""
    units = large_units(root)
    paths = list(units.values_list("path", flat=True))
    if not paths:
        return {"units": 0}
    campaigns = Campaign.objects.filter(unit__in=units)
    sub = models.Q()
    for p in paths:
        sub |= models.Q(organization__path__startswith=p)
    vol_sub = models.Q()
    for p in paths:
        vol_sub |= models.Q(volunteer__organization__path__startswith=p)
    return {
        "units": len(paths),
        "departments": Organization.objects.filter(parent__in=units, kind=OrganizationKind.DEPARTMENT).count(),
        "users": User.objects.filter(username__regex=USERNAME_REGEX).count(),
        "tasks": Task.objects.filter(campaign__in=campaigns, children__isnull=True).count(),
        "dossiers": Event.objects.filter(campaign__in=campaigns).count(),
        "evidence_files": EvidenceFile.objects.filter(event__campaign__in=campaigns).count(),
        "volunteers": Volunteer.objects.filter(sub).count(),
        "service_activities": ServiceActivity.objects.filter(sub).count(),
        "service_records": ServiceRecord.objects.filter(vol_sub).count(),
        "self_assessments": SelfAssessment.objects.filter(campaign__in=campaigns).count(),
        "scores": Score.objects.filter(assessment__campaign__in=campaigns).count(),
        "rectification_items": RectificationItem.objects.filter(campaign__in=campaigns).count(),
        "snapshots": UnitSnapshot.objects.filter(unit__in=units).count(),
    }


SYSTEM_NAME = "某市文明单位测评体系（城市规模演示）"
SYSTEM_ITEMS = [
    ("思想道德建设", ["理论学习", "社会主义核心价值观", "道德讲堂", "诚信建设", "网络文明"]),
    ("领导班子建设", ["班子团结", "责任落实", "作风建设", "廉洁自律", "民主决策"]),
    ("创建工作机制", ["组织领导", "实施方案", "任务分解", "台账管理", "督查考核"]),
    ("业务工作与服务", ["业务实绩", "窗口服务", "群众满意", "依法行政", "创新发展"]),
    ("志愿服务与文明实践", ["志愿者注册", "服务时长", "学雷锋活动", "文明实践", "结对共建"]),
    ("文化与环境建设", ["文体活动", "宣传阵地", "环境卫生", "节约型机关", "安全稳定"]),
]
SYSTEM_STANDARDS = [
    "有年度计划，按计划组织开展，有记录、有总结",
    "每季度至少开展1次专题活动，图片、简报齐全",
]


def _evaluation_system() -> EvaluationSystem:
    """A 60-criterion system of our own text (6 测评项目 × 5 指标 × 2 标准, every scoring style, evidence rules on
    half of them), imported through the evaluation service; found again by name."""
    from evaluation.services import system_import
    from evaluation.workbook import (
        ParsedBonus,
        ParsedCriterion,
        ParsedIndicator,
        ParsedItem,
        ParsedNegative,
        ParsedSystem,
    )

    existing = EvaluationSystem.objects.filter(name=SYSTEM_NAME).order_by("pk").first()
    if existing is not None:
        return existing
    parsed = ParsedSystem(
        meta={
            "name": SYSTEM_NAME,
            "level": "市级",
            "year": str(timezone.localdate().year),
            "issuer": "某市文明办（演示数据）",
            "total_points": Decimal("100"),
            "bonus_cap": Decimal("5"),
            "notes": "城市规模演示用测评体系，内容为本项目自拟。",
        }
    )
    styles = [ScoringStyle.POINTS, ScoringStyle.POINTS, ScoringStyle.GRADE, ScoringStyle.DEDUCTION, ScoringStyle.YES_NO]
    n = 0
    for i, (item, indicators) in enumerate(SYSTEM_ITEMS, start=1):
        item_points = Decimal(0)
        for j, indicator in enumerate(indicators, start=1):
            ind_points = Decimal(0)
            for k, standard in enumerate(SYSTEM_STANDARDS, start=1):
                points = Decimal("2.5") if (j == 1 and k == 1) else Decimal("1.5")
                ruled = n % 2 == 0
                parsed.criteria.append(
                    ParsedCriterion(
                        indicator_code=f"{i}.{j}",
                        code=f"{i}.{j}.{k}",
                        text=f"{indicator}：{standard}",
                        points=points,
                        style=styles[n % len(styles)],
                        methods="查阅资料" if k == 1 else "查阅资料、实地查看",
                        evidence_text="提供活动方案、现场图片和总结简报" if ruled else "",
                        rule_min_dossiers=(1 + n % 3) if ruled else None,
                        rule_min_photos=2 if ruled else None,
                        rule_slots=[Slot.PLAN, Slot.SUMMARY] if ruled else [],
                        rule_period_months=12 if ruled else None,
                        order=n,
                        row=0,
                    )
                )
                ind_points += points
                n += 1
            parsed.indicators.append(
                ParsedIndicator(
                    item_code=str(i), code=f"{i}.{j}", name=indicator, points=ind_points, methods="", order=n, row=0
                )
            )
            item_points += ind_points
        parsed.items.append(ParsedItem(code=str(i), name=item, points=item_points, order=i, row=0))
    parsed.negatives = [
        ParsedNegative("F1", "单位干部职工发生严重违法违纪问题", "veto", None, 12, 1),
        ParsedNegative("F2", "发生造成恶劣社会影响的不文明事件", "deduct", Decimal("2"), 12, 2),
        ParsedNegative("F3", "创建台账弄虚作假", "warning", None, 12, 3),
    ]
    parsed.bonuses = [
        ParsedBonus("J1", "获得市级以上文明创建相关表彰", Decimal("3"), 1),
        ParsedBonus("J2", "创建工作经验被市级以上推广", Decimal("3"), 2),
    ]
    return system_import(parsed=parsed, filename="")


def _organizations_and_people(root: Organization, shape: Shape) -> list:
    """The units and departments through the organisation service (paths, audit), the people in bulk."""
    from organizations.demo import DEMO_PASSWORD
    from organizations.services import organization_create

    if shape.units > len(UNIT_NAMES) or shape.units > 99:
        raise ValueError(f"大规模演示最多 {min(len(UNIT_NAMES), 99)} 个单位。")
    password = make_password(DEMO_PASSWORD)  # one hash for all: hashing 200 passwords would take a minute
    out = []
    users: list[User] = []
    grants: list[tuple[int, str, str, str]] = []
    taken = set(Organization.objects.filter(parent=root).values_list("name", flat=True))
    for n in range(1, shape.units + 1):
        code = f"{CODE_PREFIX}{n:02d}"
        name = f"某市{UNIT_NAMES[n - 1]}"
        if name in taken:
            name = f"{name}（{n}）"
        unit = organization_create(
            name=name, short_name=f"市{UNIT_NAMES[n - 1]}", code=code, kind=OrganizationKind.UNIT, parent=root, order=n
        )
        depts = [
            organization_create(
                name=dept, code=f"{code}-{suffix}", kind=OrganizationKind.DEPARTMENT, parent=unit, order=i
            )
            for i, (suffix, dept) in enumerate(DEPARTMENTS[: shape.departments])
        ]
        people = {}
        for suffix, role, title, dept in PEOPLE:
            user = User(username=f"{code}_{suffix}", password=password, real_name=f"{unit.short_name}{title}"[:50])
            users.append(user)
            people[suffix] = user
            org = next((d for d in depts if d.code == f"{code}-{dept}"), unit) if dept else unit
            grants.append((len(users) - 1, org, role, title))
        out.append((unit, depts, people))
    _bulk(User, users)
    _bulk(
        Membership,
        [Membership(user=users[i], organization=org, role=role, title=title) for i, org, role, title in grants],
    )
    return out


def _unit(
    n: int,
    unit: Organization,
    depts: list[Organization],
    people: dict[str, User],
    shape: Shape,
    system: EvaluationSystem,
    blobs: dict[str, list[Blob]],
    linker: FileLinker,
    today: datetime.date,
) -> UnitWorld:
    rng = random.Random(f"wenming-large-{unit.code}")
    year = today.year
    start = datetime.date(year, 1, 1)
    span = max((today - start).days, 1)
    office, liaison = people["office"], people["liaison"]
    quality = rng.uniform(0.75, 1.15)  # how well this unit does (spreads the city table)

    def day_at(fraction: float) -> datetime.date:
        return start + datetime.timedelta(days=min(span, max(0, round(span * fraction))))

    campaign = Campaign.objects.create(
        unit=unit,
        title=f"{year}年度{unit.short_name}文明单位创建",
        level=CampaignLevel.CITY,
        start_year=year,
        end_year=year,
        status=CampaignStatus.ACTIVE,
        guiding_idea="以社会主义核心价值观为引领，深化文明单位创建。",
        goals="创建市级文明单位，各项测评指标达到标准。",
        created_by=office,
        created_at=_aware(start, 9),
        updated_at=_aware(start, 9),
    )
    year_end = datetime.date(year, 12, 31)
    full = (year_end - start).days
    phases = _bulk(
        Phase,
        [
            Phase(
                campaign=campaign,
                name=name,
                start=start + datetime.timedelta(days=round(full * a)),
                end=start + datetime.timedelta(days=round(full * b) - (0 if b == 1.0 else 1)),
                description=text,
                order=i,
            )
            for i, (name, a, b, text) in enumerate(PHASES)
        ],
    )
    leaves, timeline = _tasks(rng, campaign, phases, depts, office, shape, today, quality)
    events, dossiers = _dossiers(rng, n, campaign, unit, depts, liaison, office, shape, blobs, linker, today, quality)
    Event.tasks.through.objects.bulk_create(
        [Event.tasks.through(event_id=e.pk, task_id=leaves[i % len(leaves)].pk) for i, e in enumerate(events)],
        batch_size=BATCH,
    )
    rect, rounds = _evaluation(rng, campaign, system, depts, office, leaves, events, shape, today, quality, day_at)
    hours, registered_ids, target = _volunteers(rng, n, unit, depts, campaign, liaison, office, shape, today, quality)
    return UnitWorld(
        unit=unit,
        campaign=campaign,
        tasks=timeline,
        dossiers=dossiers,
        rect=rect,
        rounds=rounds,
        hours=hours,
        registered=len(registered_ids),
        registered_ids=registered_ids,
        hours_target=target,
    )


def _tasks(rng, campaign, phases, depts, office, shape: Shape, today, quality):
    year_start = datetime.date(campaign.start_year, 1, 1)
    created = _aware(year_start, 9, 30)
    headings = _bulk(
        Task,
        [
            Task(
                campaign=campaign,
                number=f"{'一二三四五六七八九十'[h % 10]}{'、' if h < 10 else str(h)}",
                title=HEADINGS[h % len(HEADINGS)],
                order=h * 1000,
                created_at=created,
                updated_at=created,
            )
            for h in range(shape.headings)
        ],
    )
    leaves: list[Task] = []
    timeline: list[tuple[datetime.date, datetime.date | None]] = []
    lead: list[int] = []
    for i in range(shape.tasks):
        h = i % shape.headings
        phase = phases[min(len(phases) - 1, int(rng.random() ** 0.8 * len(phases)))]
        due = phase.start + datetime.timedelta(days=rng.randint(0, max((phase.end - phase.start).days, 0)))
        recurrence = Recurrence.ONCE if i % 7 else Recurrence.MONTHLY
        done = rng.random() < (min(0.97, 0.8 * quality) if due < today else 0.25 * quality)
        if done:
            earliest = min(max(phase.start, year_start), today)
            if due < today:
                done_on = max(due - datetime.timedelta(days=rng.randint(0, 12)), earliest)
            else:  # done ahead of time: some day between the phase's start and today
                done_on = earliest + datetime.timedelta(days=rng.randint(0, (today - earliest).days))
            status, progress = TaskStatus.DONE, 100
        else:
            done_on = None
            doing = phase.start <= today and rng.random() < 0.7
            status, progress = (TaskStatus.DOING, rng.choice((20, 30, 50, 60, 80))) if doing else (TaskStatus.TODO, 0)
        changed = _aware(done_on or min(today, max(phase.start, year_start)), 16)
        leaves.append(
            Task(
                campaign=campaign,
                parent=headings[h],
                number=str(i // shape.headings + 1),
                title=f"{rng.choice(TASK_VERBS)}{TASK_OBJECTS[i % len(TASK_OBJECTS)]}（{i + 1}）",
                content="按照创建方案要求推进，形成佐证材料并及时归档。",
                phase=phase,
                due_date=due,
                recurrence=recurrence,
                status=status,
                progress=progress,
                order=h * 1000 + i + 1,
                created_at=created,
                updated_at=changed if progress else created,
            )
        )
        timeline.append((due, done_on))
        lead.append(i % len(depts))
    _bulk(Task, leaves)
    through = Task.lead_units.through
    _bulk(through, [through(task_id=t.pk, organization_id=depts[lead[i]].pk) for i, t in enumerate(leaves)])
    co = Task.cooperating_units.through
    _bulk(
        co,
        [co(task_id=t.pk, organization_id=depts[(lead[i] + 3) % len(depts)].pk) for i, t in enumerate(leaves) if i % 3],
    )
    _bulk(
        ProgressReport,
        [
            ProgressReport(
                task=t,
                organization=depts[lead[i]],
                author=office,
                text="已按计划推进，相关材料已归档。" if t.progress == 100 else "正在推进，已完成部分工作。",
                percent=t.progress,
                reported_on=t.updated_at.date(),
                created_at=t.updated_at,
            )
            for i, t in enumerate(leaves)
            if t.progress
        ],
    )
    return leaves, timeline


def _dossiers(rng, n, campaign, unit, depts, liaison, office, shape: Shape, blobs, linker, today, quality):
    year_start = datetime.date(campaign.start_year, 1, 1)
    span = max((today - year_start).days, 1)
    now = timezone.now()
    orgs = [unit, *depts]
    per_base: dict[str, int] = defaultdict(int)
    events: list[Event] = []
    plans: list[dict] = []
    for k in range(shape.dossiers):
        category, base = ACTIVITIES[k % len(ACTIVITIES)]
        activity = year_start + datetime.timedelta(days=round(span * (k + rng.random()) / shape.dossiers))
        activity = min(activity, today)
        end = activity + datetime.timedelta(days=1) if k % 9 == 0 and activity < today else None
        last_day = end or activity
        age = (today - last_day).days
        per_base[base] += 1
        org = orgs[k % len(orgs)]
        roll = rng.random()
        if age <= 10:
            state = "draft_incomplete" if roll < 0.25 else ("draft" if roll < 0.45 else "submitted")
        elif roll < 0.05 / quality:
            state = "draft_incomplete"
        elif roll < 0.11:
            state = "returned"
        elif roll < 0.14:
            state = "submitted"
        else:
            state = "archived"
        created_day = min(last_day + datetime.timedelta(days=rng.randint(0, 2)), today)
        created_at = min(_aware(created_day, 9, rng.randint(0, 59)), now)
        completed_at = None
        if state != "draft_incomplete":
            late = rng.random() < 0.09 / quality
            delay = rng.randint(LATE_ENTRY_DAYS + 2, 60) if late else int(rng.random() ** 2 * 14)
            done_day = min(last_day + datetime.timedelta(days=delay), today)
            completed_at = max(min(_aware(done_day, 15, rng.randint(0, 59)), now), created_at)
            if state in ("returned", "submitted", "archived") and completed_at > now - datetime.timedelta(hours=2):
                state = "draft"
        submitted_at = archived_at = None
        if state in ("returned", "submitted", "archived"):
            submitted_at = min(completed_at + datetime.timedelta(hours=rng.randint(1, 72)), now)
            if state == "archived":
                archived_at = submitted_at + datetime.timedelta(hours=rng.randint(4, 24 * 7))
                if archived_at > now:
                    state, archived_at = "submitted", None
        is_late = bool(completed_at and (timezone.localtime(completed_at).date() - last_day).days > LATE_ENTRY_DAYS)
        status = {
            "draft_incomplete": EventStatus.DRAFT,
            "draft": EventStatus.DRAFT,
            "returned": EventStatus.RETURNED,
            "submitted": EventStatus.SUBMITTED,
            "archived": EventStatus.ARCHIVED,
        }[state]
        updated = max(t for t in (created_at, completed_at, submitted_at, archived_at) if t is not None)
        events.append(
            Event(
                campaign=campaign,
                organization=org,
                title=f"{base}（第{per_base[base]}期）",
                start_date=activity,
                end_date=end,
                place=PLACES[k % len(PLACES)],
                category=category,
                participant_count=12 + (k * 7) % 70,
                description=f"{org.name}组织开展{base}，参加人员认真参与，取得良好效果。",
                status=status,
                return_reason=RETURN_REASON if status == EventStatus.RETURNED else "",
                created_by=liaison,
                created_at=created_at,
                updated_at=updated,
                submitted_at=submitted_at,
                archived_at=archived_at,
                is_complete=completed_at is not None,
                completed_at=completed_at,
                is_late_entry=is_late,
            )
        )
        plans.append({"uploaded": completed_at or created_at + datetime.timedelta(hours=1), "full": bool(completed_at)})
    # 档号 in order of first submission, gapless per unit and year (as ledger.services._next_archive_number).
    numbered = sorted((e for e in events if e.submitted_at), key=lambda e: (e.submitted_at, e.title))
    last: dict[int, int] = defaultdict(int)
    for e in numbered:
        y = e.start_date.year
        last[y] += 1
        e.archive_year, e.archive_seq = y, last[y]
        e.archive_number = f"{y}-{unit.code}-{last[y]:04d}"
    _bulk(Event, events)
    _bulk(ArchiveCounter, [ArchiveCounter(unit=unit, year=y, last=v) for y, v in sorted(last.items())])

    files: list[EvidenceFile] = []
    logs: list[EventLog] = []
    for k, (e, plan) in enumerate(zip(events, plans, strict=True)):
        uploaded = plan["uploaded"]
        chosen = [(Slot.PLAN, blobs[Slot.PLAN][k % 4], "活动方案.pdf")]
        photos = blobs[Slot.PHOTO]
        p = (k * 3 + n) % len(photos)
        chosen += [(Slot.PHOTO, photos[(p + j) % len(photos)], f"现场照片{j + 1}.jpg") for j in range(2)]
        if plan["full"]:
            chosen.append((Slot.SUMMARY, blobs[Slot.SUMMARY][(k + n) % 4], "活动总结.pdf"))
        else:  # four files but no 总结简报 yet: incomplete
            chosen.append((Slot.PHOTO, photos[(p + 2) % len(photos)], "现场照片3.jpg"))
        for slot, blob, original in chosen:
            name, thumb = linker.names_for(blob)
            c = blob.checked
            files.append(
                EvidenceFile(
                    event_id=e.pk,
                    slot=slot,
                    file=name,
                    original_name=original,
                    size=c.size,
                    detected_type=c.detected_type,
                    content_type=c.content_type,
                    sha256=c.sha256,
                    uploaded_by_id=liaison.pk,
                    uploaded_at=uploaded,
                    width=c.width,
                    height=c.height,
                    taken_at=c.taken_at,
                    thumbnail=thumb,
                )
            )
        logs.append(EventLog(event_id=e.pk, action=LogAction.CREATE, actor_id=liaison.pk, at=e.created_at, data={}))
        by_slot: dict[str, list[str]] = defaultdict(list)
        for slot, _blob, original in chosen:
            by_slot[slot].append(original)
        for slot, names in by_slot.items():
            logs.append(
                EventLog(
                    event_id=e.pk,
                    action=LogAction.UPLOAD,
                    actor_id=liaison.pk,
                    at=uploaded,
                    note="、".join(names),
                    data={"slot": slot, "count": len(names)},
                )
            )
        if e.submitted_at:
            logs.append(
                EventLog(
                    event_id=e.pk,
                    action=LogAction.SUBMIT,
                    actor_id=liaison.pk,
                    at=e.submitted_at,
                    data={"archive_number": e.archive_number},
                )
            )
        if e.status == EventStatus.RETURNED:
            logs.append(
                EventLog(
                    event_id=e.pk,
                    action=LogAction.RETURN,
                    actor_id=office.pk,
                    at=e.submitted_at + datetime.timedelta(hours=1),
                    note=RETURN_REASON,
                    data={},
                )
            )
        if e.archived_at:
            logs.append(
                EventLog(event_id=e.pk, action=LogAction.ARCHIVE, actor_id=office.pk, at=e.archived_at, data={})
            )
    _bulk(EvidenceFile, files)
    _bulk(EventLog, logs)
    dossiers = [
        (
            e.end_date or e.start_date,
            timezone.localtime(e.created_at).date(),
            timezone.localtime(e.completed_at).date() if e.completed_at else None,
            e.is_late_entry,
        )
        for e in events
    ]
    return events, dossiers


def _score_input(rng, c: Criterion, weak: bool) -> dict:
    if c.style == ScoringStyle.GRADE:
        return {"grade": rng.choice("BC") if weak else "A"}
    if c.style == ScoringStyle.YES_NO:
        return {"passed": not weak}
    if c.style == ScoringStyle.DEDUCTION:
        return {"deductions": [{"points": "0.5", "reason": "现场发现一处不规范"}] if weak else []}
    if c.points is None:
        return {}
    points = c.points
    lost = Decimal(rng.choice(("0.5", "1"))) if weak else Decimal(0)
    return {"points": str(max(Decimal(0), points - lost))}


def _evaluation(rng, campaign, system, depts, office, leaves, events, shape: Shape, today, quality, day_at):
    """Adoption, criterion tags (so coverage has data), three scored rounds, rectification items."""
    from evaluation import scoring
    from evaluation.services import compute_value

    criteria = list(Criterion.objects.filter(system=system).select_related("indicator").order_by("order", "pk"))
    CampaignSystem.objects.create(campaign=campaign, system=system)
    if not criteria:
        return [], []
    # Tags: each criterion on one or two tasks; most criteria on enough dossiers to meet their rule.
    tt = Criterion.tasks.through
    _bulk(
        tt,
        [
            tt(criterion_id=c.pk, task_id=leaves[(i * 7 + j) % len(leaves)].pk)
            for i, c in enumerate(criteria)
            for j in range(1 + i % 2)
        ],
    )
    usable = [e for e in events if e.is_complete and e.status != EventStatus.RETURNED]
    et = Criterion.events.through
    links = []
    for c in criteria:
        if not usable or rng.random() > min(0.95, 0.8 * quality):
            continue
        since = None
        if c.rule_period_months:
            since = today - datetime.timedelta(days=round(c.rule_period_months * 30.44))
        pool = [e for e in usable if since is None or e.start_date >= since] or usable
        wanted = min(len(pool), (c.rule_min_dossiers or 1) + rng.randint(0, 1))
        links += [et(criterion_id=c.pk, event_id=e.pk) for e in rng.sample(pool, wanted)]
    _bulk(et, links)

    percents = system.grade_percents
    bonus = list(system.bonus_items.order_by("order"))
    negatives = list(system.negative_items.order_by("order"))
    fractions = [0.3 + 0.6 * r / max(shape.rounds - 1, 1) for r in range(shape.rounds)]
    rect_rows: list[RectificationItem] = []
    rect_units: list[int] = []
    timeline: list[tuple[datetime.date, datetime.date, datetime.date | None]] = []
    round_rows: list[tuple[datetime.date, Decimal | None, bool]] = []
    for r, fraction in enumerate(fractions):
        date = day_at(fraction)
        locked = r < shape.rounds - 1
        at = _aware(date, 9)
        assessment = SelfAssessment.objects.create(
            campaign=campaign,
            system=system,
            name=f"第{'一二三四五六七八九十'[r % 10]}轮自检自查",
            date=date,
            is_locked=locked,
            locked_at=_aware(date + datetime.timedelta(days=3), 17) if locked else None,
            created_by=office,
            created_at=at,
        )
        weak_p = max(0.03, (0.4 - 0.13 * r) / quality)
        scores = []
        for c in criteria:
            weak = rng.random() < weak_p
            kwargs = _score_input(rng, c, weak)
            value, clean = compute_value(criterion=c, percents=percents, **kwargs)
            scores.append(
                Score(
                    assessment=assessment,
                    criterion=c,
                    points=value if c.style == ScoringStyle.POINTS else None,
                    grade=kwargs.get("grade", "") if c.style == ScoringStyle.GRADE else "",
                    passed=kwargs.get("passed") if c.style == ScoringStyle.YES_NO else None,
                    deductions=clean,
                    value=value,
                    comment="材料不够完整" if weak else "",
                    updated_by=office,
                    updated_at=at + datetime.timedelta(hours=2),
                )
            )
        _bulk(Score, scores)
        claims = []
        if bonus and r:
            b = bonus[0]
            claims = [
                BonusClaim(assessment=assessment, bonus_item=b, points=min(b.max_points, Decimal(2)), note="获市级表彰")
            ]
            _bulk(BonusClaim, claims)
        veto_unit = quality < 0.8 and r == shape.rounds - 1
        vetoed = veto_unit and any(item.consequence == "veto" for item in negatives[:1])
        totals = scoring.compute_totals(
            [
                scoring.CriterionLine(c.indicator.item_id, c.indicator_id, c.points, s.value)
                for c, s in zip(criteria, scores, strict=True)
            ],
            bonus_claims=[(cl.points, cl.bonus_item.max_points) for cl in claims],
            bonus_cap=system.bonus_cap,
            negatives=[
                scoring.NegativeOutcome(item.code, item.text, item.consequence, item.deduct_points)
                for item in negatives[:1]
                if veto_unit
            ],
        )
        round_rows.append((date, totals.percent, vetoed or bool(totals.disqualified)))
        _bulk(
            NegativeDeclaration,
            [
                NegativeDeclaration(
                    assessment=assessment,
                    item=item,
                    occurred=veto_unit and i == 0,
                    note="本年度发生一起，已如实申报" if veto_unit and i == 0 else "",
                )
                for i, item in enumerate(negatives)
            ],
        )
        if r == shape.rounds - 1:
            continue
        # Rectification from the criteria scored below full (as rectification_from_score words them).
        below = [
            (c, s)
            for c, s in zip(criteria, scores, strict=True)
            if c.points is not None and s.value is not None and s.value < c.points
        ]
        for k, (c, s) in enumerate(below[:6]):
            lost = scoring.quantize(c.points - s.value)
            deadline = date + datetime.timedelta(days=30 + 15 * (k % 2))
            if rng.random() < (0.95 if r == 0 else min(0.9, 0.55 * quality)):
                status = RectificationStatus.CLOSED if rng.random() < 0.6 else RectificationStatus.DONE
            else:
                status = RectificationStatus.IN_PROGRESS if rng.random() < 0.6 else RectificationStatus.PENDING
            closed = min(deadline - datetime.timedelta(days=rng.randint(0, 20)), today)
            closed_on = closed if status in (RectificationStatus.DONE, RectificationStatus.CLOSED) else None
            rect_rows.append(
                RectificationItem(
                    campaign=campaign,
                    assessment=assessment,
                    criterion=c,
                    points_lost=lost,
                    problem=f"{c.code} {c.text}：失{scoring.format_points(lost)}分（{s.comment}）"
                    if s.comment
                    else f"{c.code} {c.text}：失{scoring.format_points(lost)}分",
                    measure="补充完善相关材料，按要求开展活动并归档",
                    responsible_person="创建办联络员",
                    deadline=deadline,
                    status=status,
                    verification_note="经核验已整改到位" if status == RectificationStatus.CLOSED else "",
                    created_by=office,
                    created_at=at + datetime.timedelta(hours=3),
                    updated_at=_aware(closed_on, 11) if closed_on else at + datetime.timedelta(hours=3),
                )
            )
            rect_units.append(depts[k % len(depts)].pk)
            timeline.append((date, deadline, closed_on))
    free_day = day_at(0.5)
    rect_rows.append(
        RectificationItem(
            campaign=campaign,
            problem="部分宣传栏内容未及时更新",
            measure="每月更新一次宣传栏，指定专人负责",
            responsible_person="办公室",
            deadline=free_day + datetime.timedelta(days=40),
            status=RectificationStatus.IN_PROGRESS,
            created_by=office,
            created_at=_aware(free_day),
            updated_at=_aware(free_day),
        )
    )
    rect_units.append(depts[0].pk)
    timeline.append((free_day, free_day + datetime.timedelta(days=40), None))
    _bulk(RectificationItem, rect_rows)
    ru = RectificationItem.responsible_units.through
    _bulk(
        ru, [ru(rectificationitem_id=item.pk, organization_id=o) for item, o in zip(rect_rows, rect_units, strict=True)]
    )
    return timeline, round_rows


def _volunteers(rng, n, unit, depts, campaign, liaison, office, shape: Shape, today, quality):
    from volunteers.demo import GIVEN, SURNAMES

    year = today.year
    year_start = datetime.date(year, 1, 1)
    span = max((today - year_start).days, 1)
    now = timezone.now()
    used: set[str] = set()
    volunteers: list[Volunteer] = []
    per_org: dict[int, int] = defaultdict(int)
    for i in range(shape.volunteers):
        org = unit if i % 13 == 12 else depts[i % len(depts)]
        registered = rng.random() < min(0.99, 0.9 * quality)
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if name not in used or len(used) > 4000:
                used.add(name)
                break
        reg_on = datetime.date(year - rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28))
        reg_on = min(reg_on, today)
        created = _aware(min(reg_on, year_start), 9)
        volunteers.append(
            Volunteer(
                organization=org,
                name=name,
                phone=f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                is_registered=registered,
                number=f"4401{n:02d}{i:06d}" if registered else "",
                registered_on=reg_on if registered else None,
                team=rng.choice(TEAMS),
                created_at=created,
                updated_at=created,
            )
        )
        per_org[org.pk] += 1
    _bulk(Volunteer, volunteers)
    # 在职职工数: most staff are in the registry; some not (the registration rate is below 100 %).
    staff_rows = [StaffCount(organization=d, year=year, count=per_org[d.pk] + rng.randint(0, 1)) for d in depts]
    total = sum(s.count for s in staff_rows) + per_org[unit.pk] + rng.randint(0, 2)
    staff_rows.append(StaffCount(organization=unit, year=year, count=total))
    _bulk(StaffCount, staff_rows)
    target = Decimal("25")
    VolunteerTargets.objects.create(
        campaign=campaign, registration_rate=Decimal("95"), hours_per_volunteer=target, activities_per_year=4
    )
    activities = []
    for a in range(shape.activities):
        date = year_start + datetime.timedelta(days=round(span * (a + 0.5) / shape.activities))
        title, category, place = SERVICE[a % len(SERVICE)]
        organiser = depts[a % len(depts)] if a % 3 == 2 else unit
        activities.append(
            ServiceActivity(
                organization=organiser,
                title=f"{title}（第{a // len(SERVICE) + 1}次）",
                date=date,
                place=place,
                category=category,
                description="组织干部职工参加志愿服务。",
                created_by=liaison,
                created_at=_aware(date, 18),
            )
        )
    _bulk(ServiceActivity, activities)
    records: list[ServiceRecord] = []
    hours_log: list[tuple[datetime.date, int, Decimal]] = []
    for vi, v in enumerate(volunteers):
        base = Decimal(rng.choice(HOURS_BASE))
        for ai in sorted(rng.sample(range(len(activities)), shape.records)):
            act = activities[ai]
            hours = base + (Decimal("0.5") if rng.random() < 0.3 else Decimal(0))
            age = (today - act.date).days
            roll = rng.random()
            if age <= 10 or roll < 0.02:
                status = RecordStatus.PENDING
            elif roll < 0.03:
                status = RecordStatus.RETURNED
            else:
                status = RecordStatus.CONFIRMED
            confirmed_at = None
            if status == RecordStatus.CONFIRMED:
                confirmed_at = min(_aware(act.date + datetime.timedelta(days=rng.randint(1, 6)), 11), now)
                hours_log.append((confirmed_at.astimezone(_zone()).date(), vi, hours))
            records.append(
                ServiceRecord(
                    volunteer_id=v.pk,
                    activity_id=act.pk,
                    hours=hours,
                    status=status,
                    return_reason=RECORD_RETURN_REASON if status == RecordStatus.RETURNED else "",
                    confirmed_by_id=office.pk if confirmed_at else None,
                    confirmed_at=confirmed_at,
                    created_by_id=liaison.pk,
                    created_at=min(_aware(act.date, 20), now),
                )
            )
    _bulk(ServiceRecord, records)
    registered_ids = {i for i, v in enumerate(volunteers) if v.is_registered}
    return hours_log, registered_ids, target


# ------------------------------------------------------------------------------------------------
# Snapshots: today's by the service, the earlier days from the same rows as of each day
# ------------------------------------------------------------------------------------------------
def _pct(part: float | Decimal, whole: float | Decimal) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _avg(total: Decimal, count: int) -> float | None:
    if not count:
        return None
    return float((Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _snapshots_today(worlds: list[UnitWorld], today: datetime.date) -> dict[int, dict]:
    from dashboards.services import snapshot_units

    units = [w.unit for w in worlds]
    snapshot_units(day=today, units=units)
    return dict(UnitSnapshot.objects.filter(unit__in=units, date=today).values_list("unit_id", "measures"))


def _snapshot_history(worlds: list[UnitWorld], today: datetime.date, current: dict[int, dict]) -> None:
    rows: list[UnitSnapshot] = []
    for w in worlds:
        for day, measures in _history(w, today, current[w.unit.pk]):
            rows.append(
                UnitSnapshot(
                    unit=w.unit,
                    date=day,
                    measures=measures,
                    campaign_title=w.campaign.title,
                    created_at=_aware(day + datetime.timedelta(days=1), 2),
                )
            )
        if len(rows) >= 5 * BATCH:
            _bulk(UnitSnapshot, rows)
            rows = []
    _bulk(UnitSnapshot, rows)


def _history(w: UnitWorld, today: datetime.date, now_m: dict) -> Iterator[tuple[datetime.date, dict]]:
    """The measures of `w` as the nightly run would have stored them on each of the 364 days before today, read
    from the rows' own dates (a sweep over the days). Registration and coverage, whose history the rows do not
    keep, follow today's value (coverage in proportion to the dossiers entered by then)."""
    first = today - datetime.timedelta(days=364)
    created = sorted(d[1] for d in w.dossiers)
    completed = sorted((d[2], max((d[2] - d[0]).days, 0), d[3]) for d in w.dossiers if d[2] is not None)
    hours_by_day: dict[datetime.date, list[tuple[int, Decimal]]] = defaultdict(list)
    for d, v, h in w.hours:
        hours_by_day[d].append((v, h))
    per_volunteer: dict[int, Decimal] = defaultdict(Decimal)
    reaching = 0
    total_hours = Decimal(0)
    c_i = 0
    done_n = late_n = 0
    done_days = 0
    hours_year = first.year
    coverage_now = now_m.get("coverage_pct")
    day = first
    # Hours of the days before the window that fall in its first year.
    for d in sorted(hours_by_day):
        if d < first and d.year == first.year:
            for v, h in hours_by_day[d]:
                per_volunteer[v] += h
                total_hours += h
    reaching = sum(1 for v, h in per_volunteer.items() if v in w.registered_ids and h >= w.hours_target)
    while day < today:
        if day.year != hours_year:  # a new year: the year's hours start again
            hours_year, per_volunteer, total_hours, reaching = day.year, defaultdict(Decimal), Decimal(0), 0
        for v, h in hours_by_day.get(day, ()):
            before = per_volunteer[v]
            per_volunteer[v] = before + h
            total_hours += h
            if v in w.registered_ids and before < w.hours_target <= before + h:
                reaching += 1
        while c_i < len(completed) and completed[c_i][0] <= day:
            done_n += 1
            done_days += completed[c_i][1]
            late_n += completed[c_i][2]
            c_i += 1
        same_year = day.year == w.campaign.start_year
        entered = bisect.bisect_right(created, day) if same_year else 0
        complete, late, days = (done_n, late_n, done_days) if same_year else (0, 0, 0)
        soon = day + datetime.timedelta(days=14)
        tasks_done = sum(1 for _due, d in w.tasks if d is not None and d <= day)
        overdue = sum(1 for due, d in w.tasks if due < day and not (d is not None and d <= day))
        due_soon = sum(1 for due, d in w.tasks if day <= due <= soon and not (d is not None and d <= day))
        rounds = [r for r in w.rounds if r[0] <= day]
        rect = [r for r in w.rect if r[0] <= day]
        closed = sum(1 for r in rect if r[2] is not None and r[2] <= day)
        rect_overdue = sum(1 for r in rect if not (r[2] is not None and r[2] <= day) and r[1] < day)
        yield (
            day,
            {
                "task_done_pct": _pct(tasks_done, len(w.tasks)),
                "tasks_overdue": overdue,
                "self_pct": float(rounds[-1][1]) if rounds and rounds[-1][1] is not None else None,
                "rect_closure_pct": _pct(closed, len(rect)),
                "evidence_days": _avg(Decimal(days), complete),
                "late_entry_pct": _pct(late, entered),
                "dossier_complete_pct": _pct(complete, entered),
                "coverage_pct": round(coverage_now * entered / len(created), 1) if coverage_now and created else None,
                "volunteer_rate": now_m.get("volunteer_rate"),
                "hours_per_volunteer": _avg(total_hours, w.registered) if w.registered else None,
                "tasks_total": len(w.tasks),
                "tasks_done": tasks_done,
                "tasks_due_soon": due_soon,
                "dossiers": entered,
                "rect_open": len(rect) - closed,
                "rect_overdue": rect_overdue,
                "veto": bool(rounds and rounds[-1][2]),
                "share_reaching_target": _pct(reaching, w.registered) if w.registered else None,
            },
        )
        day += datetime.timedelta(days=1)


# ------------------------------------------------------------------------------------------------
# Reset
# ------------------------------------------------------------------------------------------------
def reset() -> int:
    """Remove the large-scale units and everything under them (their stored files after commit)."""
    from campaigns.models import ReminderSettings, Urge
    from dashboards.models import Supervision
    from ledger.models import ArchiveBuild, MediaReport, PhotoCheck, PhotoDuplicate

    units = list(large_units())
    if not units:
        return 0
    with transaction.atomic():
        sub = models.Q()
        for u in units:
            sub |= models.Q(path__startswith=u.path)
        orgs = Organization.objects.filter(sub)
        org_ids = list(orgs.values_list("pk", flat=True))
        campaigns = Campaign.objects.filter(unit__in=units)
        events = Event.objects.filter(campaign__in=campaigns)
        evidence = EvidenceFile.objects.filter(event__in=events)
        names = [n for pair in evidence.values_list("file", "thumbnail") for n in pair if n]
        names += [n for n in ArchiveBuild.objects.filter(campaign__in=campaigns).values_list("file", flat=True) if n]
        UnitSnapshot.objects.filter(unit__in=units).delete()
        Supervision.objects.filter(unit__in=units).delete()
        ServiceRecord.objects.filter(volunteer__organization_id__in=org_ids).delete()
        ServiceRecord.objects.filter(activity__organization_id__in=org_ids).delete()
        ServiceActivity.objects.filter(organization_id__in=org_ids).delete()
        Volunteer.objects.filter(organization_id__in=org_ids).delete()
        StaffCount.objects.filter(organization_id__in=org_ids).delete()
        RectificationItem.objects.filter(campaign__in=campaigns).delete()
        Score.objects.filter(assessment__campaign__in=campaigns).delete()
        SelfAssessment.objects.filter(campaign__in=campaigns).delete()
        CampaignSystem.objects.filter(campaign__in=campaigns).delete()
        Criterion.events.through.objects.filter(event__in=events).delete()
        Criterion.tasks.through.objects.filter(task__campaign__in=campaigns).delete()
        PhotoDuplicate.objects.filter(models.Q(first__in=evidence) | models.Q(second__in=evidence)).delete()
        PhotoCheck.objects.filter(evidence_file__in=evidence).delete()
        MediaReport.objects.filter(event__in=events).delete()
        evidence.delete()
        EventLog.objects.filter(event__in=events).delete()
        Event.tasks.through.objects.filter(event__in=events).delete()
        events.delete()
        ArchiveBuild.objects.filter(campaign__in=campaigns).delete()
        ArchiveCounter.objects.filter(unit__in=units).delete()
        ProgressReport.objects.filter(task__campaign__in=campaigns).delete()
        Urge.objects.filter(campaign__in=campaigns).delete()
        ReminderSettings.objects.filter(campaign__in=campaigns).delete()
        Task.objects.filter(campaign__in=campaigns, parent__isnull=False).delete()
        Task.objects.filter(campaign__in=campaigns).delete()
        campaigns.delete()
        User.objects.filter(username__regex=USERNAME_REGEX).delete()
        Membership.objects.filter(organization_id__in=org_ids).delete()
        for org in orgs.order_by("-depth"):
            org.delete()
        transaction.on_commit(lambda: _delete_names(names))
    return len(units)
