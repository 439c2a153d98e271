"""factory_boy factories for every model, one module per app; import them from here."""

from .campaigns import (
    CampaignFactory,
    LeadershipMemberFactory,
    PhaseFactory,
    ProgressReportFactory,
    TaskFactory,
)
from .ledger import EventFactory
from .organizations import MembershipFactory, OrganizationFactory, UserFactory

__all__ = [
    "CampaignFactory",
    "EventFactory",
    "LeadershipMemberFactory",
    "MembershipFactory",
    "OrganizationFactory",
    "PhaseFactory",
    "ProgressReportFactory",
    "TaskFactory",
    "UserFactory",
]
