"""月度通报: the office freezes the month's comparison table, adds its notes and publishes it.

A published 通报 shows each unit its own row; the whole ranking only when the office chose to publish it. Drafts are
the office's alone. The rows are copied at freezing, so a later snapshot never changes a published 通报.
"""

from __future__ import annotations

import calendar
import datetime
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from ledger.archive.render import ArchiveBuildError, render_html_to_pdf
from notifications.services import notify
from organizations.audit import audit_record
from organizations.models import Organization, OrganizationKind, User
from organizations.query_params import strip_control
from organizations.scoping import get_scope
from organizations.spreadsheets import table_workbook

from .city import city_table
from .measures import MEASURE_BY_KEY, MEASURES
from .models import Bulletin, BulletinStatus
from .selectors import COCKPIT_ROLES
from .supervision import can_issue, unit_office_people


class BulletinError(ValueError):
    """A refused 通报 step, with a Chinese message."""


def parse_month(raw: str) -> datetime.date:
    try:
        year, month = (int(part) for part in (raw or "").strip().split("-")[:2])
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        raise BulletinError("月份格式应为 YYYY-MM，如 2026-11。") from None


def _office_paths(user: object) -> list[str]:
    return [m.organization.path for m in get_scope(user).memberships if m.organization.kind == OrganizationKind.OFFICE]


def _own_units(user: object) -> list[Organization]:
    """Units where the user is 领导/创建办/管理员 (their own rows in a published 通报)."""
    return [
        m.organization
        for m in get_scope(user).memberships
        if m.role in COCKPIT_ROLES and m.organization.kind == OrganizationKind.UNIT
    ]


def bulletins_visible_to(user: object) -> QuerySet[Bulletin]:
    """Every 通报 of the user's offices; published ones of the offices above their units."""
    q = Q(pk__in=[])
    for path in _office_paths(user):
        q |= Q(office__path__startswith=path)
    for unit in _own_units(user):
        q |= Q(office_id__in=unit.ancestor_ids, status=BulletinStatus.PUBLISHED)
    return Bulletin.objects.filter(q).select_related("office", "created_by")


def bulletin_for(user: object, pk: int) -> Bulletin:
    found = bulletins_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有这份通报，或它尚未发布。")
    return found


def is_office_reader(user: object, bulletin: Bulletin) -> bool:
    return any(bulletin.office.path.startswith(p) for p in _office_paths(user))


def rows_for(user: object, bulletin: Bulletin) -> tuple[list[dict[str, Any]], bool]:
    """(rows the user may see, whether the rank is shown): the office sees all; a unit its own row, or every row
    when the office published the ranking."""
    if is_office_reader(user, bulletin) or bulletin.publish_ranking:
        return bulletin.rows, True
    own = {u.pk for u in _own_units(user)}
    return [r for r in bulletin.rows if r["unit_id"] in own], False


