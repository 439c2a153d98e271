"""Demo organisation tree and people (our own invented names), used by `manage.py seed_demo`."""

from __future__ import annotations

from django.db import transaction

from demo.context import DemoContext

from . import services
from .models import Membership, Organization, OrganizationKind, Role, User

DEMO_PASSWORD = "Wenming@2026"

ROOT = ("city", "某市文明办", "市文明办")

# code, name, short name, departments (code suffix, name), affiliates (code suffix, name)
UNITS = [
    (
        "scjgj",
        "某市市场监督管理局",
        "市市场监管局",
        [
            ("bgs", "办公室"),
            ("rsk", "人事科"),
            ("jgdw", "机关党委"),
            ("zhghk", "综合规划科"),
            ("fgk", "法规科"),
            ("cwk", "财务科"),
            ("xyjgk", "信用监管科"),
            ("zlfzk", "质量发展科"),
        ],
        [("zfzd", "市市场监管综合执法支队"), ("spjys", "市食品药品检验所")],
    ),
    (
        "sthjj",
        "某市生态环境局",
        "市生态环境局",
        [
            ("bgs", "办公室"),
            ("rsk", "人事科"),
            ("jgdw", "机关党委"),
            ("dqhjk", "大气环境科"),
            ("shjk", "水生态环境科"),
            ("xcjyk", "宣传教育科"),
            ("fgbzk", "法规标准科"),
        ],
        [("jcz", "市生态环境监测站"), ("zfzd", "市生态环境保护综合行政执法支队")],
    ),
]

OFFICE_DEPARTMENTS = [("zhk", "综合科")]

# username suffix, role, real name, title, department suffix ("" = the unit itself)
UNIT_PEOPLE = {
    "scjgj": [
        ("admin", Role.ADMIN, "周建国", "信息管理员", ""),
        ("office", Role.OFFICE, "陈晓燕", "创建办主任", ""),
        ("leader", Role.LEADER, "王立民", "局长（组长）", ""),
        ("liaison", Role.LIAISON, "李思远", "联络员", "bgs"),
        ("liaison2", Role.LIAISON, "赵文静", "联络员", "xyjgk"),
        ("liaison3", Role.LIAISON, "孙浩然", "联络员", "zfzd"),
    ],
    "sthjj": [
        ("admin", Role.ADMIN, "吴国栋", "信息管理员", ""),
        ("office", Role.OFFICE, "郑雅琴", "创建办主任", ""),
        ("leader", Role.LEADER, "冯志刚", "局长（组长）", ""),
        ("liaison", Role.LIAISON, "何静怡", "联络员", "bgs"),
        ("liaison2", Role.LIAISON, "林志成", "联络员", "xcjyk"),
        ("liaison3", Role.LIAISON, "高雪梅", "联络员", "jcz"),
    ],
}
OFFICE_PEOPLE = [
    ("admin", Role.ADMIN, "刘振华", "系统管理员", ""),
    ("office", Role.OFFICE, "黄丽萍", "创建指导科科长", ""),
    ("leader", Role.LEADER, "马卫东", "文明办主任", ""),
    ("liaison", Role.LIAISON, "谢晓东", "联络员", "zhk"),
]
SUPERUSER = ("sysadmin", "平台运维")


def _org(ctx: DemoContext, *, code: str, name: str, short: str, kind: str, parent: Organization | None, order: int):
    org = Organization.objects.filter(code=code).first()
    if org is None:
        org = services.organization_create(
            name=name, short_name=short, code=code, kind=kind, parent=parent, order=order
        )
    ctx.organizations[code] = org
    return org


def _person(ctx: DemoContext, *, username: str, real_name: str, role: str, org: Organization, title: str) -> None:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create(username=username, password=DEMO_PASSWORD, real_name=real_name)
    services.membership_grant(user=user, organization=org, role=role, title=title, actor=None)
    ctx.users[username] = user
    ctx.logins.append({"username": username, "password": DEMO_PASSWORD, "role": role, "organization_code": org.code})


@transaction.atomic
def seed(ctx: DemoContext) -> dict:
    root_code, root_name, root_short = ROOT
    root = _org(
        ctx, code=root_code, name=root_name, short=root_short, kind=OrganizationKind.OFFICE, parent=None, order=0
    )
    for i, (suffix, name) in enumerate(OFFICE_DEPARTMENTS):
        _org(
            ctx,
            code=f"{root_code}-{suffix}",
            name=name,
            short="",
            kind=OrganizationKind.DEPARTMENT,
            parent=root,
            order=i,
        )
    for u_order, (code, name, short, departments, affiliates) in enumerate(UNITS):
        unit = _org(ctx, code=code, name=name, short=short, kind=OrganizationKind.UNIT, parent=root, order=u_order)
        for i, (suffix, dept) in enumerate(departments):
            _org(
                ctx,
                code=f"{code}-{suffix}",
                name=dept,
                short="",
                kind=OrganizationKind.DEPARTMENT,
                parent=unit,
                order=i,
            )
        for i, (suffix, aff) in enumerate(affiliates):
            _org(
                ctx,
                code=f"{code}-{suffix}",
                name=aff,
                short="",
                kind=OrganizationKind.AFFILIATE,
                parent=unit,
                order=100 + i,
            )

    for suffix, role, real_name, title, dept in OFFICE_PEOPLE:
        org = ctx.organizations[f"{root_code}-{dept}" if dept else root_code]
        _person(ctx, username=f"{root_code}_{suffix}", real_name=real_name, role=role, org=org, title=title)
    for code, people in UNIT_PEOPLE.items():
        for suffix, role, real_name, title, dept in people:
            org = ctx.organizations[f"{code}-{dept}" if dept else code]
            _person(ctx, username=f"{code}_{suffix}", real_name=real_name, role=role, org=org, title=title)

    username, real_name = SUPERUSER
    superuser = User.objects.filter(username=username).first()
    if superuser is None:
        superuser = services.user_create(
            username=username, password=DEMO_PASSWORD, real_name=real_name, is_staff=True, is_superuser=True
        )
    ctx.users[username] = superuser
    ctx.logins.append({"username": username, "password": DEMO_PASSWORD, "role": "superuser", "organization_code": None})

    return {
        "organizations": [
            {
                "code": org.code,
                "name": org.name,
                "kind": org.kind,
                "parent_code": org.parent.code if org.parent_id else None,
            }
            for org in Organization.objects.filter(path__startswith=root.path).select_related("parent").order_by("path")
        ],
    }


@transaction.atomic
def reset(ctx: DemoContext) -> None:
    """Remove the demo people and the demo tree (deepest nodes first)."""
    usernames = [f"{ROOT[0]}_{p[0]}" for p in OFFICE_PEOPLE] + [
        f"{code}_{p[0]}" for code, people in UNIT_PEOPLE.items() for p in people
    ]
    usernames.append(SUPERUSER[0])
    Membership.objects.filter(user__username__in=usernames).delete()
    User.objects.filter(username__in=usernames).delete()
    root = Organization.objects.filter(code=ROOT[0]).first()
    if root is not None:
        for org in Organization.objects.filter(path__startswith=root.path).order_by("-depth"):
            org.delete()
