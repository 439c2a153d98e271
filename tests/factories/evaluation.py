import datetime
from decimal import Decimal

import factory

from evaluation.models import (
    BonusClaim,
    BonusItem,
    CampaignSystem,
    ColumnMapping,
    Consequence,
    Criterion,
    EvaluationSystem,
    Indicator,
    Item,
    NegativeDeclaration,
    NegativeListItem,
    RectificationItem,
    Score,
    ScoringStyle,
    SelfAssessment,
)

from .campaigns import CampaignFactory


class EvaluationSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationSystem

    name = factory.Sequence(lambda n: f"市级文明单位测评体系（第{n}版）")
    level = "市级"
    year = "2026"
    issuer = "某市文明办"
    total_points = Decimal("100")


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    system = factory.SubFactory(EvaluationSystemFactory)
    code = factory.Sequence(lambda n: f"{n + 1}")
    name = factory.Iterator(["创建工作机制", "理想信念教育", "学雷锋志愿服务", "诚信建设"])
    points = Decimal("10")
    order = factory.Sequence(lambda n: n)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    item = factory.SubFactory(ItemFactory)
    system = factory.LazyAttribute(lambda o: o.item.system)
    code = factory.Sequence(lambda n: f"I{n + 1}")
    name = "组织领导"
    points = Decimal("4")
    order = factory.Sequence(lambda n: n)


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    indicator = factory.SubFactory(IndicatorFactory)
    system = factory.LazyAttribute(lambda o: o.indicator.system)
    code = factory.Sequence(lambda n: f"C{n + 1}")
    text = "领导班子每年研究精神文明建设工作至少2次"
    points = Decimal("2")
    style = ScoringStyle.POINTS
    methods = "材料审核"
    order = factory.Sequence(lambda n: n)


class NegativeListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NegativeListItem

    system = factory.SubFactory(EvaluationSystemFactory)
    code = factory.Sequence(lambda n: f"{n + 1}")
    text = "单位发生重大安全生产事故"
    consequence = Consequence.VETO
    window_months = 24
    order = factory.Sequence(lambda n: n)


class BonusItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BonusItem

    system = factory.SubFactory(EvaluationSystemFactory)
    code = factory.Sequence(lambda n: f"B{n + 1}")
    text = "特色工作受到市级以上表彰"
    max_points = Decimal("3")
    order = factory.Sequence(lambda n: n)


class CampaignSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignSystem

    campaign = factory.SubFactory(CampaignFactory)
    system = factory.SubFactory(EvaluationSystemFactory)


class SelfAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAssessment

    campaign = factory.SubFactory(CampaignFactory)
    system = factory.SubFactory(EvaluationSystemFactory)
    name = factory.Sequence(lambda n: f"第{n + 1}轮自查")
    date = datetime.date(2026, 9, 1)


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Score

    assessment = factory.SubFactory(SelfAssessmentFactory)
    criterion = factory.SubFactory(CriterionFactory, system=factory.SelfAttribute("..assessment.system"))
    points = Decimal("1.5")
    value = Decimal("1.5")
    comment = "会议纪要只有1次"


class BonusClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BonusClaim

    assessment = factory.SubFactory(SelfAssessmentFactory)
    bonus_item = factory.SubFactory(BonusItemFactory, system=factory.SelfAttribute("..assessment.system"))
    points = Decimal("2")


class NegativeDeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NegativeDeclaration

    assessment = factory.SubFactory(SelfAssessmentFactory)
    item = factory.SubFactory(NegativeListItemFactory, system=factory.SelfAttribute("..assessment.system"))
    occurred = False


class RectificationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RectificationItem

    campaign = factory.SubFactory(CampaignFactory)
    problem = "班子会议纪要缺1次"
    measure = "补开专题会议并形成纪要"
    responsible_person = "办公室主任"
    deadline = datetime.date(2026, 10, 31)


class ColumnMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColumnMapping

    signature = factory.Sequence(lambda n: f"{n:032x}")
    headers = ["测评项目", "测评内容", "分值"]
    mapping = {"0": "item", "1": "criterion", "2": "points"}
