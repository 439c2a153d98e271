"""The 测评体系 workbook: samples, round trip, refusals (row-level, nothing saved), hostile files."""

import io
import json
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command

from evaluation.models import Criterion, EvaluationSystem, Indicator, Item, NegativeListItem
from evaluation.selectors import system_snapshot
from evaluation.services import system_import
from evaluation.workbook import build_workbook, parse_workbook, rule_from_text, template_workbook

from .workbooks import CITY_TEMPLATE, NATIONAL_2012, make_workbook, sample_to_workbook

pytestmark = pytest.mark.django_db

GOOD_ROWS = [
    [
        "1",
        "创建工作机制",
        6,
        "1.1",
        "组织领导",
        4,
        "1.1.1",
        "每年至少召开一次专题会议",
        2,
        "",
        "材料审核",
        "提供图片3张",
    ],
    [
        "1",
        "创建工作机制",
        6,
        "1.1",
        "组织领导",
        4,
        "1.1.2",
        "班子研究2次",
        2,
        "等级",
        "听取汇报",
        "提供2次班子会议纪要",
    ],
    ["1", "创建工作机制", 6, "1.2", "制度建设", 2, "1.2.1", "有实施方案", 2, "是否", "材料审核", ""],
    ["2", "诚信建设", 4, "2.1", "诚信", 4, "2.1.1", "无失信记录", 4, "扣分", "网上测评", ""],
]


def _import(data: bytes, name: str = "t.xlsx"):
    parsed = parse_workbook(data, filename=name)
    return parsed, (system_import(parsed=parsed, filename=name) if parsed.ok else None)


def test_both_shared_samples_import():
    """GIVEN the two real excerpts converted to the template WHEN imported THEN every item, criterion and veto lands."""
    for path in (NATIONAL_2012, CITY_TEMPLATE):
        data, sample = sample_to_workbook(path)
        parsed, system = _import(data, path.name)
        assert parsed.errors == [], parsed.errors
        assert system.name == sample["name"]
        assert list(system.items.order_by("order").values_list("name", flat=True)) == [
            i["name"] for i in sample["items"]
        ]
        expected_criteria = sum(1 for i in sample["items"] for ind in i["indicators"] if ind["content"])
        assert Criterion.objects.filter(system=system).count() == expected_criteria
        assert system.negative_items.count() == len(sample["negative_list"] or [])
    national = EvaluationSystem.objects.get(name__startswith="全国")
    assert national.total_points == Decimal("100")
    assert national.items.get(code="1").points == Decimal("14")
    assert national.items.get(code="2").points is None  # a system may lack points
    assert set(national.negative_items.values_list("consequence", "window_months")) == {("veto", 24)}
    city = EvaluationSystem.objects.get(name__startswith="市级")
    meeting = Criterion.objects.get(system=city, code="1.2.1")
    assert (meeting.rule_min_dossiers, meeting.rule_min_photos) == (2, None)
    photos = Criterion.objects.get(system=city, code="1.1.1")
    assert photos.rule_min_photos == 3


def test_import_export_import_gives_an_identical_system(tmp_path):
    data = make_workbook(
        [
            *GOOD_ROWS,
            ["3", "没有指标的项目", None],
            ["4", "公式样文字", None, "4.1", "=SUM(A1:A9)", None, "4.1.1", '=HYPERLINK("http://x")', 1],
        ],
        info={
            "名称": "往返测试体系",
            "级别": "市级",
            "年份": "2026",
            "发布单位": "某市文明办",
            "总分": 10,
            "加分上限": 3,
            "B等得分率": 70,
        },
        negatives=[["1", "发生重大安全事故", "一票否决", None, 24], ["2", "被媒体曝光", "扣分", 2, 12]],
        bonuses=[["1", "获得省级表彰", 2], ["2", "特色品牌", 1.5]],
    )
    _, first = _import(data)
    out = tmp_path / "export.xlsx"
    call_command("export_evaluation", str(first.pk), "-o", str(out))
    parsed, second = _import(out.read_bytes(), "export.xlsx")
    assert parsed.errors == []
    assert system_snapshot(first) == system_snapshot(second)
    assert system_snapshot(second)["meta"]["grades"]["B"] == Decimal("70")
    # and once more, to be sure the export of the re-import is the same file content
    assert system_snapshot(_import(build_workbook(system_snapshot(second)))[1]) == system_snapshot(first)


