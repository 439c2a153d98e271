"""Scoring arithmetic for every style (pure functions) and through the services."""

from decimal import Decimal as D

import pytest

from evaluation import scoring
from evaluation.models import ScoringStyle
from evaluation.scoring import CriterionLine, NegativeOutcome, ScoringError
from evaluation.selectors import totals_for
from evaluation.services import EvaluationError, assessment_lock, bonus_claim_save, negative_declare, score_save
from tests.factories import (
    BonusItemFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    NegativeListItemFactory,
    SelfAssessmentFactory,
)


@pytest.mark.parametrize(("entered", "expected"), [("0", D("0")), ("1.5", D("1.5")), (2, D("2")), ("0.5", D("0.5"))])
def test_points_in_half_steps(entered, expected):
    assert scoring.score_points(entered, D("2")) == expected


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        ("1.3", "0.5 分为单位"),
        ("2.5", "不能超过满分 2 分"),
        ("-0.5", "不能为负数"),
        ("两分", "必须是数字"),
        ("", "请填写"),
    ],
)
def test_points_refused(entered, message):
    with pytest.raises(ScoringError, match=message):
        scoring.score_points(entered, D("2"))


def test_grades_default_and_configurable():
    assert [scoring.score_grade(g, D("3")) for g in "ABCD"] == [D("3.00"), D("1.98"), D("0.99"), D("0.00")]
    custom = {"A": D("100"), "B": D("80"), "C": D("60"), "D": D("20")}
    assert scoring.score_grade("b", D("5"), custom) == D("4.00")
    with pytest.raises(ScoringError):
        scoring.score_grade("E", D("5"))


def test_deductions_each_with_reason_floored_at_zero():
    rows = [
        {"points": "0.5", "reason": "未建立台账"},
        {"points": "1", "reason": "无会议纪要"},
        {"points": "", "reason": ""},
    ]
    parsed = scoring.parse_deductions(rows)
    assert scoring.score_deduction(D("4"), parsed) == D("2.5")
    big = scoring.parse_deductions([{"points": "3", "reason": "a"}, {"points": "3", "reason": "b"}])
    assert scoring.score_deduction(D("4"), big) == D("0")  # the floor
    with pytest.raises(ScoringError, match="原因"):
        scoring.parse_deductions([{"points": "1", "reason": ""}])
    with pytest.raises(ScoringError, match="正数"):
        scoring.parse_deductions([{"points": "-1", "reason": "x"}])


def test_yes_no():
    assert scoring.score_yes_no(True, D("2")) == D("2")
    assert scoring.score_yes_no(False, D("2")) == D("0")
    with pytest.raises(ScoringError):
        scoring.score_yes_no(None, D("2"))


def test_bonus_cap_per_item_and_overall():
    assert scoring.bonus_total([(D("2"), D("3")), (D("5"), D("3"))], D("10")) == D("5")  # 2 + min(5, 3)
    assert scoring.bonus_total([(D("3"), D("3")), (D("3"), D("3"))], D("5")) == D("5")  # the system's cap
    assert scoring.bonus_total([(D("3"), D("3"))], None) == D("3")


def test_totals_veto_disqualifies_whatever_the_score():
    lines = [
        CriterionLine(1, 10, D("2"), D("2")),
        CriterionLine(1, 11, D("3"), D("1.5")),
        CriterionLine(2, 20, None, None),
    ]
    totals = scoring.compute_totals(lines, bonus_claims=[(D("1"), D("2"))], bonus_cap=D("3"))
    assert (totals.overall.score, totals.overall.full, totals.final, totals.percent) == (
        D("3.5"),
        D("5"),
        D("4.50"),
        D("90.00"),
    )
    assert totals.by_item[1].lost == D("1.50")
    assert not totals.disqualified
    vetoed = scoring.compute_totals(lines, negatives=[NegativeOutcome("1", "重大事故", "veto", None)])
    assert vetoed.disqualified and vetoed.overall.score == D("3.5")
    deducted = scoring.compute_totals(lines, negatives=[NegativeOutcome("2", "曝光", "deduct", D("5"))])
    assert deducted.final == D("0") and not deducted.disqualified  # deductions floor the final at 0 too


