import datetime
import hashlib

import factory
from django.core.files.base import ContentFile

from ledger.models import (
    ArchiveBuild,
    ArchiveCounter,
    BannerAlias,
    Event,
    EventCategory,
    EventLog,
    EvidenceFile,
    LedgerSettings,
    LogAction,
    MediaReport,
    OcrStatus,
    PhotoCheck,
    PhotoDuplicate,
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


class PhotoCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhotoCheck

    evidence_file = factory.SubFactory(EvidenceFileFactory, slot=Slot.PHOTO)
    unit = factory.LazyAttribute(lambda o: o.evidence_file.event.campaign.unit)
    phash = "ab6ac0c095953f3b"
    dhash = "60017b7c80000000"
    ocr_status = OcrStatus.DISABLED
    ocr_note = "OCR 未启用"


class PhotoDuplicateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhotoDuplicate

    first = factory.SubFactory(EvidenceFileFactory, slot=Slot.PHOTO)
    second = factory.SubFactory(EvidenceFileFactory, slot=Slot.PHOTO)
    phash_distance = 2
    dhash_distance = 4
    same_unit = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        first, second = sorted((kwargs["first"], kwargs["second"]), key=lambda f: f.pk)
        kwargs.update(first=first, second=second)
        return super()._create(model_class, *args, **kwargs)


class BannerAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BannerAlias

    organization = factory.SubFactory(OrganizationFactory)
    alias = factory.Sequence(lambda n: f"市场监管局{n}")


_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class ArchiveBuildFactory(factory.django.DjangoModelFactory):
    """A kept archive PDF (a tiny PDF body; real builds are made in tests/ledger/test_archive_pdf.py)."""

    class Meta:
        model = ArchiveBuild

    campaign = factory.SubFactory(CampaignFactory)
    unit = factory.LazyAttribute(lambda o: o.campaign.unit)
    year = 2026
    version = factory.Sequence(lambda n: n + 1)
    file = factory.LazyAttribute(lambda o: ContentFile(_PDF, name="archive.pdf"))
    filename = factory.LazyAttribute(lambda o: f"{o.unit.name}-{o.year}年度台账档案（第{o.version}版）.pdf")
    size = len(_PDF)
    sha256 = hashlib.sha256(_PDF).hexdigest()
    pages = 1
    dossiers = 0
    photos = 0
