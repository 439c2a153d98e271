"""The odd-input findings of the outside probe, one test each: junk filters, numbers that overflow their field,
implausible dates, a tampered plan confirm, an over-long paste, the clock time in a plan line.

tests/test_fuzz_input.py walks every page for 5xx; these tests pin what the user gets instead (a Chinese message,
nothing written) and hold each rule at the service, so the command line and any later caller are held too.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.importer import PlanImportError, payload_problems, plan_import_confirm
from campaigns.models import Campaign, Task
from campaigns.plan_parser import parse_plan
from evaluation import services as evaluation_services
from evaluation.scoring import ScoringError, parse_deductions
from evaluation.workbook import parse_workbook
from ledger import services as ledger_services
from ledger.models import Event
from organizations.field_ranges import number_problem
from organizations.query_params import clean_text, query_id, query_int, query_year
from tests.evaluation.workbooks import make_workbook
from tests.factories import CampaignFactory, EventFactory, ServiceActivityFactory, TaskFactory, VolunteerFactory
from tests.permissions.evaluation import ev
from volunteers import services as volunteer_services
from volunteers.models import StaffCount

TWENTY_DIGITS = "9" * 20
PLAN = "一、主要任务\n1.开展专题学习。（责任单位：甲办公室）\n2.组织志愿服务，每月一次。（责任单位：甲办公室）\n"
OVERFLOW_PLAN = (
    "一、主要任务\n1.开展专题学习。（责任单位：甲办公室）\n"
    "2.推进志愿服务，注册率达到100000000000000%。（责任单位：甲办公室）\n"
)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _ids(response) -> list[int]:
    return [obj.pk for obj in response.context["page"].object_list]


# ----------------------------------------------------------------------------------------------
# List filters ignore junk
# ----------------------------------------------------------------------------------------------
def test_query_param_helpers_ignore_junk():
    assert [query_int(v) for v in ("-1", "12", " 7 ", "1e3", "NaN", "١٢", "", None, "9" * 21)] == [
        -1,
        12,
        7,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert [query_id(v) for v in ("0", "-1", "5", TWENTY_DIGITS, str(2**63 - 1))] == [None, None, 5, None, 2**63 - 1]
    assert [query_year(v) for v in ("-1", "1999", "2000", "2100", "2101", TWENTY_DIGITS)] == [
        None,
        None,
        2000,
        2100,
        None,
        None,
    ]
    assert query_year("abc", default=2026) == 2026
    assert clean_text("\x00") == "" and clean_text("甲\x0b乙\x00丙") == "甲 乙 丙" and clean_text("  学习  ") == "学习"


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("ledger:index", {"year": "-1"}),
        ("ledger:index", {"year": TWENTY_DIGITS}),
        ("ledger:index", {"campaign": TWENTY_DIGITS}),
        ("ledger:index", {"q": "\x00"}),
        ("volunteers:activity_list", {"year": "-1"}),
        ("volunteers:activity_list", {"q": "\x00"}),
        ("volunteers:index", {"q": "\x00"}),
        ("campaigns:index", {"q": "\x00"}),
        ("evaluation:index", {"q": "\x00"}),
        ("organizations:list", {"q": "\x00"}),
        ("organizations:audit", {"action": "\x00"}),
    ],
)
def test_list_filter_junk_is_ignored(client, world, name, query):
    """GIVEN rows on a list page WHEN a filter value is junk THEN the page answers 200 with the unfiltered rows."""
    campaign = CampaignFactory(unit=world.unit_a, title="甲单位2026年度创建")
    EventFactory(campaign=campaign, organization=world.dept_a)
    ServiceActivityFactory(organization=world.dept_a)
    VolunteerFactory(organization=world.dept_a)
    ev(world)  # a system, a round and a rectification (which the 操作记录 records)
    client.force_login(world.user("a_admin"))
    plain = client.get(reverse(name))
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    assert _ids(response) == _ids(plain) and _ids(plain)


def test_rectification_list_search_with_nul(client, world):
    client.force_login(world.user("a_admin"))
    url = reverse("evaluation:rectification_list", args=[ev(world).campaign.pk])
    response = client.get(url, {"q": "\x00"})
    assert response.status_code == 200 and _ids(response) == _ids(client.get(url))


# ----------------------------------------------------------------------------------------------
# The plan import: overflowing targets, a tampered confirm, implausible dates, a long paste
# ----------------------------------------------------------------------------------------------
def test_plan_with_overflowing_target_is_refused_at_preview(client, world):
    """GIVEN a plan whose target (100000000000000%) cannot be stored in 目标值 (12 digits, 2 decimals) WHEN it is
    previewed THEN the form says so in Chinese and nothing is created."""
    client.force_login(world.user("a_office"))
    response = client.post(
        reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": OVERFLOW_PLAN}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["text"]
    assert any("目标值超出范围" in e and "注册率" in e for e in errors), errors
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0


def test_plan_with_overflowing_target_is_refused_on_the_command_line(world, tmp_path):
    path = tmp_path / "方案.txt"
    path.write_text(OVERFLOW_PLAN, encoding="utf-8")
    with pytest.raises(CommandError, match="目标值超出范围"):
        call_command("import_plan", str(path), "--unit", world.unit_a.code)
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0


def _payload() -> dict:
    return parse_plan(PLAN).to_payload()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda p: p["nodes"][0].pop("lead_units"), "单位名单无效"),
        (lambda p: p["nodes"][0].update(index="0"), "序号无效"),
        (lambda p: p["nodes"][1].update(recurrence="hourly"), "频次“hourly”无效"),
        (lambda p: p["nodes"][1].update(target_value="1" + "0" * 20), "目标值超出范围"),
        (lambda p: p["nodes"][1].update(target_value="NaN"), "目标值不是有效的数字"),
        (lambda p: p["nodes"][1].update(due="9999-12-31"), "2000–2100"),
        (lambda p: p["nodes"][1].update(title=["列表"]), "不是文字"),
        (lambda p: p["nodes"][1].update(parent=99), "上级任务无效"),
        (lambda p: p.update(nodes="abc"), "预览数据不完整"),
        (lambda p: p.update(leadership=[{"name": "王某", "role": "皇帝", "duty": ""}]), "职务“皇帝”无效"),
    ],
)
def test_confirm_service_refuses_a_crafted_payload(world, tamper, message):
    """GIVEN a payload changed by hand (missing key, wrong type, unknown recurrence, overflowing number) WHEN it is
    confirmed through the service (the path of the web, the CLI and any later caller) THEN nothing is created."""
    payload = _payload()
    tamper(payload)
    assert any(message in p for p in payload_problems(payload)), payload_problems(payload)
    with pytest.raises(PlanImportError, match=message):
        plan_import_confirm(unit=world.unit_a, payload=payload)
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0


def _preview(client, world, text: str = PLAN):
    response = client.post(reverse("campaigns:plan_import"), {"unit": world.unit_a.pk, "level": "city", "text": text})
    assert response.status_code == 200, response.content[:300]
    return response.context


def test_confirm_imports_the_server_side_preview_not_a_posted_payload(client, world):
    """GIVEN a preview WHEN the confirm posts a crafted payload beside the preview's token THEN the crafted payload is
    ignored: the tasks are the preview's, with its recurrence; without a valid token nothing is imported."""
    client.force_login(world.user("a_office"))
    ctx = _preview(client, world)
    crafted = _payload()
    crafted["nodes"][1].update(recurrence="hourly", title="伪造的任务")
    no_token = client.post(
        reverse("campaigns:plan_import_confirm"), {"unit": world.unit_a.pk, "payload": str(crafted), "preview": "x"}
    )
    assert no_token.status_code == 302 and no_token["Location"] == reverse("campaigns:plan_import")
    assert "预览已失效或不属于该单位，请重新导入方案。" in _messages(no_token)
    assert Campaign.objects.count() == 0
    response = client.post(
        reverse("campaigns:plan_import_confirm"),
        {"unit": world.unit_a.pk, "preview": ctx["preview_token"], "payload": str(crafted), "start_year": "2026"},
    )
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("campaigns:tasks", args=[campaign.pk])
    expected = [(n["title"], n["recurrence"]) for n in ctx["payload"]["nodes"] if not n["is_heading"]]
    got = list(
        Task.objects.filter(campaign=campaign, children__isnull=True)
        .order_by("order")
        .values_list("title", "recurrence")
    )
    assert got == expected and ("伪造的任务", "hourly") not in got
    # The token is spent: the same confirm again imports nothing more.
    again = client.post(
        reverse("campaigns:plan_import_confirm"), {"unit": world.unit_a.pk, "preview": ctx["preview_token"]}
    )
    assert again["Location"] == reverse("campaigns:plan_import") and Campaign.objects.count() == 1


