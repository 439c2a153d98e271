"""factory_boy factories for every model, one module per app; import them from here."""

from .campaigns import (
    CampaignFactory,
    LeadershipMemberFactory,
    PhaseFactory,
    ProgressReportFactory,
    TaskFactory,
)
from .evaluation import (
    BonusClaimFactory,
    BonusItemFactory,
    CampaignSystemFactory,
    CriterionFactory,
    EvaluationSystemFactory,
    IndicatorFactory,
    ItemFactory,
    NegativeDeclarationFactory,
    NegativeListItemFactory,
    RectificationItemFactory,
    ScoreFactory,
    SelfAssessmentFactory,
)
from .ledger import (
    ArchiveCounterFactory,
    EventFactory,
    EventLogFactory,
    EvidenceFileFactory,
    LedgerSettingsFactory,
    MediaReportFactory,
)
from .organizations import AuditEntryFactory, MembershipFactory, OrganizationFactory, UserFactory
from .volunteers import (
    ServiceActivityFactory,
    ServiceRecordFactory,
    StaffCountFactory,
    VolunteerFactory,
    VolunteerTargetsFactory,
)

__all__ = [
    "ArchiveCounterFactory",
    "AuditEntryFactory",
    "BonusClaimFactory",
    "BonusItemFactory",
    "CampaignFactory",
    "CampaignSystemFactory",
    "CriterionFactory",
    "EvaluationSystemFactory",
    "EventFactory",
    "EventLogFactory",
    "EvidenceFileFactory",
    "IndicatorFactory",
    "ItemFactory",
    "LeadershipMemberFactory",
    "LedgerSettingsFactory",
    "MediaReportFactory",
    "MembershipFactory",
    "NegativeDeclarationFactory",
    "NegativeListItemFactory",
    "OrganizationFactory",
    "PhaseFactory",
    "ProgressReportFactory",
    "RectificationItemFactory",
    "ScoreFactory",
    "SelfAssessmentFactory",
    "ServiceActivityFactory",
    "ServiceRecordFactory",
    "StaffCountFactory",
    "TaskFactory",
    "UserFactory",
    "VolunteerFactory",
    "VolunteerTargetsFactory",
]
