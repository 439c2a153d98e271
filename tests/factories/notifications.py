import datetime

import factory
from faker import Faker

from notifications.models import (
    CalendarDay,
    Channel,
    Kind,
    Notice,
    NotificationPreference,
    Outbox,
    RobotConfig,
    RobotVendor,
)

from .organizations import OrganizationFactory, UserFactory

fake = Faker("zh_CN")


class RobotConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RobotConfig

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"创建工作群{n}")
    vendor = RobotVendor.WECOM
    webhook_url = factory.Sequence(lambda n: f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-{n:06d}")
    secret = ""
    enabled = False


class OutboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outbox

    rule = "test.rule"
    kind = Kind.REMINDER
    recipient = factory.SubFactory(UserFactory)
    recipient_key = factory.LazyAttribute(lambda o: f"user:{o.recipient.pk}")
    channel = Channel.EMAIL
    period = factory.Sequence(lambda n: f"2026-12-{n % 28 + 1:02d}#{n}")
    title = factory.LazyFunction(lambda: f"{fake.company_prefix()}任务即将到期")
    body = factory.LazyFunction(lambda: fake.sentence())
    url = "/"


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notice

    user = factory.SubFactory(UserFactory)
    kind = Kind.REMINDER
    title = factory.LazyFunction(lambda: f"{fake.company_prefix()}任务即将到期")
    body = factory.LazyFunction(lambda: fake.sentence())
    url = "/"


class CalendarDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarDay
        django_get_or_create = ("date",)

    date = factory.Sequence(lambda n: datetime.date(2040, 1, 1) + datetime.timedelta(days=n))
    is_workday = False
    name = "测试假日"


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference
        django_get_or_create = ("user", "kind", "channel")

    user = factory.SubFactory(UserFactory)
    kind = Kind.REMINDER
    channel = Channel.EMAIL
    enabled = True
