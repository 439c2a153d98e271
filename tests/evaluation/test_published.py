"""测评体系 in the shapes city offices publish them (our own text): own columns, title rows, merged cells, Word tables,
several criteria per cell, scoring rules in words, negative-list consequences, pass marks (issue 13, part 3)."""

from __future__ import annotations

import io
from decimal import Decimal

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from evaluation.models import ColumnMapping, Criterion, EvaluationSystem, NegativeListItem
from evaluation.published import (
    PublishedRefused,
    build_system,
    infer_style,
    read_table,
    settings_from_notes,
    split_code,
    split_criteria,
)

D = Decimal


def city_workbook() -> bytes:
    """A city office's table: a title row, its own headers on row 2, an item merged over two rows, two criteria with
    their points in one cell, numbered criteria in another, scoring rules in words, a negative list, a note row."""
    wb = Workbook()
    ws = wb.active
    ws.append(["某市文明单位测评体系（2026年版）"])
    ws.merge_cells("A1:F1")
    ws.append(["一级指标", "二级指标", "测评内容", "分值", "评分细则", "考核方式"])
    ws.append(
        [
            "Ⅰ. 组织领导",
            "1.1 领导机制",
            "成立创建工作领导小组(1分)；制定年度创建计划(1.5分)",
            None,
            "未成立的本项即不得分",
            "查阅资料",
        ]
    )
    ws.append([None, "1.2 工作保障", "1.有专人负责创建工作；2.有创建工作经费", 3, "缺一项扣1分", "查阅资料"])
    ws.merge_cells("A3:A4")
    ws.append(["Ⅱ. 思想道德", "2.1 理论学习", "每季度组织集中学习不少于1次", 4, "每少1次扣1分", "实地查看"])
    ws.append(["负面清单", "", "发生严重违纪违法案件的，撤销荣誉称号", "", "", ""])
    ws.append(["负面清单", "", "发生安全责任事故被通报的，黄牌警告", "", "", ""])
    ws.append(["注：总分110分，其中加分10分；85分以上为合格。"])
    ws.merge_cells("A8:F8")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def word_table() -> bytes:
    """The same kind of system as a Word table: a title paragraph, 测评项目 merged down over its criteria."""
    document = docx.Document()
    document.add_paragraph("某区文明单位测评细则")
    table = document.add_table(rows=4, cols=4)
    for cell, text in zip(table.rows[0].cells, ["测评项目", "测评标准", "标准分", "扣分说明"], strict=True):
        cell.text = text
    rows = [
        ["学雷锋志愿服务", "Ⅶ-2-1 志愿者注册率达到在职职工的20%", "2", "每低1个百分点扣0.1分"],
        ["", "Ⅶ-2-2 每年开展志愿服务活动不少于4次", "2", "少1次扣0.5分"],
        ["文明交通", "Ⅷ-1-1 职工遵守交通法规", "1", "发现一例违规即不得分"],
    ]
    for r, values in enumerate(rows, start=1):
        for c, text in enumerate(values):
            table.cell(r, c).text = text
    merged = table.cell(1, 0).merge(table.cell(2, 0))
    merged.text = "学雷锋志愿服务"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_a_city_table_is_read_with_its_own_columns():
    table = read_table(city_workbook(), "体系.xlsx")
    assert table.header_row == 1 and table.title == "某市文明单位测评体系（2026年版）"
    assert table.mapping == {0: "item", 1: "indicator", 2: "criterion", 3: "points", 4: "scoring", 5: "method"}
    result = build_system(table)
    system = result.system
    assert system.errors == []
    assert [(i.code, i.name) for i in system.items] == [("Ⅰ", "组织领导"), ("Ⅱ", "思想道德")]
    assert [(i.item_code, i.code, i.name) for i in system.indicators] == [
        ("Ⅰ", "1.1", "领导机制"),
        ("Ⅰ", "1.2", "工作保障"),
        ("Ⅱ", "2.1", "理论学习"),
    ]
    got = [(c.indicator_code, c.code, c.text, c.points, c.style, c.methods) for c in system.criteria]
    assert got == [
        ("1.1", "1.1.1", "成立创建工作领导小组(1分)", D("1.00"), "yes_no", "查阅资料"),
        ("1.1", "1.1.2", "制定年度创建计划(1.5分)", D("1.50"), "yes_no", "查阅资料"),
        ("1.2", "1.2.1", "有专人负责创建工作", None, "deduction", "查阅资料"),
        ("1.2", "1.2.2", "有创建工作经费", None, "deduction", "查阅资料"),
        ("2.1", "2.1.1", "每季度组织集中学习不少于1次", D("4"), "deduction", "实地查看"),
    ]
    assert result.criteria_extra["2.1.1"]["scoring_rule"] == "每少1次扣1分"
    # 扣分 without points is a warning, not a refusal.
    assert system.warnings == [
        "第4行：标准“1.2.1”按扣分评分但没有分值，导入后请补上分值",
        "第4行：标准“1.2.2”按扣分评分但没有分值，导入后请补上分值",
    ]
    assert [(n.text, n.consequence) for n in system.negatives] == [
        ("发生严重违纪违法案件的，撤销荣誉称号", "veto"),
        ("发生安全责任事故被通报的，黄牌警告", "warning"),
    ]
    assert list(result.negatives_extra.values()) == ["撤销荣誉称号", "黄牌警告"]
    assert result.settings == {
        "total_points": D("110"),
        "bonus_cap": D("10"),
        "total_includes_bonus": True,
        "pass_mark": D("85"),
    }


