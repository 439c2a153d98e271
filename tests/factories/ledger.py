import datetime

import factory

from ledger.models import Event, EventCategory

from .campaigns import CampaignFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    campaign = factory.SubFactory(CampaignFactory)
    organization = factory.LazyAttribute(lambda e: e.campaign.unit)
    title = factory.Sequence(lambda n: f"“文明交通我先行”志愿服务活动{n}")
    start_date = datetime.date(2026, 5, 12)
    place = "单位会议室"
    category = EventCategory.MEETING
