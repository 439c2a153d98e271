"""The plan parser on the four shared plans (counts and details checked by hand against the text) and on patterns."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings

from campaigns.plan_parser import parse_deadline, parse_plan, parse_responsibility

PLANS = Path(settings.BASE_DIR).parent / "shared" / "domain" / "plans"


def _plan(name: str):
    path = PLANS / name
    assert path.exists(), f"shared plan missing: {path}"
    return parse_plan(path.read_text(encoding="utf-8"))


def _by_number(plan):
    return {n.number: n for n in plan.nodes}


def test_ecology_bureau_plan():
    """GIVEN the 生态环境局 plan (13 tasks 1.–13., six dated phases, leadership in 保障措施)."""
    plan = _plan("生态环境局-市级文明单位创建实施方案.txt")
    assert plan.title == "X局创建市级文明单位实施方案"
    assert (plan.year, plan.end_year) == (2020, 2022)  # "2020-2022届"
    assert len(plan.tasks) == 13
    assert plan.headings == []
    assert [t.number for t in plan.tasks] == [f"三、{i}" for i in range(1, 14)]
    nodes = _by_number(plan)
    assert nodes["三、1"].title == "深化理论学习宣传"
    assert nodes["三、5"].title == "开展志愿者服务活动"
    assert nodes["三、13"].title == "加强“X市文明单位在线”注册管理"
    # The plan names no responsible units and no deadlines for its tasks.
    assert all(t.lead_units == [] and t.cooperating_units == [] and t.due is None for t in plan.tasks)
    assert [(p.name, p.start, p.end) for p in plan.phases] == [
        ("前期准备阶段", datetime.date(2020, 4, 1), datetime.date(2020, 5, 31)),
        ("宣传发动阶段", datetime.date(2020, 5, 1), datetime.date(2020, 6, 30)),
        ("全面创建阶段", datetime.date(2020, 6, 1), datetime.date(2021, 7, 31)),
        ("自检自查阶段", datetime.date(2021, 8, 1), datetime.date(2021, 9, 30)),
        ("整改提高阶段", datetime.date(2021, 9, 1), datetime.date(2021, 11, 30)),
        ("迎检评估阶段", datetime.date(2021, 11, 1), datetime.date(2021, 12, 31)),
    ]
    assert plan.phases[0].description.startswith("主要任务：成立创建工作领导小组")
    roles = [(m.role, m.name) for m in plan.leadership]
    assert ("组长", "局党组书记、局长钱锋") in roles
    assert ("副组长", "局机关党委书记、副局长张丹宁") in roles
    assert ("办公室主任", "机关党委专职副书记潘玲") in roles
    director = next(m for m in plan.leadership if m.role == "办公室主任")
    assert director.duty == "具体负责创建活动的日常工作"
    assert plan.guiding_idea.startswith("以习近平新时代中国特色社会主义思想为指导")


def test_yearly_work_plan_with_masked_units():
    """GIVEN the 2022 工作计划: every task followed by a 责任单位 line with masked leads."""
    plan = _plan("2022年度全国文明单位创建工作计划.txt")
    assert plan.year == 2022
    assert len(plan.tasks) == 25
    assert [h.number for h in plan.headings] == [
        "三、（三）",
        "三、（六）",
        "三、（七）",
        "三、（八）",
        "三、（九）",
        "三、（十）",
    ]
    nodes = _by_number(plan)
    first = nodes["三、（一）"]
    assert first.title == "完善创建工作机制，统筹安排创建活动"
    assert (first.lead_units, first.cooperating_units) == (["****"], ["各同创单位", "机关各科室"])
    # "****、****牵头，局属各支部配合": two different masked units lead.
    assert (nodes["三、（二）"].lead_units, nodes["三、（二）"].cooperating_units) == (["****", "****"], ["局属各支部"])
    assert (nodes["三、（三）1"].lead_units, nodes["三、（三）1"].cooperating_units) == (["****"], ["各同创单位"])
    assert nodes["三、（三）1"].title == "开展中国特色社会主义和中国梦宣传教育活动"
    eight_one = nodes["三、（八）1"]
    assert (eight_one.lead_units, eight_one.cooperating_units) == (["****", "服务中心"], ["各同创单位", "机关各科室"])
    assert nodes["三、（十一）"].title == "开展家庭廉洁创建活动，推动创建工作再上新台阶"
    assert nodes["三、（十一）"].content.endswith("不断提高本单位精神文明建设整体水平。")
    # Numeric targets as written.
    assert nodes["三、（九）2"].target_text == "法治宣传教育普及率≥95%"
    assert (nodes["三、（九）2"].target_value, nodes["三、（九）2"].target_unit) == (95, "%")
    assert nodes["三、（七）1"].target_value == 25 and nodes["三、（七）1"].target_unit == "小时"
    assert plan.phases == []
    assert all(t.due is None for t in plan.tasks)
    assert plan.unit_names() == ["****", "各同创单位", "机关各科室", "局属各支部", "服务中心"]


def test_market_regulation_plan_with_ordinal_items_in_one_paragraph():
    """GIVEN the 市场监管局 plan: sections （一）…（六）, each paragraph holding 一是/二是/… items, no 责任单位."""
    plan = _plan("市场监管局-全国文明单位创建方案.txt")
    assert len(plan.headings) == 6
    assert len(plan.tasks) == 16  # 3 + 4 + 2 + 3 + 2 + 2
    nodes = _by_number(plan)
    assert nodes["三、（一）"].title == "组织领导有力，完善创建机制"
    assert [nodes[f"三、（一）{o}是"].title for o in "一二三"] == ["领导班子重视", "组织制度健全", "创建氛围浓厚"]
    assert nodes["三、（二）四是"].title == "加强思想道德建设"
    assert nodes["三、（二）四是"].content.endswith("引导干部职工养成良好行为习惯。")
    assert nodes["三、（六）二是"].title == "加强单位内部管理"
    assert nodes["三、（五）一是"].recurrence == "ongoing"  # 常态化开展学雷锋志愿服务活动
    assert all(t.lead_units == [] for t in plan.tasks)
    # "四、创建要求" holds requirements, not tasks.
    assert not any(n.number.startswith("四、") for n in plan.nodes)


def test_speech_points_become_tasks():
    """GIVEN the 动员会讲话: no 主要任务 section, so the speech's points are the items."""
    plan = _plan("创建省级文明单位动员会讲话.txt")
    assert plan.title == "在创建省级文明单位动员会上的讲话"
    assert len(plan.tasks) == 15
    assert [h.number for h in plan.headings] == ["二、（二）"]
    nodes = _by_number(plan)
    # 一是 … 六是 in separate paragraphs continue the same run under （二）.
    assert [nodes[f"二、（二）{o}是"].title.split("，")[0] for o in "一二三四五六"] == [
        "抓硬件",
        "抓载体",
        "抓标杆",
        "抓氛围",
        "抓参与",
        "抓整治",
    ]
    assert nodes["三、四是"].title == "要打造特色"
    assert nodes["二、（三）"].title == "坚持标准导向，确保创建质量"