def test_a_word_table_with_merged_cells_and_codes_in_the_text():
    table = read_table(word_table(), "细则.docx")
    assert table.mapping == {0: "item", 1: "criterion", 2: "points", 3: "scoring"}
    assert table.title == "某区文明单位测评细则"
    system = build_system(table).system
    assert system.errors == []
    # Two levels (项目 → 标准): each item gets one indicator of its own name.
    assert [(i.code, i.name) for i in system.items] == [("1", "学雷锋志愿服务"), ("2", "文明交通")]
    assert [(c.code, c.text, c.points, c.style) for c in system.criteria] == [
        ("Ⅶ-2-1", "志愿者注册率达到在职职工的20%", D("2"), "deduction"),
        ("Ⅶ-2-2", "每年开展志愿服务活动不少于4次", D("2"), "deduction"),
        ("Ⅷ-1-1", "职工遵守交通法规", D("1"), "yes_no"),
    ]


def test_four_levels_and_dotted_codes():
    wb = Workbook()
    ws = wb.active
    ws.append(["一级指标", "二级指标", "三级指标", "测评标准", "分值"])
    ws.append(["1 思想建设", "1.1 理论武装", "1.1.1 学习制度", "建立理论学习制度", 2])
    ws.append(["1 思想建设", "1.1 理论武装", "1.1.2 学习效果", "干部职工知晓核心价值观", 3])
    buf = io.BytesIO()
    wb.save(buf)
    system = build_system(read_table(buf.getvalue(), "四级.xlsx")).system
    assert [(i.code, i.name) for i in system.indicators] == [
        ("1.1.1", "理论武装 — 学习制度"),
        ("1.1.2", "理论武装 — 学习效果"),
    ]
    assert [(c.indicator_code, c.text, c.points) for c in system.criteria] == [
        ("1.1.1", "建立理论学习制度", D("2")),
        ("1.1.2", "干部职工知晓核心价值观", D("3")),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ⅶ-2-1 文明交通", ("Ⅶ-2-1", "文明交通")),
        ("1.2.3 志愿服务", ("1.2.3", "志愿服务")),
        ("Ⅱ. 思想道德", ("Ⅱ", "思想道德")),
        ("志愿服务", ("", "志愿服务")),
        ("2026年开展", ("", "2026年开展")),
    ],
)
def test_codes_from_the_text(text, expected):
    assert split_code(text) == expected


def test_criteria_in_one_cell():
    assert split_criteria("有制度(1.5分)；有记录(3分)") == [("有制度(1.5分)", D("1.50")), ("有记录(3分)", D("3.00"))]
    assert split_criteria("（1）有制度；（2）有记录") == [("有制度", None), ("有记录", None)]
    assert split_criteria("①有台账②有总结(2分)") == [("有台账", None), ("有总结(2分)", D("2.00"))]
    assert split_criteria("开展活动不少于1.5次") == [("开展活动不少于1.5次", None)]


@pytest.mark.parametrize(
    ("rule", "style"),
    [("每低1个百分点扣1分", "deduction"), ("本项即不得分", "yes_no"), ("视情况酌情扣分", "deduction"), ("", "points")],
)
def test_scoring_style_from_the_rule(rule, style):
    assert infer_style(rule) == style


