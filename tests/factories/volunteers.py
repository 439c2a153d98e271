import datetime
from decimal import Decimal

import factory
from faker import Faker

from organizations.models import OrganizationKind
from volunteers.models import (
    ActivityCategory,
    RecordStatus,
    ServiceActivity,
    ServiceRecord,
    StaffCount,
    Volunteer,
    VolunteerTargets,
)

from .campaigns import CampaignFactory
from .organizations import OrganizationFactory

fake = Faker("zh_CN")


class VolunteerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Volunteer

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT)
    name = factory.LazyFunction(fake.name)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    is_registered = True
    number = factory.Sequence(lambda n: f"33010{n:07d}")
    registered_on = datetime.date(2025, 3, 5)
    team = "学雷锋志愿服务队"


class StaffCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffCount
        django_get_or_create = ("organization", "year")

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT)
    year = 2026
    count = 50


class VolunteerTargetsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerTargets
        django_get_or_create = ("campaign",)

    campaign = factory.SubFactory(CampaignFactory)


class ServiceActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceActivity

    organization = factory.SubFactory(OrganizationFactory, kind=OrganizationKind.UNIT)
    title = factory.Sequence(lambda n: f"“学雷锋”社区环境整治志愿服务{n}")
    date = datetime.date(2026, 3, 5)
    place = "幸福里社区"
    category = ActivityCategory.LEI_FENG


class ServiceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRecord

    volunteer = factory.SubFactory(VolunteerFactory)
    activity = factory.SubFactory(
        ServiceActivityFactory, organization=factory.SelfAttribute("..volunteer.organization")
    )
    hours = Decimal("2.0")
    status = RecordStatus.PENDING