@pytest.mark.parametrize(
    ("clause", "lead", "coop"),
    [
        ("责任单位：A局、B局，各区（县）", ["A局"], ["B局", "各区（县）"]),
        ("责任单位：市委宣传部牵头，市文明办、市教育局配合", ["市委宣传部"], ["市文明办", "市教育局"]),
        ("牵头单位：市教育局。责任单位：市团委、市妇联", ["市教育局"], ["市团委", "市妇联"]),
        (
            "责任单位：某某集团（某某报社、某某电视台）牵头，市文明办配合",
            ["某某集团（某某报社、某某电视台）"],
            ["市文明办"],
        ),
        ("责任单位：****、****牵头，各同创单位配合", ["****", "****"], ["各同创单位"]),
    ],
)
def test_responsibility_clauses(clause, lead, coop):
    got_lead, got_coop, _ = parse_responsibility(clause)
    assert (list(dict.fromkeys(got_lead)) if "*" not in clause else got_lead, got_coop) == (lead, coop)


def test_inline_clause_with_nested_parentheses_and_deadline():
    text = (
        "2023年度某局创建工作方案\n一、重点任务\n"
        "（一）强化理论武装。组织读书班，10月底前完成。（责任单位：市委宣传部、市教育局，各区（县））\n"
        "（二）打造志愿品牌。一是建设服务队，每季度开展活动。二是完善机制，6月30日前出台制度。"
        "（牵头单位：某某集团（某某报社、某某电视台）。责任单位：市团委、****）\n"
        "二、实施步骤\n第一阶段：动员部署（3月1日—3月15日）\n（二）全面实施阶段（2023.03-2023.10）\n"
    )
    plan = parse_plan(text)
    nodes = _by_number(plan)
    one = nodes["一、（一）"]
    assert (one.lead_units, one.cooperating_units) == (["市委宣传部"], ["市教育局", "各区（县）"])
    assert one.due == datetime.date(2023, 10, 31)
    assert "责任单位" not in one.content
    assert nodes["一、（二）"].is_heading
    a, b = nodes["一、（二）一是"], nodes["一、（二）二是"]
    assert a.lead_units == ["某某集团（某某报社、某某电视台）"] and a.cooperating_units == ["市团委", "****"]
    assert a.recurrence == "quarterly"
    assert b.due == datetime.date(2023, 6, 30)
    assert [(p.name, p.start, p.end) for p in plan.phases] == [
        ("第一阶段：动员部署", datetime.date(2023, 3, 1), datetime.date(2023, 3, 15)),
        ("全面实施阶段", datetime.date(2023, 3, 1), datetime.date(2023, 10, 31)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10月底前完成", datetime.date(2022, 10, 31)),
        ("2023年6月30日前", datetime.date(2023, 6, 30)),
        ("年底前建成", datetime.date(2022, 12, 31)),
        ("第三季度完成", datetime.date(2022, 9, 30)),
        ("上半年完成", datetime.date(2022, 6, 30)),
        ("组织上半年工作总结", None),
        ("年终有总结", None),
        ("2月底前", datetime.date(2022, 2, 28)),
        ("持续推进", None),
    ],
)
def test_deadlines(text, expected):
    assert parse_deadline(text, 2022)[0] == expected


