import datetime
from decimal import Decimal

import factory

from dashboards.models import Bulletin, Supervision, Threshold, UnitSnapshot
from organizations.models import OrganizationKind

from .organizations import OrganizationFactory


class UnitSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitSnapshot

    unit = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT)
    date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    measures = factory.LazyFunction(lambda: {"task_done_pct": 50.0, "tasks_overdue": 2})
    campaign_title = "文明单位创建"


class ThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Threshold
        django_get_or_create = ("office", "measure")

    office = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.OFFICE)
    measure = "task_done_pct"
    green = Decimal("80")
    red = Decimal("50")


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervision

    office = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.OFFICE)
    unit = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT, parent=factory.SelfAttribute("..office"))
    measure = "tasks_overdue"
    request_text = "逾期任务较多，请说明原因并限期整改"
    deadline = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=7))  # noqa: DTZ011


class BulletinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bulletin

    office = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.OFFICE)
    month = factory.Sequence(lambda n: datetime.date(2025 - n // 12, 12 - n % 12, 1))
    snapshot_date = factory.LazyAttribute(lambda b: b.month + datetime.timedelta(days=27))
    sort = "task_done_pct"
    rows = factory.LazyFunction(list)
    notes = "本月各单位任务推进总体平稳"