def test_preview_token_of_another_user_is_refused(client, world):
    client.force_login(world.user("a_office"))
    token = _preview(client, world)["preview_token"]
    client.force_login(world.user("a_admin"))
    response = client.post(reverse("campaigns:plan_import_confirm"), {"unit": world.unit_a.pk, "preview": token})
    assert response["Location"] == reverse("campaigns:plan_import") and Campaign.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("due", "9999-12-31", "完成时限9999-12-31不合常理：须在 2000–2100 年之间。"),
        ("due", "1999-12-31", "完成时限1999-12-31不合常理：须在 2000–2100 年之间。"),
        ("due", "2026-13-01", "完成时限“2026-13-01”不是有效日期"),
        ("start_year", TWENTY_DIGITS, "起始年度须在 2000–2100 年之间。"),
    ],
)
def test_preview_edits_are_validated(client, world, field, value, message):
    """GIVEN a preview WHEN the user's own edit on it is implausible THEN a Chinese message and nothing created."""
    client.force_login(world.user("a_office"))
    ctx = _preview(client, world)
    first = next(n["index"] for n in ctx["payload"]["nodes"] if not n["is_heading"])
    data = {"unit": world.unit_a.pk, "preview": ctx["preview_token"]}
    data[f"n{first}-due" if field == "due" else field] = value
    response = client.post(reverse("campaigns:plan_import_confirm"), data)
    assert response.status_code == 302
    assert any(message in m for m in _messages(response)), _messages(response)
    assert Campaign.objects.count() == 0 and Task.objects.count() == 0