def test_numbering_levels():
    text = "一、工作任务\n（一）思想建设\n1.学习\n(1)读原著\n①读第一卷\n2、交流\n（二）环境建设\n1．整治"
    plan = parse_plan(text)
    assert [n.number for n in plan.nodes] == [
        "一、（一）",
        "一、（一）1",
        "一、（一）1(1)",
        "一、（一）1(1)①",
        "一、（一）2",
        "一、（二）",
        "一、（二）1",
    ]
    assert [n.number for n in plan.tasks] == ["一、（一）1(1)①", "一、（一）2", "一、（二）1"]


def test_text_without_items_warns():
    plan = parse_plan("这是一段没有编号的文字。")
    assert plan.nodes == [] and plan.warnings


def test_sections_that_are_tasks_themselves():
    """GIVEN a plan whose numbered sections are the tasks (no 主要任务 heading) THEN those sections are the items."""
    text = (
        "一、指导思想\n以核心价值观为引领。\n二、创建目标\n全面达标。\n"
        "三、加强理论学习\n（一）开展读书活动。（责任单位：局机关各科室）\n"
        "四、开展志愿服务活动\n（一）组建志愿服务队，一是招募队员，二是开展培训。\n"
        "五、保障措施\n（一）加强领导。组长：局长张三。\n"
    )
    plan = parse_plan(text)
    assert [n.number for n in plan.tasks] == ["三、（一）", "四、（一）一是", "四、（一）二是"]
    assert plan.tasks[0].lead_units == ["局机关各科室"]
    assert plan.goals == "全面达标。"
    assert [(m.role, m.name) for m in plan.leadership] == [("组长", "局长张三")]


def test_full_width_digits_and_goal_task_sections():
    plan = parse_plan("二、目标任务\n１．开展学习，３月底前完成。\n２．组织活动")
    assert [(n.number, n.title) for n in plan.tasks] == [
        ("二、1", "开展学习，３月底前完成"),
        ("二、2", "组织活动"),
    ] or [(n.number, n.title) for n in plan.tasks] == [("二、1", "开展学习，3月底前完成"), ("二、2", "组织活动")]


def test_common_government_plan_layout():
    """GIVEN a plan in the usual 总体要求 / 主要任务 / 实施步骤 / 工作要求 layout (our own text)."""
    text = (
        "关于开展2023年度文明单位创建活动的实施方案\n为深入贯彻，特制定本方案。\n"
        "一、总体要求\n（一）指导思想。以核心价值观为引领。\n（二）工作目标。全面达标。\n"
        "二、主要任务\n（一）加强思想道德建设\n1. 深化理论武装。组织学习。（责任单位：机关党委）\n"
        "2. 开展道德讲堂。\n责任单位：办公室、人事科\n完成时限：2023年6月底前\n"
        "三、实施步骤\n（一）动员部署阶段（2023年3月）。召开动员会。\n"
        "（二）组织实施阶段（2023年4月至10月）。全面推进。\n（三）总结验收阶段（2023年11月—12月）。总结。\n"
        "四、工作要求\n（一）加强组织领导。成立以党组书记、局长张三为组长，副局长李四为副组长的创建工作领导小组。\n"
    )
    plan = parse_plan(text)
    assert plan.title == "关于开展2023年度文明单位创建活动的实施方案" and plan.year == 2023
    assert [(p.name, p.start, p.end) for p in plan.phases] == [
        ("动员部署阶段", datetime.date(2023, 3, 1), datetime.date(2023, 3, 31)),
        ("组织实施阶段", datetime.date(2023, 4, 1), datetime.date(2023, 10, 31)),
        ("总结验收阶段", datetime.date(2023, 11, 1), datetime.date(2023, 12, 31)),
    ]
    assert [(m.role, m.name) for m in plan.leadership] == [("组长", "党组书记、局长张三"), ("副组长", "副局长李四")]
    got = [(t.number, t.title, t.lead_units, t.cooperating_units, t.due) for t in plan.tasks]
    assert got == [
        ("二、（一）1", "深化理论武装", ["机关党委"], [], None),
        ("二、（一）2", "开展道德讲堂", ["办公室"], ["人事科"], datetime.date(2023, 6, 30)),
    ]
