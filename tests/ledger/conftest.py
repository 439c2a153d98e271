from __future__ import annotations

from pathlib import Path

import pytest

from ledger import services
from tests.factories import CampaignFactory, EventFactory


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.fixture
def campaign_a(world):
    return CampaignFactory(unit=world.unit_a, title="甲单位2026年度文明单位创建", start_year=2026, end_year=2026)


@pytest.fixture
def campaign_b(world):
    return CampaignFactory(unit=world.unit_b, title="乙单位2026年度文明单位创建", start_year=2026, end_year=2026)


@pytest.fixture
def event_a(world, campaign_a):
    """A draft dossier of unit A's department (the liaison's)."""
    return EventFactory(campaign=campaign_a, organization=world.dept_a, title="文明交通志愿服务活动")


@pytest.fixture
def upload():
    def make(name: str, data: bytes) -> services.Upload:
        return services.Upload(name=name, data=data)

    return make