def test_settings_from_notes():
    assert settings_from_notes(["满分100分，加分项目最高5分", "80分及以上为达标"]) == {
        "total_points": D("100"),
        "bonus_cap": D("5"),
        "pass_mark": D("80"),
    }


def test_files_that_are_not_tables_are_refused_in_chinese():
    with pytest.raises(PublishedRefused, match="不是有效的"):
        read_table(b"%PDF-1.4 ...", "x.pdf")
    wb = Workbook()
    wb.active.append(["姓名", "电话"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(PublishedRefused, match="找不到表头"):
        read_table(buf.getvalue(), "x.xlsx")


@pytest.mark.django_db
def test_the_page_maps_previews_confirms_and_remembers(client, world):
    """GIVEN the city table WHEN the 创建办 uploads it, maps 考核方式 to nothing, and confirms THEN the system is saved
    with its scoring rules, pass mark and consequences as written; the next file of the layout gets the same mapping."""
    client.force_login(world.users["a_office"])
    url = reverse("evaluation:system_import_published")
    response = client.post(url, {"file": SimpleUploadedFile("体系.xlsx", city_workbook())})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="map-5"' in html and "published-tree" in html
    token = response.context["token"]
    mapping = {f"map-{c}": f for c, f in response.context["table"].mapping.items()}
    mapping["map-5"] = ""  # 考核方式 not imported
    response = client.post(url, {"token": token, **mapping, "confirm": "0"})
    assert response.context["table"].mapping.get(5) is None
    response = client.post(
        url, {"token": token, **mapping, "style-2.1.1": "points", "confirm": "1", "name": "某市体系"}
    )
    assert response.status_code == 302
    system = EvaluationSystem.objects.get(name="某市体系")
    assert system.pass_mark == D("85") and system.total_points == D("110") and system.total_includes_bonus
    c = Criterion.objects.get(system=system, code="2.1.1")
    assert (c.style, c.scoring_rule, c.methods) == ("points", "每少1次扣1分", "")
    assert sorted(NegativeListItem.objects.filter(system=system).values_list("consequence_text", flat=True)) == [
        "撤销荣誉称号",
        "黄牌警告",
    ]
    assert ColumnMapping.objects.count() == 1
    # The same layout again: the remembered mapping (考核方式 not imported) applies at once.
    response = client.post(url, {"file": SimpleUploadedFile("体系2.xlsx", city_workbook())})
    assert response.context["remembered"] is True
    assert response.context["table"].mapping.get(5) is None


@pytest.mark.django_db
def test_a_bad_file_gets_a_chinese_message_and_no_system(client, world):
    client.force_login(world.users["a_office"])
    url = reverse("evaluation:system_import_published")
    response = client.post(url, {"file": SimpleUploadedFile("体系.xlsx", b"not a zip")})
    assert response.status_code == 200
    assert "不是有效的" in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("体系.pdf", b"%PDF")})
    assert "只接受 .xlsx 或 .docx" in response.content.decode()
    assert not EvaluationSystem.objects.exists()


def test_points_after_the_item_name_and_criteria_split_on_their_marks():
    """GIVEN a table whose items carry their points in the name ("班子建设(10分)") and whose 考核内容及评分标准 cells
    hold several criteria each ending in its points THEN items get their points and each criterion its own."""
    wb = Workbook()
    ws = wb.active
    ws.append(["项目", "考核内容及评分标准", "考核方法", "标准分值", "测评得分"])
    ws.append(
        ["班子建设(10分)", "班子团结有力(3分)，定期研究创建工作(4分)，经费落实(3分)", "材料审核\n实地考察", "10分", ""]
    )
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "考核表.xlsx")
    assert table.mapping == {0: "item", 1: "criterion", 2: "method", 3: "points"}
    system = build_system(table).system
    assert [(i.name, i.points) for i in system.items] == [("班子建设", D("10.00"))]
    assert [(c.text, c.points, c.methods) for c in system.criteria] == [
        ("班子团结有力(3分)", D("3.00"), "材料审核、实地考察"),
        ("定期研究创建工作(4分)", D("4.00"), "材料审核、实地考察"),
        ("经费落实(3分)", D("3.00"), "材料审核、实地考察"),
    ]