def test_suggestion_rounds_to_half():
    assert scoring.suggested_points(D("3"), ratio=D("0.5")) == D("1.5")
    assert scoring.suggested_points(D("2"), ratio=D("1") / D("3")) == D("0.5")
    assert scoring.suggested_points(None, ratio=D("1")) is None


@pytest.mark.django_db
def test_services_score_every_style_and_lock():
    """GIVEN a round with one criterion of each style WHEN scored THEN values and totals follow the style."""
    system = EvaluationSystemFactory(bonus_cap=D("2"), grade_b=D("50"))
    a = SelfAssessmentFactory(system=system)
    points = CriterionFactory(system=system, points=D("2"), style=ScoringStyle.POINTS)
    grade = CriterionFactory(system=system, points=D("4"), style=ScoringStyle.GRADE, indicator=points.indicator)
    deduct = CriterionFactory(system=system, points=D("3"), style=ScoringStyle.DEDUCTION, indicator=points.indicator)
    yes_no = CriterionFactory(system=system, points=D("1"), style=ScoringStyle.YES_NO, indicator=points.indicator)
    score_save(assessment=a, criterion=points, points="1.5")
    score_save(assessment=a, criterion=grade, grade="B")
    score_save(
        assessment=a,
        criterion=deduct,
        deductions=[{"points": "2", "reason": "缺纪要"}, {"points": "2", "reason": "缺图片"}],
    )
    s = score_save(assessment=a, criterion=yes_no, passed=True)
    assert s.value == D("1")
    with pytest.raises(ScoringError):
        score_save(assessment=a, criterion=points, points="1.25")
    bonus = BonusItemFactory(system=system, max_points=D("3"))
    bonus_claim_save(assessment=a, bonus_item=bonus, points="3")
    totals = totals_for(a)
    assert totals.overall.score == D("4.5")  # 1.5 + 2 + 0 + 1
    assert totals.bonus == D("2")  # capped by the system
    veto = NegativeListItemFactory(system=system)
    negative_declare(assessment=a, item=veto, occurred=True)
    assert totals_for(a).disqualified
    assessment_lock(assessment=a)
    with pytest.raises(EvaluationError, match="定稿"):
        score_save(assessment=a, criterion=points, points="2")


@pytest.mark.django_db
def test_a_system_without_points_records_grades_and_has_no_percentage():
    """GIVEN a system with no points at all (like the 2020 national one) WHEN graded THEN grades kept, no % shown."""
    from evaluation.selectors import assessment_sheet
    from evaluation.services import system_import
    from evaluation.workbook import parse_workbook
    from tests.evaluation.workbooks import make_workbook

    rows = [
        ["1", "理想信念", None, "1.1", "理论学习", None, "1.1.1", "开展理论学习", None, "等级", "材料审核"],
        ["1", "理想信念", None, "1.1", "理论学习", None, "1.1.2", "建立学习制度", None, "是否", "材料审核"],
        ["1", "理想信念", None, "1.1", "理论学习", None, "1.1.3", "扣分项", None, "扣分", "实地考察"],
    ]
    parsed = parse_workbook(make_workbook(rows))
    assert parsed.errors == ["测评体系 第4行：评分方式为“扣分”的标准须填写标准分值（从满分中扣减）"]
    system = system_import(parsed=parse_workbook(make_workbook(rows[:2])))
    a = SelfAssessmentFactory(system=system)
    graded, passed = system.items.get().indicators.get().criteria.order_by("order")
    s = score_save(assessment=a, criterion=graded, grade="B")
    assert (s.grade, s.value) == ("B", None)
    score_save(assessment=a, criterion=passed, passed=True)
    with pytest.raises(ScoringError, match="未设分值"):
        score_save(assessment=a, criterion=CriterionFactory(system=system, points=None), points="1")
    totals = assessment_sheet(a).totals
    assert (totals.overall.scored, totals.overall.full, totals.percent) == (2, D("0"), None)
