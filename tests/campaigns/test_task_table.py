"""任务分解表 workbooks in the shapes offices write them (our own text): title rows, own headers, merged cells, notes.

Issue 13, part 2. The parser is pure (no database); the import through the page creates unknown units as departments.
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from campaigns.task_table import TaskTableError, parse_task_table
from organizations.models import Organization, OrganizationKind
from tests.factories import CampaignFactory


def office_table() -> bytes:
    """A table as an office lays it out in Excel: a title, a date line, the header on row 3, a merged 创建内容
    column, units one per line, a 具体任务 merged over two rows whose second row adds a unit, notes at the bottom."""
    wb = Workbook()
    ws = wb.active
    ws.append(["某某局2026年度文明单位创建工作任务分解表"])
    ws.merge_cells("A1:F1")
    ws.append(["", "", "", "", "", "填表日期：2026年2月"])
    ws.append(["序号", "工作类别", "责任目标", "责任主体", "协同单位", "时间节点"])
    ws.append(["1.1", "思想道德建设", "组织干部职工开展理论学习", "办公室\n人事科", "", "10月底前"])
    ws.append(["1.2", None, "开展道德讲堂活动", "宣传科", "工会", datetime.date(2026, 6, 30)])
    ws.merge_cells("B4:B5")
    ws.append(["2.1", "文明服务", "窗口单位推行文明用语", "政务服务科", "办公室", "长期坚持"])
    ws.append(["2.2", None, "设置志愿服务岗", "机关党委", "工会", "每季度末"])
    ws.append([None, None, None, "团支部", None, None])
    ws.merge_cells("B6:B8")
    ws.merge_cells("A7:A8")
    ws.merge_cells("C7:C8")
    ws.append([])
    ws.append(["注：1. 各责任单位于每月25日前报送进展。"])
    ws.merge_cells("A10:F10")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_office_layout_is_read_with_its_own_numbers_and_merged_cells():
    table = parse_task_table(office_table(), year=2026)
    assert table.header_line == 3
    assert table.columns == {
        "number": "序号",
        "section": "工作类别",
        "title": "责任目标",
        "lead": "责任主体",
        "coop": "协同单位",
        "due": "时间节点",
    }
    got = [(r.line, r.number, r.section, r.title, r.lead, r.coop, r.due, r.recurrence, r.errors) for r in table.rows]
    assert got == [
        (
            4,
            "1.1",
            "思想道德建设",
            "组织干部职工开展理论学习",
            ["办公室", "人事科"],
            [],
            datetime.date(2026, 10, 31),
            "once",
            [],
        ),
        (5, "1.2", "思想道德建设", "开展道德讲堂活动", ["宣传科"], ["工会"], datetime.date(2026, 6, 30), "once", []),
        (6, "2.1", "文明服务", "窗口单位推行文明用语", ["政务服务科"], ["办公室"], None, "ongoing", []),
        (7, "2.2", "文明服务", "设置志愿服务岗", ["机关党委", "团支部"], ["工会"], None, "quarterly", []),
    ]
    assert table.notes == ["注：1. 各责任单位于每月25日前报送进展。"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["序号", "具体任务", "牵头单位", "配合单位", "完成时限"], {"title", "lead", "coop", "due"}),
        (["编号", "工作任务", "责任单位", "协同单位", "完成时间"], {"title", "lead", "coop", "due"}),
        (["序号", "工作内容", "责任部门", "配合部门", "完成期限"], {"title", "lead", "coop", "due"}),
        (["序号", "责任目标", "牵头部门", "协办单位", "时间节点"], {"title", "lead", "coop", "due"}),
    ],
)
def test_header_synonyms(headers, expected):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    ws.append(["1", "一项任务", "办公室", "工会", "2026-05-01"])
    buf = io.BytesIO()
    wb.save(buf)
    table = parse_task_table(buf.getvalue(), year=2026)
    assert expected <= set(table.columns)
    assert [(r.title, r.lead, r.coop, r.due) for r in table.rows] == [
        ("一项任务", ["办公室"], ["工会"], datetime.date(2026, 5, 1))
    ]


def test_a_sheet_without_task_columns_is_refused_in_chinese():
    wb = Workbook()
    wb.active.append(["姓名", "电话"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(TaskTableError, match="找不到表头行"):
        parse_task_table(buf.getvalue(), year=2026)
    with pytest.raises(TaskTableError, match="不是有效的 Excel"):
        parse_task_table(b"%PDF-1.4", year=2026)


def test_the_row_cap_is_a_chinese_message():
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "具体任务", "牵头单位"])
    for i in range(30):
        ws.append([str(i), f"任务{i}", "办公室"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(TaskTableError, match="表格超过 20 行"):
        parse_task_table(buf.getvalue(), year=2026, max_rows=20)


@pytest.mark.django_db
def test_unknown_units_are_created_as_departments_on_confirm(client, world):
    """GIVEN the office table (its units exist nowhere in unit A) WHEN previewed and confirmed THEN every task is
    created with its own number, and the names become departments of unit A; nothing when unticked."""
    campaign = CampaignFactory(unit=world.unit_a, start_year=2026, end_year=2026)
    client.force_login(world.users["a_office"])
    url = reverse("campaigns:task_import", args=[campaign.pk])
    response = client.post(url, {"file": SimpleUploadedFile("分解表.xlsx", office_table())})
    result = response.context["result"]
    assert not result.has_errors
    # "办公室" is read as unit A's "甲办公室" (a close name, shown for checking); the rest exist nowhere.
    assert result.close_matches == {"办公室": "甲办公室"}
    assert result.unknown_units == ["人事科", "宣传科", "工会", "政务服务科", "机关党委", "团支部"]
    assert 'name="create_unit"' in response.content.decode()
    response = client.post(
        url, {"confirm": "1", "token": response.context["token"], "create_unit": result.unknown_units}
    )
    assert response.status_code == 302
    tasks = {t.number: t for t in campaign.tasks.filter(parent__isnull=False)}
    assert sorted(tasks) == ["1.1", "1.2", "2.1", "2.2"]
    assert sorted(o.name for o in tasks["2.2"].lead_units.all()) == ["团支部", "机关党委"]
    assert tasks["2.1"].recurrence == "ongoing" and tasks["1.1"].due_date == datetime.date(2026, 10, 31)
    assert tasks["1.1"].parent.title == "思想道德建设"
    assert [o.name for o in tasks["2.1"].cooperating_units.all()] == ["甲办公室"]
    created = Organization.objects.filter(parent=world.unit_a, name="工会").get()
    assert created.kind == OrganizationKind.DEPARTMENT
