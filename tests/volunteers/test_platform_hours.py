"""Hours as volunteer platforms export them: 0.1-hour units where the site says so, masked phones, per-person lines.

The rows are our own writing in the shapes such exports take (issue 13, part 4).
"""

import datetime
from decimal import Decimal

import pytest

from organizations.models import OrganizationKind
from tests.factories import OrganizationFactory, VolunteerFactory
from tests.volunteers.test_imports import workbook
from volunteers.imports import parse_hours, parse_hours_workbook, parse_person_line, phone_mask, plan_hours_import
from volunteers.models import ServiceActivity, Volunteer, hours_step
from volunteers.services import hours_problem

PLATFORM_HEADERS = ["序号", "志愿者姓名", "手机号码", "活动名称", "服务日期", "服务时长"]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2.1+1=3.1小时", Decimal("3.1")),
        ("3.1小时", Decimal("3.1")),
        ("2+1.5", Decimal("3.5")),
        ("8:50-11:00", Decimal("2.2")),
        ("8:50-11:00 2.1+1=3.1小时", Decimal("3.1")),
        ("14：00～16：30", Decimal("2.5")),
        ("2+1=4小时", None),  # contradicts itself
        ("11:00-8:50", None),
        ("约三小时", None),
    ],
)
def test_hours_written_as_platforms_write_them(text, hours):
    assert parse_hours(text) == hours


def test_a_per_person_line_gives_the_name_and_the_stated_total():
    assert parse_person_line("张三 8:50-11:00 2.1+1=3.1小时") == ("张三", Decimal("3.1"))
    assert parse_person_line("欧阳晓明  9:00-11:30") == ("欧阳晓明", Decimal("2.5"))
    assert parse_person_line("张三") is None
    assert parse_person_line("学雷锋 活动") is None


def test_masked_phones_keep_their_visible_digits():
    assert phone_mask("1358997****") == "1358997****"
    assert phone_mask("138****5678") == "138****5678"
    assert phone_mask("138××××5678") == "138****5678"
    assert phone_mask("13800005678") == ""
    assert phone_mask("****") == ""


def test_the_default_unit_stays_half_an_hour(settings):
    settings.VOLUNTEERS_HOURS_STEP = "0.5"
    assert hours_step() == Decimal("0.5")
    assert hours_problem("3.1") == "时长须以 0.5 小时为单位"
    parsed = parse_hours_workbook(
        workbook([["王芳", "1234", "活动", "2026-03-05", "2.1+1=3.1小时"]]),
    )
    assert [str(e) for e in parsed.errors] == ["第2行：时长 3.1 须以 0.5 小时为单位"]


def test_a_site_on_tenth_hours_takes_platform_figures(settings):
    settings.VOLUNTEERS_HOURS_STEP = "0.1"
    assert hours_problem("3.1") == ""
    settings.VOLUNTEERS_HOURS_STEP = "0.3"  # not a unit we offer: the default holds
    assert hours_step() == Decimal("0.5")


@pytest.fixture
def registry(db):
    unit = OrganizationFactory(name="丙局", code="plat-unit", kind=OrganizationKind.UNIT)
    dept = OrganizationFactory(name="综合科", code="plat-zhk", kind=OrganizationKind.DEPARTMENT, parent=unit)
    VolunteerFactory(organization=dept, name="陈思远", number="", phone="13589971234")
    VolunteerFactory(organization=dept, name="陈思远", number="", phone="13911112222")  # same name, other phone
    VolunteerFactory(organization=dept, name="林小雨", number="", phone="13800005678")
    VolunteerFactory(organization=dept, name="周航", number="", phone="13700009999")
    return unit


def _plan(unit, data):
    return plan_hours_import(
        parse_hours_workbook(data),
        volunteers=Volunteer.objects.filter(organization__path__startswith=unit.path),
        activities=ServiceActivity.objects.filter(organization__path__startswith=unit.path),
    )


def test_a_platform_export_with_masked_phones_and_sums_is_matched(registry, settings):
    """GIVEN a platform export (its own headers, masked phones, hours as sums and clock ranges) on a 0.1-hour site
    WHEN previewed THEN every row finds its volunteer by name plus visible digits, with the stated totals."""
    settings.VOLUNTEERS_HOURS_STEP = "0.1"
    data = workbook(
        [
            [1, "陈思远", "1358997****", "社区环境整治", "2026-05-20", "2.1+1=3.1小时"],
            [2, "林小雨", "138****5678", "社区环境整治", "2026-05-20", "8:50-11:00"],
            [3, "周航", "137****9999", "社区环境整治", "2026年5月20日", 2.5],
        ],
        headers=PLATFORM_HEADERS,
    )
    plan = _plan(registry, data)
    assert plan.errors == []
    assert [(r.row, r.volunteer.phone, r.hours, r.hours_text) for r in plan.records] == [
        (2, "13589971234", Decimal("3.1"), "2.1+1=3.1小时"),
        (3, "13800005678", Decimal("2.2"), "8:50-11:00"),
        (4, "13700009999", Decimal("2.5"), ""),
    ]
    assert {r.date for r in plan.records} == {datetime.date(2026, 5, 20)}


def test_a_masked_phone_that_fits_nobody_is_a_row_error(registry, settings):
    settings.VOLUNTEERS_HOURS_STEP = "0.1"
    data = workbook(
        [[1, "陈思远", "1350000****", "社区环境整治", "2026-05-20", 3]],
        headers=PLATFORM_HEADERS,
    )
    plan = _plan(registry, data)
    assert [str(e) for e in plan.errors] == ["第2行：登记册中找不到志愿者“陈思远”（手机号 1350000****）"]


def test_per_person_lines_stand_in_the_name_column(registry, settings):
    """GIVEN 姓名 cells like "陈思远 8:50-11:00 2.1+1=3.1小时" and no 时长 column THEN the hours come from them."""
    settings.VOLUNTEERS_HOURS_STEP = "0.1"
    data = workbook(
        [
            ["陈思远 8:50-11:00 2.1+1=3.1小时", "1358997****", "垃圾分类宣传", "2026-06-01"],
            ["林小雨 9:00-11:30", "5678", "垃圾分类宣传", "2026-06-01"],
        ],
        headers=["姓名", "手机号", "活动名称", "日期"],
    )
    plan = _plan(registry, data)
    assert plan.errors == []
    assert [(r.volunteer.name, r.hours) for r in plan.records] == [
        ("陈思远", Decimal("3.1")),
        ("林小雨", Decimal("2.5")),
    ]
