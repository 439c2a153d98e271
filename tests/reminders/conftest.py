"""A hand-made town for the reminder rules: one unit, two departments with a 联络员 each, a 创建办, a 组长."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from campaigns.models import Campaign, CampaignStatus, LeadershipRole, Task
from organizations.models import Organization, OrganizationKind, Role, User
from tests.factories import (
    CampaignFactory,
    LeadershipMemberFactory,
    MembershipFactory,
    OrganizationFactory,
    TaskFactory,
    UserFactory,
)

# A Tuesday in an ordinary week of December 2026 (no holidays near it).
D = datetime.date(2026, 12, 8)


@pytest.fixture(autouse=True)
def _fresh_work_calendar():
    from notifications.workdays import clear_cache

    clear_cache()
    yield
    clear_cache()


@dataclass
class Town:
    unit: Organization
    office_dept: Organization
    credit_dept: Organization
    campaign: Campaign
    liaison: User  # 办公室 联络员
    liaison2: User  # 信用监管科 联络员
    office: User  # the unit's 创建办
    leader: User  # 组长 of the leadership group

    def task(self, **kwargs) -> Task:
        kwargs.setdefault("lead_units", [self.office_dept])
        return TaskFactory(campaign=self.campaign, **kwargs)


def build_town(code: str = "rm") -> Town:
    unit = OrganizationFactory(name=f"市测试局{code}", code=code, kind=OrganizationKind.UNIT)
    office_dept = OrganizationFactory(name="办公室", code=f"{code}-bgs", kind=OrganizationKind.DEPARTMENT, parent=unit)
    credit_dept = OrganizationFactory(
        name="信用监管科", code=f"{code}-xy", kind=OrganizationKind.DEPARTMENT, parent=unit
    )
    liaison = MembershipFactory(
        user=UserFactory(username=f"{code}_liaison", real_name="张联络"), organization=office_dept, role=Role.LIAISON
    ).user
    liaison2 = MembershipFactory(
        user=UserFactory(username=f"{code}_liaison2", real_name="李联络"), organization=credit_dept, role=Role.LIAISON
    ).user
    office = MembershipFactory(
        user=UserFactory(username=f"{code}_office", real_name="王创建"), organization=unit, role=Role.OFFICE
    ).user
    leader = MembershipFactory(
        user=UserFactory(username=f"{code}_leader", real_name="赵局长"), organization=unit, role=Role.LEADER
    ).user
    campaign = CampaignFactory(unit=unit, status=CampaignStatus.ACTIVE, title=f"{code}2026年度创建")
    LeadershipMemberFactory(campaign=campaign, name="局长", role=LeadershipRole.LEADER, user=leader)
    return Town(unit, office_dept, credit_dept, campaign, liaison, liaison2, office, leader)


@pytest.fixture
def town(db) -> Town:
    return build_town()
