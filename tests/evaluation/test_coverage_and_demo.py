"""Evidence coverage against the structured rule (dossiers, photos per dossier, slots, period) and the demo data."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

import tests.factories as factories
from evaluation.demo_data import build_demo_system
from evaluation.models import Criterion, EvaluationSystem, RectificationItem, SelfAssessment
from evaluation.selectors import assessment_sheet, coverage_for, system_snapshot
from evaluation.services import assessment_create, system_import
from evaluation.workbook import parse_workbook
from tests.factories import CampaignFactory, EventFactory

from .workbooks import make_workbook

pytestmark = pytest.mark.django_db

COLUMNS = [
    *["项目编号", "测评项目", "项目分值", "指标编号", "测评指标", "指标分值", "标准编号", "测评标准", "标准分值"],
    *["评分方式", "测评方法", "材料要求", "最少档案数", "每档最少图片", "必备材料", "统计期(月)"],
]


def _photos(event, n):
    factory = factories.EvidenceFileFactory
    for _ in range(n):
        factory(event=event, slot="photo")


def test_rule_counts_qualifying_dossiers_only():
    """GIVEN a criterion needing 2 dossiers with 3 photos each within 12 months
    WHEN one tagged dossier has 3 photos, one has 1 and one is too old THEN 需2次…：已有1次, a gap, half suggested."""
    rows = [
        ["1", "机制", 4, "1.1", "领导", 4, "1.1.1", "班子研究", 4, "", "材料审核", "提供2次班子会议纪要", 2, 3, "", 12]
    ]
    system = system_import(parsed=parse_workbook(make_workbook(rows, columns=COLUMNS)))
    campaign = CampaignFactory()
    a = assessment_create(campaign=campaign, system=system, name="第一轮")
    c = Criterion.objects.get(system=system)
    today = timezone.localdate()
    good, thin = EventFactory(campaign=campaign, start_date=today), EventFactory(campaign=campaign, start_date=today)
    old = EventFactory(campaign=campaign, start_date=today - datetime.timedelta(days=500))
    _photos(good, 3)
    _photos(thin, 1)
    _photos(old, 3)
    c.events.add(good, thin, old)
    cov = coverage_for(campaign, [c])[c.pk]
    assert cov.message.startswith("需2次班子会议纪要") and cov.message.endswith("已有1次")
    assert cov.met is False and cov.gap
    row = assessment_sheet(a).rows_by_indicator[c.indicator_id][0]
    assert str(row.suggestion) == "2.00"
    _photos(thin, 2)
    assert coverage_for(campaign, [c])[c.pk].met is True


def test_required_slots():
    rows = [
        [
            "1",
            "档案",
            2,
            "1.1",
            "台账",
            2,
            "1.1.1",
            "一事一档",
            2,
            "是否",
            "材料审核",
            "",
            None,
            None,
            "签到表、总结简报",
        ]
    ]
    system = system_import(parsed=parse_workbook(make_workbook(rows, columns=COLUMNS)))
    campaign = CampaignFactory()
    c = Criterion.objects.get(system=system)
    assert c.rule_slots == ["signin", "summary"]
    event = EventFactory(campaign=campaign)
    c.events.add(event)
    factory = factories.EvidenceFileFactory
    factory(event=event, slot="signin")
    assert coverage_for(campaign, [c])[c.pk].met is False
    factory(event=event, slot="summary")
    assert coverage_for(campaign, [c])[c.pk].met is True


def test_shipped_demo_workbook_matches_its_script():
    parsed = parse_workbook(build_demo_system.OUTPUT)
    assert parsed.errors == [] and parsed.warnings == []
    system = system_import(parsed=parsed)
    assert system_snapshot(system) == build_demo_system.snapshot()
    styles = set(Criterion.objects.filter(system=system).values_list("style", flat=True))
    assert styles == {"points", "grade", "deduction", "yes_no"}
    assert system.bonus_items.count() == 3 and system.negative_items.filter(consequence="veto").exists()


def test_seed_demo_adds_systems_rounds_and_rectifications_idempotently():
    out = StringIO()
    call_command("seed_demo", "--json", "--force", stdout=out)
    data = json.loads(out.getvalue())
    system = EvaluationSystem.objects.get()
    assert data["evaluation_systems"] == [{"id": system.pk, "name": system.name}]
    for code in ("scjgj", "sthjj"):
        rounds = SelfAssessment.objects.filter(campaign__unit__code=code)
        assert rounds.count() == 2 and rounds.filter(is_locked=True).count() == 1
        assert RectificationItem.objects.filter(campaign__unit__code=code).count() >= 2
    counts = (SelfAssessment.objects.count(), RectificationItem.objects.count(), EvaluationSystem.objects.count())
    call_command("seed_demo", "--json", "--force", stdout=StringIO())
    assert (
        SelfAssessment.objects.count(),
        RectificationItem.objects.count(),
        EvaluationSystem.objects.count(),
    ) == counts


def test_without_a_rule_done_tasks_or_any_dossier_suggest_full_points():
    rows = [["1", "机制", 4, "1.1", "领导", 4, "1.1.1", "成立领导小组", 4, "", "材料审核", "提供正式文件"]]
    system = system_import(parsed=parse_workbook(make_workbook(rows)))
    campaign = CampaignFactory()
    a = assessment_create(campaign=campaign, system=system, name="第一轮")
    c = Criterion.objects.get(system=system)
    task = factories.TaskFactory(campaign=campaign, status="doing")
    c.tasks.add(task)

    def suggestion():
        return assessment_sheet(a).rows_by_indicator[c.indicator_id][0].suggestion

    assert str(suggestion()) == "0.00"
    task.status = "done"
    task.save(update_fields=["status"])
    assert str(suggestion()) == "4.00"