def test_sums_that_do_not_add_up_warn_but_import():
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][5] = rows[1][5] = 5  # indicator 1.1 says 5, its criteria give 4
    rows[0][2] = rows[1][2] = rows[2][2] = 7
    parsed, system = _import(make_workbook(rows))
    assert system is not None
    assert any("指标“1.1”分值 5，下级合计 4" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda rows: rows.append(rows[0][:]), "第6行：标准编号“1.1.1”重复"),
        (lambda rows: rows.append(["", "", None, "9.1", "孤儿指标", 1, "9.1.1", "无项目", 1]), "第6行：缺少项目编号"),
        (lambda rows: rows.append(["3", "x", 1, "", "", None, "3.1.1", "无指标", 1]), "第6行：标准“3.1.1”缺少指标编号"),
        (lambda rows: rows[1].__setitem__(8, "两分"), "第3行：标准分值“两分”不是数字"),
        (lambda rows: rows[2].__setitem__(8, -1), "第4行：标准分值不能为负数"),
        (lambda rows: rows[3].__setitem__(9, "打分"), "第5行：评分方式“打分”无效"),
        (lambda rows: rows.append(["1", "另一个名字", 6, "1.3", "x", 1, "1.3.1", "y", 1]), "第6行：项目编号“1”重复"),
    ],
)
def test_bad_rows_are_refused_with_row_errors_and_nothing_saved(mutate, expected):
    rows = [list(r) for r in GOOD_ROWS]
    mutate(rows)
    parsed = parse_workbook(make_workbook(rows))
    assert any(expected in e for e in parsed.errors), parsed.errors
    with pytest.raises(ValueError):
        system_import(parsed=parsed)
    assert EvaluationSystem.objects.count() == Item.objects.count() == Criterion.objects.count() == 0


def test_command_json_shape_and_refusal(tmp_path, capsys):
    good = tmp_path / "体系.xlsx"
    good.write_bytes(make_workbook(GOOD_ROWS, negatives=[["1", "严重违纪", "一票否决", None, 24]]))
    call_command("import_evaluation", str(good), "--dry-run", "--json")
    dry = json.loads(capsys.readouterr().out)
    assert dry == {
        "id": None,
        "name": "体系",
        "items": 2,
        "indicators": 3,
        "criteria": 4,
        "negative_list": 1,
        "warnings": [],
        "errors": [],
    }
    assert EvaluationSystem.objects.count() == 0
    call_command("import_evaluation", str(good), "--json")
    done = json.loads(capsys.readouterr().out)
    assert done["id"] == EvaluationSystem.objects.get().pk
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(make_workbook([*GOOD_ROWS, GOOD_ROWS[0]]))
    with pytest.raises(SystemExit):
        call_command("import_evaluation", str(bad), "--json")
    refused = json.loads(capsys.readouterr().out)
    assert refused["id"] is None and refused["errors"] and EvaluationSystem.objects.count() == 1


