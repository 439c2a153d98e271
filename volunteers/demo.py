"""Demo volunteers, a year of service activities and hours for both demo units (our own invented names).

Deterministic (a seeded random generator) and idempotent: volunteers are found by number, activities by
organiser, title and date, so a second run creates nothing new. The spread is realistic: a few keen people, most
around the target, some well under it, a few not registered; recent records still wait for 创建办.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction

from campaigns.models import Campaign
from demo.context import DemoContext
from organizations.models import Organization, OrganizationKind

from . import services
from .models import ActivityCategory, ServiceActivity, StaffCount, Volunteer, VolunteerTargets

DEMO_YEAR = 2026
UNIT_CODES = ("scjgj", "sthjj")
# Targets differ by place: the second unit's plan asks for fewer hours but full registration.
TARGETS = {"scjgj": (Decimal("100"), Decimal("25"), 4), "sthjj": (Decimal("90"), Decimal("20"), 6)}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# fmt: off
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "金凤", "玉兰", "晓东", "海燕", "志强",
    "思远", "雨萱", "子涵", "浩然", "欣怡", "梓轩", "一鸣", "晨曦", "佳琪", "宇航",
    "嘉怡", "俊杰", "诗涵", "博文", "若曦", "立新", "春梅", "国庆", "红梅", "建国",
)
# fmt: on
TEAMS = ("学雷锋志愿服务队", "文明交通志愿服务队", "生态环保志愿服务队", "“红马甲”志愿服务队")
ACTIVITIES = [
    # month, day, title, category, place, hours choices
    (1, 18, "“迎新春”送温暖进社区志愿服务", ActivityCategory.COMMUNITY, "幸福里社区", ("3", "4")),
    (3, 5, "“学雷锋纪念日”便民服务", ActivityCategory.LEI_FENG, "市民广场", ("2", "2.5", "3")),
    (3, 12, "义务植树志愿服务", ActivityCategory.ENVIRONMENT, "滨河公园", ("3", "4")),
    (4, 20, "“文明交通我先行”路口劝导", ActivityCategory.TRAFFIC, "人民路与解放路口", ("2", "2.5")),
    (5, 15, "“新时代文明实践”政策宣讲进社区", ActivityCategory.CIVILISATION_PRACTICE, "新时代文明实践站", ("2", "3")),
    (6, 5, "世界环境日河道清洁", ActivityCategory.ENVIRONMENT, "护城河沿线", ("3", "4", "4")),
    (7, 10, "夏季防溺水安全宣传", ActivityCategory.COMMUNITY, "城南社区", ("2", "2.5")),
    (8, 22, "“文明交通”暑期护学岗", ActivityCategory.TRAFFIC, "实验小学门口", ("2", "3")),
    (9, 15, "敬老院重阳节慰问服务", ActivityCategory.LEI_FENG, "市社会福利院", ("3", "4")),
    (10, 18, "“共建文明社区”环境整治", ActivityCategory.COMMUNITY, "幸福里社区", ("2.5", "3", "4")),
    (11, 8, "消防安全进社区宣传", ActivityCategory.CIVILISATION_PRACTICE, "城南社区", ("2", "3")),
    (11, 15, "“文明城市”创建入户宣传", ActivityCategory.CIVILISATION_PRACTICE, "府前街道", ("2", "2.5")),
]
PREVIOUS_YEAR_TITLE = "{year}年{month}月“学雷锋”常态化志愿服务"


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _parts(ctx: DemoContext, code: str) -> list[Organization]:
    found = [org for key, org in ctx.organizations.items() if key.startswith(f"{code}-")]
    if not found:
        unit = ctx.organizations[code]
        found = list(Organization.objects.filter(parent=unit))
    return sorted(found, key=lambda o: o.path)


def _campaign(ctx: DemoContext, code: str) -> Campaign | None:
    return ctx.extra.get("campaigns", {}).get(code) or Campaign.objects.filter(unit__code=code).first()


def _seed_unit(ctx: DemoContext, unit_index: int, code: str) -> list[Volunteer]:
    unit = ctx.organizations[code]
    rng = random.Random(f"wenming-volunteers-{code}")
    parts = _parts(ctx, code)
    office = ctx.users.get(f"{code}_office")
    liaison = ctx.users.get(f"{code}_liaison")
    used: set[str] = set()

    # Registry: 4–9 people per department or affiliate; about one in eight not yet registered.
    volunteers: list[Volunteer] = []
    unit_staff = 0
    for p_index, part in enumerate(parts):
        size = rng.randint(4, 9)
        staff = size + rng.randint(0, 3)
        unit_staff += staff
        if not StaffCount.objects.filter(organization=part, year=DEMO_YEAR).exists():
            services.staff_count_set(organization=part, year=DEMO_YEAR, count=staff)
        for i in range(size):
            number = f"3301{unit_index:02d}{p_index:02d}{i:04d}"
            registered = rng.random() > 0.12
            name = _name(rng, used)
            phone = f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            registered_on = datetime.date(DEMO_YEAR - rng.randint(0, 4), rng.randint(1, 12), rng.randint(1, 28))
            team = rng.choice(TEAMS)
            volunteer = (
                Volunteer.objects.filter(number=number).first()
                or Volunteer.objects.filter(organization=part, phone=phone).first()
            )
            if volunteer is None:
                user = liaison if (liaison and i == 0 and part.code == f"{code}-bgs") else None
                if user is not None and Volunteer.objects.filter(user=user).exists():
                    user = None
                volunteer = services.volunteer_create(
                    organization=part,
                    name=user.display_name if user else name,
                    phone=phone,
                    is_registered=registered,
                    number=number if registered else "",
                    registered_on=registered_on if registered else None,
                    team=team,
                    user=user,
                )
            volunteers.append(volunteer)
    if not StaffCount.objects.filter(organization=unit, year=DEMO_YEAR).exists():
        services.staff_count_set(organization=unit, year=DEMO_YEAR, count=unit_staff + rng.randint(3, 8))

    campaign = _campaign(ctx, code)
    if campaign is not None and not VolunteerTargets.objects.filter(campaign=campaign).exists():
        rate, hours, count = TARGETS[code]
        services.targets_set(
            campaign=campaign, registration_rate=rate, hours_per_volunteer=hours, activities_per_year=count
        )

    # How keen each person is: a few serve at almost every activity, some hardly ever.
    keenness = {v.pk: rng.choice((0.95, 0.85, 0.7, 0.55, 0.45, 0.3, 0.15)) for v in volunteers}
    veterans = [v for v in volunteers if keenness[v.pk] >= 0.85]

    def record(org, title, date, category, place, choices, people, *, decided: bool) -> None:
        if ServiceActivity.objects.filter(organization=org, title=title, date=date).exists():
            return
        entries = [services.HoursEntry(volunteer=v, hours=Decimal(rng.choice(choices))) for v in people]
        activity = services.activity_record(
            organization=org,
            title=title,
            date=date,
            category=category,
            place=place,
            created_by=liaison or office,
            entries=entries,
        )
        if not decided:
            return
        records = list(activity.records.select_related("volunteer", "volunteer__organization"))
        returned = [r for r in records if rng.random() < 0.03]
        if returned:
            services.records_return(records=returned, by=office, reason="签到表上没有本人签名，请核实后重报")
        services.records_confirm(records=[r for r in records if r not in returned], by=office)

    # The previous year: veterans' monthly service, so some have star levels by now.
    for month in range(1, 13):
        people = [v for v in veterans if rng.random() < 0.9]
        if people:
            title = PREVIOUS_YEAR_TITLE.format(year=DEMO_YEAR - 1, month=month)
            date = datetime.date(DEMO_YEAR - 1, month, 20)
            record(unit, title, date, ActivityCategory.LEI_FENG, "幸福里社区", ("6", "8", "8"), people, decided=True)

    # This year: the unit's calendar; each activity organised by the unit or one of its parts.
    for a_index, (month, day, title, category, place, choices) in enumerate(ACTIVITIES):
        organiser = parts[a_index % len(parts)] if a_index % 3 == 2 else unit
        pool = [v for v in volunteers if organiser == unit or v.organization_id == organiser.pk or rng.random() < 0.6]
        people = [v for v in pool if rng.random() < keenness[v.pk]]
        date = datetime.date(DEMO_YEAR, month, day)
        record(organiser, title, date, category, place, choices, people, decided=month < 11)
    return volunteers


@transaction.atomic
def seed(ctx: DemoContext) -> dict:
    out = []
    for unit_index, code in enumerate(UNIT_CODES, start=1):
        if code not in ctx.organizations:
            continue
        for volunteer in _seed_unit(ctx, unit_index, code):
            out.append({"name": volunteer.name, "number": volunteer.number, "unit_code": code})
    return {"volunteers": out}


@transaction.atomic
def reset(ctx: DemoContext) -> None:
    """Remove the demo units' volunteers, activities, hours, staff numbers and targets."""
    for unit in Organization.objects.filter(code__in=UNIT_CODES, kind=OrganizationKind.UNIT):
        subtree = {"organization__path__startswith": unit.path}
        ServiceActivity.objects.filter(**subtree).delete()
        Volunteer.objects.filter(**subtree).delete()
        StaffCount.objects.filter(**subtree).delete()
        VolunteerTargets.objects.filter(campaign__unit=unit).delete()