@transaction.atomic
def bulletin_freeze(*, office: Organization, month: datetime.date, notes: str, actor: User, sort: str = "") -> Bulletin:
    """Freeze the month: the latest snapshots on or before its last day (re-freezing a draft replaces it)."""
    if not can_issue(actor, office):
        raise BulletinError("只有文明办的管理员和创建办可以编制通报。")
    today = timezone.localdate()
    if month > today.replace(day=1):
        raise BulletinError("不能编制未来月份的通报。")
    existing = Bulletin.objects.select_for_update().filter(office=office, month=month).first()
    if existing is not None and existing.is_published:
        raise BulletinError(f"{month:%Y年%m月}的通报已发布，不能重新编制。")
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    table = city_table(office=office, sort=sort if sort in MEASURE_BY_KEY else "", as_of=min(last_day, today))
    if table.date is None:
        raise BulletinError("该月还没有单位快照，无法编制通报。")
    rows = [
        {
            "unit_id": r.unit.pk,
            "unit_name": r.unit.name,
            "rank": r.rank,
            "reds": r.reds,
            "veto": bool((r.measures or {}).get("veto")),
            "cells": [{"key": c.measure.key, "value": c.value, "light": c.light, "delta": c.delta} for c in r.cells],
        }
        for r in table.rows
    ]
    values = {
        "snapshot_date": table.date,
        "previous_date": table.previous_date,
        "sort": table.sort,
        "rows": rows,
        "notes": strip_control(notes or "").strip(),
        "created_by": actor,
    }
    bulletin, created = Bulletin.objects.update_or_create(office=office, month=month, defaults=values)
    audit_record(actor=actor, action="create" if created else "update", obj=bulletin, organization=office)
    return bulletin


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, publish_ranking: bool, actor: User) -> Bulletin:
    """Publish to the units (each unit's 创建办 is told); whether they see the ranking is the office's choice."""
    bulletin = Bulletin.objects.select_for_update().select_related("office").get(pk=bulletin.pk)
    if not can_issue(actor, bulletin.office):
        raise BulletinError("只有文明办的管理员和创建办可以发布通报。")
    if bulletin.is_published:
        raise BulletinError("通报已发布。")
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.publish_ranking = publish_ranking
    bulletin.published_at = timezone.now()
    bulletin.save(update_fields=["status", "publish_ranking", "published_at"])
    audit_record(actor=actor, action="update", obj=bulletin, organization=bulletin.office, details={"published": True})
    from django.urls import reverse

    units = Organization.objects.filter(pk__in=[r["unit_id"] for r in bulletin.rows])
    recipients = [u for unit in units for u in unit_office_people(unit)]
    notify(
        rule="bulletin.published",
        obj=bulletin,
        recipients=recipients,
        title=f"{bulletin.office.display_name}{bulletin.month:%Y年%m月}通报已发布",
        body="请查看本单位的各项指标。",
        url=reverse("dashboards:bulletin_detail", kwargs={"pk": bulletin.pk}),
        period="published",
        kind="system",
    )
    return bulletin


def bulletin_workbook(user: object, bulletin: Bulletin) -> bytes:
    """The 通报 as the user may see it, through the safe writer."""
    rows, ranked = rows_for(user, bulletin)
    labels = {"green": "绿", "yellow": "黄", "red": "红", "": ""}
    headers = [*(["名次"] if ranked else []), "单位", *(f"{m.label}（{m.unit}）" for m in MEASURES), "红灯项数"]
    data = []
    for r in rows:
        cells = [
            f"{'' if c['value'] is None else c['value']}{' ' + labels[c['light']] if c['light'] else ''}".strip()
            for c in r["cells"]
        ]
        data.append([*([r["rank"]] if ranked else []), r["unit_name"], *cells, r["reds"]])
    return table_workbook(f"{bulletin.month:%Y年%m月}通报", headers, data)


def bulletin_pdf_css_url() -> str:
    return (Path(settings.BASE_DIR) / "static" / "css" / "bulletin-print.css").as_uri()


def bulletin_pdf(user: object, bulletin: Bulletin) -> bytes:
    """The 通报 as the user may see it (own row, or every row when the ranking is theirs to see), laid out as A4
    landscape by the archive's renderer: a child process whose url_fetcher reads only the project's static files."""
    rows, ranked = rows_for(user, bulletin)
    html = render_to_string(
        "dashboards/bulletin_pdf.html",
        {
            "item": bulletin,
            "rows": rows,
            "ranked": ranked,
            "measures": MEASURES,
            "sort_label": MEASURE_BY_KEY[bulletin.sort].label if bulletin.sort in MEASURE_BY_KEY else "",
            "red_rows": [r for r in rows if r["reds"]] if ranked else [],
            "css_url": bulletin_pdf_css_url(),
        },
    )
    with tempfile.TemporaryDirectory(prefix="wenming-bulletin-") as tmp:
        target = Path(tmp) / "bulletin.pdf"
        try:
            render_html_to_pdf(html, target)
        except ArchiveBuildError as exc:
            raise BulletinError("通报 PDF 生成失败，请稍后重试。") from exc
        return target.read_bytes()