def test_hundred_thousand_empty_rows_are_refused_quickly(tmp_path):
    """GIVEN a valid sheet and 100,000 rows of blank cells WHEN parsed THEN refused fast, by row, nothing saved."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("测评体系")
    ws.append(
        [
            "项目编号",
            "测评项目",
            "项目分值",
            "指标编号",
            "测评指标",
            "指标分值",
            "标准编号",
            "测评标准",
            "标准分值",
            "评分方式",
            "测评方法",
            "材料要求",
        ]
    )
    for row in GOOD_ROWS:
        ws.append(row)
    for _ in range(100_000):
        ws.append([" ", " ", " "])
    path = tmp_path / "empty.xlsx"
    wb.save(path)
    started = time.monotonic()
    with pytest.raises(SystemExit):
        call_command("import_evaluation", str(path), "--json")
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    parsed = parse_workbook(path)
    assert any("超过上限" in e and "行" in e for e in parsed.errors), parsed.errors
    assert EvaluationSystem.objects.count() == 0


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, payload if info.filename == name else src.read(info.filename))
        if name not in src.namelist():
            dst.writestr(name, payload)
    return out.getvalue()


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>'
)


@pytest.mark.parametrize("payload", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml"])
def test_xml_bomb_and_external_entity_are_refused_within_seconds(payload, member, tmp_path, capsys):
    data = _with_member(make_workbook(GOOD_ROWS), member, payload)
    started = time.monotonic()
    parsed = parse_workbook(data)
    assert time.monotonic() - started < 3
    assert parsed.errors and "已拒绝" in parsed.errors[0]
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    started = time.monotonic()
    with pytest.raises(SystemExit):
        call_command("import_evaluation", str(path), "--json")
    assert time.monotonic() - started < 3
    assert json.loads(capsys.readouterr().out)["id"] is None
    assert EvaluationSystem.objects.count() == 0


def test_utf16_encoded_dtd_is_refused_too():
    payload = XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    parsed = parse_workbook(_with_member(make_workbook(GOOD_ROWS), "xl/worksheets/sheet1.xml", payload))
    assert parsed.errors and "已拒绝" in parsed.errors[0]


@pytest.mark.parametrize("payload", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_defusedxml_guards_openpyxl_too(payload):
    """GIVEN a hostile sheet WHEN openpyxl is asked directly (our own scan skipped) THEN defusedxml refuses it."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    data = _with_member(make_workbook(GOOD_ROWS), "xl/worksheets/sheet1.xml", payload.replace(b"sst", b"worksheet"))
    started = time.monotonic()
    with pytest.raises(Exception) as excinfo:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        list(wb["测评体系"].iter_rows(values_only=True))
    assert time.monotonic() - started < 3
    chain, exc = [], excinfo.value
    while exc is not None:
        chain.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    assert {"DTDForbidden", "EntitiesForbidden"} & set(chain), chain


def test_zip_bomb_and_non_zip_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (120 * 1024 * 1024) + b"/>")
    assert "压缩" in parse_workbook(out.getvalue()).errors[0]
    assert "不是有效的 .xlsx" in parse_workbook(b"not a zip at all").errors[0]


def test_template_download_is_itself_importable():
    parsed = parse_workbook(template_workbook(), filename="模板.xlsx")
    assert parsed.errors == []
    assert parsed.counts() == {"items": 1, "indicators": 1, "criteria": 2, "negative_list": 1}
    wb = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert wb.sheetnames[:3] == ["测评体系", "说明", "负面清单"]


def test_rule_from_text():
    assert rule_from_text("提供2次班子会议纪要(包括研究会议题)") == (2, None)
    assert rule_from_text("提供召开专题会议的图片3张和领导讲话") == (1, 3)
    assert rule_from_text("提供2次开展学习教育活动的文字资料和现场图片(每次3张)") == (2, 3)
    assert rule_from_text("提供年度工作实施方案") == (None, None)


def test_indicator_and_items_counts_saved():
    _, system = _import(make_workbook(GOOD_ROWS))
    assert Item.objects.filter(system=system).count() == 2
    assert Indicator.objects.filter(system=system).count() == 3
    assert NegativeListItem.objects.filter(system=system).count() == 0


def test_other_layouts_title_row_reordered_and_missing_optional_columns():
    """GIVEN a sheet with a title row, columns in another order, full-width brackets and no 分值/评分方式 columns
    WHEN parsed THEN it imports (a system without points)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "测评体系"
    ws.append(["全国文明单位测评体系（无分值）"])
    ws.append(["测评标准", "标准编号", "指标编号", "测评指标", "项目编号", "测评项目", "测评方法（可多选）"])
    ws.append(["有年度工作方案", "1.1.1", "1.1", "组织领导", "Ⅰ", "理想信念教育", "材料审核"])
    ws.append(["开展专题学习", "1.1.2", "1.1", "组织领导", "Ⅰ", "理想信念教育", "材料审核"])
    out = io.BytesIO()
    wb.save(out)
    parsed = parse_workbook(out.getvalue(), filename="无分值体系.xlsx")
    assert parsed.errors == [] and parsed.counts()["criteria"] == 2
    assert parsed.meta["name"] == "无分值体系" and all(c.points is None for c in parsed.criteria)
