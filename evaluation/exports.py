"""Excel downloads: the scored table of a round (openpyxl) and the rectification list (django-import-export)."""

from __future__ import annotations

from django.utils import timezone
from import_export import fields, resources

from organizations.spreadsheets import append_row, dataset_workbook, new_workbook, workbook_bytes

from .models import RectificationItem
from .scoring import format_points
from .selectors import Sheet
from .workbook import STYLE_LABELS


def round_workbook(sheet: Sheet) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill

    a = sheet.assessment
    wb = new_workbook()
    ws = wb.active
    ws.title = "自查评分"
    append_row(ws, [f"{a.campaign.title} · {a.name}（{a.date:%Y年%-m月%-d日}）· {a.system.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    header = [
        "项目",
        "指标",
        "标准编号",
        "测评标准",
        "评分方式",
        "满分",
        "得分",
        "失分",
        "说明",
        "佐证档案",
        "覆盖情况",
    ]
    append_row(ws, header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF0F3")
    for item, groups in sheet.groups():
        item_total = sheet.totals.by_item.get(item.pk)
        for ind, rows in groups:
            for row in rows:
                c, s = row.criterion, row.score
                value = s.value if s else None
                detail = s.comment if s else ""
                if s and s.deductions:
                    detail = "；".join(f"扣{d['points']}分：{d['reason']}" for d in s.deductions) + (
                        f"；{detail}" if detail else ""
                    )
                append_row(
                    ws,
                    [
                        f"{item.code} {item.name}",
                        f"{ind.code} {ind.name}".strip(),
                        c.code,
                        c.text,
                        STYLE_LABELS[c.style] + (f"（{s.grade}）" if s and s.grade else ""),
                        float(c.points) if c.points is not None else None,
                        float(value) if value is not None else None,
                        float(c.points - value) if value is not None and c.points is not None else None,
                        detail,
                        "、".join(e.title for e in s.evidence_events.all()) if s else "",
                        row.coverage.message,
                    ],
                )
        if item_total:
            append_row(
                ws, [f"{item.code} {item.name} 小计", "", "", "", "", float(item_total.full), float(item_total.score)]
            )
            ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    t = sheet.totals
    ws.append([])
    for label, value in (
        ("合计得分", format_points(t.overall.score)),
        ("满分", format_points(t.overall.full)),
        ("加分", format_points(t.bonus)),
        ("负面清单扣分", format_points(t.deductions)),
        ("最终得分", format_points(t.final)),
        ("得分率（%）", format_points(t.percent)),
        ("结论", "一票否决（不合格）" if t.disqualified else "—"),
    ):
        append_row(ws, [label, value])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    for v in t.vetoes:
        append_row(ws, ["一票否决", f"{v.code} {v.text}"])
    for b in sheet.bonus_items:
        claim = sheet.claims.get(b.pk)
        if claim is not None:
            append_row(ws, ["加分", f"{b.code} {b.text}", "", claim.note, "", float(b.max_points), float(claim.points)])
    for n in sheet.negative_items:
        d = sheet.declarations.get(n.pk)
        if d is not None and d.occurred:
            append_row(ws, ["负面清单", f"{n.code} {n.text}", "", d.note, n.get_consequence_display()])
    for col, width in zip("ABCDEFGHIJK", (18, 18, 9, 50, 10, 7, 7, 7, 30, 30, 24), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    return workbook_bytes(wb)


class RectificationResource(resources.ModelResource):
    criterion = fields.Field(attribute="criterion__code", column_name="标准编号")
    round = fields.Field(column_name="来源自查")
    problem = fields.Field(attribute="problem", column_name="存在问题")
    points_lost = fields.Field(attribute="points_lost", column_name="失分")
    measure = fields.Field(attribute="measure", column_name="整改措施")
    units = fields.Field(column_name="责任单位")
    responsible_person = fields.Field(attribute="responsible_person", column_name="责任人")
    deadline = fields.Field(attribute="deadline", column_name="整改时限")
    status = fields.Field(column_name="状态")
    overdue = fields.Field(column_name="逾期")
    proof = fields.Field(column_name="佐证")
    verification_note = fields.Field(attribute="verification_note", column_name="核验意见")

    class Meta:
        model = RectificationItem
        fields = (
            "criterion",
            "problem",
            "points_lost",
            "measure",
            "units",
            "responsible_person",
            "deadline",
            "status",
            "overdue",
            "proof",
            "verification_note",
            "round",
        )
        export_order = fields

    def dehydrate_round(self, obj: RectificationItem) -> str:
        return obj.assessment.name if obj.assessment_id else ""

    def dehydrate_units(self, obj: RectificationItem) -> str:
        return "、".join(u.display_name for u in obj.responsible_units.all())

    def dehydrate_status(self, obj: RectificationItem) -> str:
        return obj.get_status_display()

    def dehydrate_overdue(self, obj: RectificationItem) -> str:
        return "逾期" if obj.is_overdue else ""

    def dehydrate_deadline(self, obj: RectificationItem) -> str:
        return f"{obj.deadline:%Y-%m-%d}" if obj.deadline else ""

    def dehydrate_points_lost(self, obj: RectificationItem) -> str:
        return format_points(obj.points_lost)

    def dehydrate_proof(self, obj: RectificationItem) -> str:
        parts = [e.title for e in obj.proof_events.all()]
        if obj.proof_file:
            # The stored name is generated; the user's own name is what they recognise.
            parts.append(obj.proof_file_name or obj.proof_file.name.rsplit("/", 1)[-1])
        parts += [line for line in obj.proof_links.splitlines() if line.strip()]
        return "；".join(parts)


def rectification_workbook(queryset) -> bytes:
    dataset = RectificationResource().export(queryset)
    dataset.title = "整改清单"
    return dataset_workbook(dataset)


def export_filename(stem: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"
