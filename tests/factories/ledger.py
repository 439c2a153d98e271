import datetime
import hashlib

import factory
from django.core.files.base import ContentFile

from ledger.models import (
    ArchiveCounter,
    Event,
    EventCategory,
    EventLog,
    EvidenceFile,
    LedgerSettings,
    LogAction,
    MediaReport,
    Slot,
)

from .campaigns import CampaignFactory
from .organizations import OrganizationFactory

# A tiny valid text file; real images and documents are made in tests/ledger/samples.py.
_TEXT = "活动签到表：张三、李四、王五\n".encode()


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    campaign = factory.SubFactory(CampaignFactory)
    organization = factory.LazyAttribute(lambda e: e.campaign.unit)
    title = factory.Sequence(lambda n: f"“文明交通我先行”志愿服务活动{n}")
    start_date = datetime.date(2026, 5, 12)
    place = "单位会议室"
    category = EventCategory.MEETING


class EvidenceFileFactory(factory.django.DjangoModelFactory):
    """A text evidence file written to MEDIA_ROOT under a generated name."""

    class Meta:
        model = EvidenceFile

    event = factory.SubFactory(EventFactory)
    slot = Slot.SIGNIN
    original_name = factory.Sequence(lambda n: f"签到表{n}.txt")
    file = factory.LazyAttribute(
        lambda o: ContentFile(_TEXT + o.original_name.encode(), name=f"ledger/test/{o.original_name}")
    )
    size = factory.LazyAttribute(lambda o: len(_TEXT + o.original_name.encode()))
    detected_type = "txt"
    content_type = "text/plain; charset=utf-8"
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(_TEXT + o.original_name.encode()).hexdigest())


class MediaReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaReport

    event = factory.SubFactory(EventFactory)
    outlet = "某市日报"
    date = datetime.date(2026, 5, 14)
    title = "市场监管局开展文明交通志愿服务"
    url = "https://example.com/news/1"


class LedgerSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerSettings

    campaign = factory.SubFactory(CampaignFactory)
    review_enabled = True


class ArchiveCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArchiveCounter

    unit = factory.SubFactory(OrganizationFactory)
    year = 2026
    last = 0


class EventLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventLog

    event = factory.SubFactory(EventFactory)
    action = LogAction.CREATE