def _long_plan(chars: int) -> str:
    """A plan of `chars` characters: a long 指导思想 (the parser reads prose in linear time) and two tasks."""
    prose = "坚持以习近平新时代中国特色社会主义思想为指导，深入践行社会主义核心价值观，推进文明单位创建走深走实。"
    tasks = "\n二、主要任务\n1.开展专题学习。（责任单位：甲办公室）\n2.组织志愿服务。（责任单位：甲办公室）\n"
    head = "一、指导思想\n"
    body_chars = chars - len(head) - len(tasks)
    lines = [prose] * (body_chars // (len(prose) + 1) + 1)
    return head + "\n".join(lines)[:body_chars] + tasks


def test_request_limit_agrees_with_the_plan_limit():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 3 * settings.CAMPAIGNS_PLAN_MAX_MB * 1024 * 1024


def test_long_paste_within_the_limit_is_previewed(client, world):
    """GIVEN about 320,000 characters of a Chinese plan pasted (URL-encoded: over Django's default 2.5 MB)
    THEN a preview, not a bare 400."""
    client.force_login(world.user("a_office"))
    text = _long_plan(320_000)
    body = urlencode({"unit": world.unit_a.pk, "level": "city", "text": text})
    assert len(body) > 2_621_440
    response = client.post(reverse("campaigns:plan_import"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "preview_token" in response.context


def test_paste_over_the_limit_gets_a_chinese_message(client, world):
    """GIVEN a paste just over CAMPAIGNS_PLAN_MAX_MB of UTF-8 WHEN posted URL-encoded (three times the bytes)
    THEN the request is read and the form says the plan is too long, in Chinese."""
    limit = settings.CAMPAIGNS_PLAN_MAX_MB * 1024 * 1024
    client.force_login(world.user("a_office"))
    text = _long_plan(limit // 3 + 40_000)
    assert len(text.encode()) > limit
    body = urlencode({"unit": world.unit_a.pk, "level": "city", "text": text})
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(reverse("campaigns:plan_import"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [f"方案文字过长（超过 {settings.CAMPAIGNS_PLAN_MAX_MB} MB）。"]


def test_clock_time_in_a_plan_line_stays_in_the_title():
    plan = parse_plan(
        "一、主要任务\n1.上午9:30开展专题学习，全体职工参加。（责任单位：办公室）\n2.活动要求:按时参加。\n"
    )
    assert [t.title for t in plan.tasks] == ["上午9:30开展专题学习，全体职工参加", "活动要求"]


# ----------------------------------------------------------------------------------------------
# Numbers against their field's range
# ----------------------------------------------------------------------------------------------
def test_next_cycle_with_twenty_digit_years(client, world):
    campaign = CampaignFactory(unit=world.unit_a, start_year=2026, end_year=2026)
    client.force_login(world.user("a_admin"))
    for years, message in ((TWENTY_DIGITS, "间隔年数须为 1–100 的整数。"), ("90", "起始年度须在 2000–2100 年之间。")):
        response = client.post(reverse("campaigns:next_cycle", args=[campaign.pk]), {"years": years})
        assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
        assert f"未能复制为新一轮：{message}" in _messages(response)
    assert Campaign.objects.count() == 1
    with pytest.raises(campaign_services.CampaignError):
        campaign_services.campaign_copy_to_next_cycle(campaign=campaign, years=10**20)


def test_thirty_digit_staff_count(client, world):
    """GIVEN the targets page WHEN 在职职工数 is 30 digits THEN the row shows a Chinese range message, nothing saved."""
    CampaignFactory(unit=world.unit_a, start_year=2026, end_year=2026)
    client.force_login(world.user("a_office"))
    response = client.post(
        f"{reverse('volunteers:targets')}?year=2026",
        {
            "registration_rate": "80",
            "hours_per_volunteer": "20",
            "activities_per_year": "4",
            f"staff_{world.unit_a.pk}": "9" * 30,
        },
    )
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["org"] == world.unit_a)
    assert row["error"] == "在职职工数超出范围：不能大于 2147483647。"
    assert StaffCount.objects.count() == 0
    with pytest.raises(volunteer_services.VolunteerError, match="超出范围"):
        volunteer_services.staff_count_set(organization=world.unit_a, year=2026, count=10**30)


def test_deduction_of_1e400_points(client, world):
    """GIVEN a 扣分 criterion WHEN the deduction line reads “扣1e400分” THEN the row says the number is out of range."""
    with pytest.raises(ScoringError, match="超出范围"):
        parse_deductions([{"points": "1e400", "reason": "迟报"}])
    e = ev(world)
    e.criterion.style = "deduction"
    e.criterion.save(update_fields=["style"])
    client.force_login(world.user("a_admin"))
    response = client.post(
        reverse("evaluation:score_save", args=[e.assessment.pk, e.criterion.pk]),
        {"deductions": "扣1e400分 迟报"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "扣分超出范围，绝对值不能超过 99999.99 分" in response.content.decode()


def test_workbook_with_1e400_deduction_is_a_row_error():
    parsed = parse_workbook(
        make_workbook(
            [["1", "创建工作机制", 4, "1.1", "组织领导", 4, "1.1.1", "班子研究2次", 4, "", "材料审核", "2次纪要"]],
            info={"名称": "测试体系"},
            negatives=[["1", "重大事故", "扣分", "1e400", 24]],
        )
    )
    assert parsed.errors and any("扣分" in e for e in parsed.errors)


def test_number_problem_follows_the_field():
    assert number_problem(Task, "target_value", "9999999999.99") == ""
    assert number_problem(Task, "target_value", "10000000000") == "目标值超出范围：绝对值不能超过 9999999999.99。"
    assert number_problem(Task, "target_value", "1.005") == "目标值最多保留 2 位小数。"
    assert number_problem(Task, "target_value", "-0") == ""
    assert number_problem(StaffCount, "count", -1) == "在职职工数不能小于 0。"


# ----------------------------------------------------------------------------------------------
# Dates outside 2000–2100 are implausible: forms and services
# ----------------------------------------------------------------------------------------------
IMPLAUSIBLE = (
    datetime.date(1999, 12, 31),
    datetime.date(2101, 1, 1),
    datetime.date(1, 1, 1),
    datetime.date(9999, 12, 31),
)


@pytest.mark.parametrize("day", IMPLAUSIBLE)
def test_services_refuse_implausible_dates(world, day):
    campaign = CampaignFactory(unit=world.unit_a)
    with pytest.raises(campaign_services.CampaignError, match="2000–2100"):
        campaign_services.task_create(campaign=campaign, title="学习", due_date=day)
    task = TaskFactory(campaign=campaign)
    with pytest.raises(campaign_services.CampaignError, match="2000–2100"):
        campaign_services.task_update(task=task, due_date=day)
    with pytest.raises(ledger_services.ValidationError, match="2000–2100"):
        ledger_services.event_create(
            campaign=campaign,
            organization=world.dept_a,
            title="学习",
            start_date=day,
            category="study",
            created_by=None,
        )
    with pytest.raises(volunteer_services.VolunteerError, match="2000–2100"):
        volunteer_services.activity_record(
            organization=world.dept_a, title="服务", date=day, category="lei_feng", created_by=None
        )
    with pytest.raises(evaluation_services.EvaluationError, match="2000–2100"):
        evaluation_services.rectification_create(campaign=campaign, problem="缺少纪要", deadline=day)
    assert not Event.objects.exists() and Task.objects.filter(title="学习").count() == 0
    task.refresh_from_db()
    assert task.due_date != day


@pytest.mark.parametrize(
    ("name", "kwargs", "data", "field"),
    [
        ("campaigns:task_create", lambda w: {"pk": CampaignFactory(unit=w.unit_a).pk}, {"title": "学习"}, "due_date"),
        ("volunteers:activity_create", None, {"title": "服务", "category": "lei_feng"}, "date"),
    ],
)
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_forms_refuse_implausible_dates(client, world, name, kwargs, data, field, day):
    client.force_login(world.user("a_admin"))
    response = client.post(reverse(name, kwargs=kwargs(world) if kwargs else None), {**data, field: day})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [f"日期{day}不合常理：须在 2000–2100 年之间。"]


def test_plausible_bounds_are_accepted(world):
    campaign = CampaignFactory(unit=world.unit_a)
    for day in (datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)):
        assert campaign_services.task_create(campaign=campaign, title="学习", due_date=day).due_date == day
    assert number_problem(Task, "target_value", Decimal("0.01")) == ""
