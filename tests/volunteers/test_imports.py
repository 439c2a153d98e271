"""Hours import: the pure parser, matching to the registry, all-or-nothing saving and the command."""

import datetime
import io
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from organizations.models import OrganizationKind
from tests.factories import OrganizationFactory, ServiceActivityFactory, ServiceRecordFactory, VolunteerFactory
from volunteers.imports import TEMPLATE_HEADERS, parse_hours_workbook, plan_hours_import
from volunteers.models import RecordStatus, ServiceActivity, ServiceRecord, Volunteer
from volunteers.services import VolunteerError, hours_import


def workbook(rows, headers=TEMPLATE_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------
# The parser: no database
# ------------------------------------------------------------------------------------------------
def test_parser_reads_the_template_without_a_database():
    data = workbook(
        [
            ["王芳", "330100001", "学雷锋活动", datetime.date(2026, 3, 5), 2.5],
            ["李强", "1234", "学雷锋活动", "2026年3月5日", "3"],
            [None, None, None, None, None],
            ["赵敏", 5678, "文明交通劝导", "2026/4/1", 8],
        ]
    )
    parsed = parse_hours_workbook(data)
    assert parsed.errors == []
    assert [(r.row, r.name, r.number, r.phone4, r.activity, r.date, r.hours) for r in parsed.rows] == [
        (2, "王芳", "330100001", "", "学雷锋活动", datetime.date(2026, 3, 5), Decimal("2.5")),
        (3, "李强", "", "1234", "学雷锋活动", datetime.date(2026, 3, 5), Decimal("3")),
        (5, "赵敏", "", "5678", "文明交通劝导", datetime.date(2026, 4, 1), Decimal("8")),
    ]


def test_parser_reports_every_bad_row_in_chinese():
    """GIVEN negative, over-maximum, off-step and non-numeric hours, bad and missing dates, missing keys
    WHEN parsed THEN each is a row error with the Excel row number and nothing is returned for those rows."""
    data = workbook(
        [
            ["王芳", "330100001", "活动", "2026-03-05", -2],
            ["李强", "1234", "活动", "2026-03-05", 9],
            ["赵敏", "1234", "活动", "2026-03-05", 1.2],
            ["钱多", "1234", "活动", "2026-02-30", 2],
            ["孙立", "1234", "活动", "下周三", 2],
            ["周正", "", "活动", "2026-03-05", 2],
            ["吴用", "1234", "活动", "", "两小时"],
            ["郑好", "330100009", "活动", "2026-03-05", 2],
        ]
    )
    parsed = parse_hours_workbook(data)
    assert [str(e) for e in parsed.errors] == [
        "第2行：时长 -2 不是正数",
        "第3行：时长 9 超过每次活动上限 8 小时",
        "第4行：时长 1.2 须以 0.5 小时为单位",
        "第5行：日期“2026-02-30”无法识别",
        "第6行：日期“下周三”无法识别",
        "第7行：缺少志愿者编号或手机号后四位",
        "第8行：缺少日期；时长“两小时”不是数字",
    ]
    assert [r.row for r in parsed.rows] == [9]


def test_parser_refuses_a_file_that_is_not_a_workbook_or_lacks_columns():
    assert [str(e) for e in parse_hours_workbook(b"not a zip").errors] == [
        "文件不是有效的 Excel 工作簿（.xlsx），请使用下载的模板。"
    ]
    parsed = parse_hours_workbook(workbook([["王芳", "活动"]], headers=["姓名", "活动名称"]))
    assert [str(e) for e in parsed.errors] == ["第1行：缺少列：志愿者编号或手机号后四位、日期、时长"]


def test_parser_accepts_separate_number_and_phone_columns():
    data = workbook(
        [["王芳", "", "1234", "活动", "2026-03-05", 1], ["李强", "A-77", "", "活动", "2026-03-05", 1]],
        headers=["姓名", "志愿者编号", "手机号后四位", "活动名称", "日期", "时长"],
    )
    parsed = parse_hours_workbook(data)
    assert parsed.errors == []
    assert [(r.number, r.phone4) for r in parsed.rows] == [("", "1234"), ("A-77", "")]


# ------------------------------------------------------------------------------------------------
# Matching and saving
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def registry(db):
    unit = OrganizationFactory(name="甲局", code="imp-unit", kind=OrganizationKind.UNIT)
    dept = OrganizationFactory(name="办公室", code="imp-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit)
    other = OrganizationFactory(name="乙局", code="imp-other", kind=OrganizationKind.UNIT)
    people = {
        "王芳": VolunteerFactory(organization=dept, name="王芳", number="330100001", phone="13900001234"),
        "李强": VolunteerFactory(organization=dept, name="李强", number="330100002", phone="13800005678"),
        "张伟": VolunteerFactory(organization=unit, name="张伟", number="330100003", phone="13700001111"),
        "外人": VolunteerFactory(organization=other, name="外人", number="330199999", phone="13600002222"),
    }
    return unit, dept, people


def _plan(unit, data):
    return plan_hours_import(
        parse_hours_workbook(data),
        volunteers=Volunteer.objects.filter(organization__path__startswith=unit.path),
        activities=ServiceActivity.objects.filter(organization__path__startswith=unit.path),
    )


def test_a_good_file_is_saved_whole(registry):
    unit, dept, _people = registry
    existing = ServiceActivityFactory(organization=dept, title="文明交通劝导", date=datetime.date(2026, 4, 1))
    data = workbook(
        [
            ["王芳", "330100001", "学雷锋活动", "2026-03-05", 2.5],
            ["李强", "5678", "学雷锋活动", "2026-03-05", 3],
            ["张伟", "1111", "文明交通劝导", "2026-04-01", 4],
        ]
    )
    plan = _plan(unit, data)
    assert plan.errors == []
    assert plan.new_activities == [("学雷锋活动", datetime.date(2026, 3, 5))]
    outcome = hours_import(plan=plan, organizer=dept, created_by=None)
    assert (outcome.records, outcome.activities_created, outcome.hours) == (3, 1, Decimal("9.5"))
    new = ServiceActivity.objects.get(title="学雷锋活动")
    assert new.organization == dept
    assert sorted(new.records.values_list("volunteer__name", "hours")) == [
        ("李强", Decimal("3.0")),
        ("王芳", Decimal("2.5")),
    ]
    assert list(existing.records.values_list("volunteer__name", "hours", "status")) == [
        ("张伟", Decimal("4.0"), RecordStatus.PENDING)
    ]


def test_unknown_people_and_bad_rows_save_nothing(registry):
    """GIVEN a file with good rows mixed with an unknown person, another unit's volunteer, a wrong phone tail,
    negative and over-maximum hours and a bad date WHEN planned THEN each is a row error and importing refuses,
    leaving the database as it was."""
    unit, dept, _people = registry
    data = workbook(
        [
            ["王芳", "330100001", "学雷锋活动", "2026-03-05", 2],
            ["查无此人", "330100001", "学雷锋活动", "2026-03-05", 2],
            ["外人", "330199999", "学雷锋活动", "2026-03-05", 2],
            ["李强", "0000", "学雷锋活动", "2026-03-05", 2],
            ["张伟", "1111", "学雷锋活动", "2026-03-05", -1],
            ["张伟", "1111", "学雷锋活动", "2026-03-05", 12],
            ["张伟", "1111", "学雷锋活动", "2026-13-01", 2],
            ["王芳", "1234", "学雷锋活动", "2026-03-05", 1],
        ]
    )
    plan = _plan(unit, data)
    assert [str(e) for e in plan.errors] == [
        "第3行：登记册中找不到志愿者“查无此人”（志愿者编号 330100001）",
        "第4行：登记册中找不到志愿者“外人”（志愿者编号 330199999）",
        "第5行：登记册中找不到志愿者“李强”（手机号后四位 0000）",
        "第6行：时长 -1 不是正数",
        "第7行：时长 12 超过每次活动上限 8 小时",
        "第8行：日期“2026-13-01”无法识别",
        "第9行：“王芳”在“学雷锋活动”中与第2行重复",
    ]
    before = (ServiceActivity.objects.count(), ServiceRecord.objects.count())
    with pytest.raises(VolunteerError, match="未导入任何数据"):
        hours_import(plan=plan, organizer=dept, created_by=None)
    assert (ServiceActivity.objects.count(), ServiceRecord.objects.count()) == before == (0, 0)


def test_matching_respects_existing_records_and_an_activitys_own_maximum(registry):
    unit, dept, people = registry
    activity = ServiceActivityFactory(
        organization=dept, title="义务植树", date=datetime.date(2026, 3, 12), max_hours=Decimal("4")
    )
    ServiceRecordFactory(volunteer=people["王芳"], activity=activity, hours=Decimal("2"))
    plan = _plan(
        unit,
        workbook([["王芳", "330100001", "义务植树", "2026-03-12", 2], ["李强", "5678", "义务植树", "2026-03-12", 5]]),
    )
    assert [str(e) for e in plan.errors] == [
        "第2行：“王芳”已登记过“义务植树”的时长",
        "第3行：时长 5 超过活动“义务植树”的上限 4 小时",
    ]


# ------------------------------------------------------------------------------------------------
# The command
# ------------------------------------------------------------------------------------------------
def test_import_hours_command_dry_run_then_save_confirmed(registry, tmp_path):
    _unit, _dept, _people = registry
    path = tmp_path / "hours.xlsx"
    path.write_bytes(
        workbook(
            [["王芳", "330100001", "学雷锋活动", "2026-03-05", 2], ["李强", "5678", "学雷锋活动", "2026-03-05", 3]]
        )
    )
    out = StringIO()
    call_command("import_hours", str(path), "--unit", "imp-bgs", "--dry-run", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["ok"], result["rows"], result["hours"], result["saved"]) == (True, 2, 5.0, 0)
    assert ServiceRecord.objects.count() == 0

    out = StringIO()
    call_command("import_hours", str(path), "--unit", "imp-bgs", "--confirmed", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["ok"], result["saved"], result["activities_created"]) == (True, 2, 1)
    assert set(ServiceRecord.objects.values_list("status", flat=True)) == {RecordStatus.CONFIRMED}


def test_import_hours_command_exits_non_zero_when_refused(registry, tmp_path):
    _unit, _dept, _people = registry
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        workbook(
            [["王芳", "330100001", "学雷锋活动", "2026-03-05", 2], ["无名", "9999", "学雷锋活动", "2026-03-05", 3]]
        )
    )
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_hours", str(path), "--unit", "imp-unit", "--json", stdout=out)
    assert exit_info.value.code == 1
    result = json.loads(out.getvalue())
    assert result["ok"] is False
    assert result["errors"] == [{"row": 3, "message": "登记册中找不到志愿者“无名”（手机号后四位 9999）"}]
    assert ServiceRecord.objects.count() == 0 and ServiceActivity.objects.count() == 0


def test_parser_refuses_too_many_rows_and_zip_bombs(monkeypatch):
    from volunteers import imports

    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["王芳", "1234", "活动", "2026-03-05", 1]] * 2 + [[None] * 5] * 3
    assert [str(e) for e in parse_hours_workbook(workbook(rows)).errors] == ["第5行：文件超过 3 行，请分批导入"]
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    assert [str(e) for e in parse_hours_workbook(workbook(rows[:1])).errors] == [
        "文件解压后过大，请确认是填写好的模板。"
    ]
