import datetime

import factory
from django.contrib.contenttypes.models import ContentType

from campaigns.models import (
    Campaign,
    CampaignLevel,
    LeadershipMember,
    LeadershipRole,
    Phase,
    ProgressReport,
    ReminderSettings,
    Task,
    Urge,
)
from organizations.models import OrganizationKind

from .organizations import OrganizationFactory, UserFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    unit = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT)
    title = factory.Sequence(lambda n: f"2026年度市级文明单位创建{n}")
    level = CampaignLevel.CITY
    start_year = 2026
    end_year = 2026


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Iterator(
        ["前期准备阶段", "宣传发动阶段", "全面创建阶段", "自检自查阶段", "整改提高阶段", "迎检评估阶段"]
    )
    start = datetime.date(2026, 3, 1)
    end = datetime.date(2026, 4, 30)
    order = factory.Sequence(lambda n: n)


class LeadershipMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadershipMember

    campaign = factory.SubFactory(CampaignFactory)
    name = "局长"
    role = LeadershipRole.LEADER
    order = factory.Sequence(lambda n: n)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    number = factory.Sequence(lambda n: f"{n + 1}.")
    title = factory.Sequence(lambda n: f"开展文明创建专题学习活动{n}")
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def lead_units(obj, create, extracted, **kwargs) -> None:
        if create and extracted:
            obj.lead_units.set(extracted)

    @factory.post_generation
    def cooperating_units(obj, create, extracted, **kwargs) -> None:
        if create and extracted:
            obj.cooperating_units.set(extracted)


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    task = factory.SubFactory(TaskFactory)
    organization = factory.LazyAttribute(lambda r: r.task.campaign.unit)
    author = factory.SubFactory(UserFactory)
    text = "已组织召开专题会议，完成阶段性工作。"
    percent = 50


class ReminderSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderSettings

    campaign = factory.SubFactory(CampaignFactory)


class UrgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Urge
        exclude = ["task"]

    task = factory.SubFactory(TaskFactory)
    campaign = factory.LazyAttribute(lambda u: u.task.campaign)
    content_type = factory.LazyAttribute(lambda u: ContentType.objects.get_for_model(Task))
    object_id = factory.LazyAttribute(lambda u: u.task.pk)
    on_date = datetime.date(2026, 12, 1)
    text = "请尽快完成并填报进展"
