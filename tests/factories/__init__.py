"""factory_boy factories for every model, one module per app; import them from here."""

from .organizations import MembershipFactory, OrganizationFactory, UserFactory

__all__ = ["MembershipFactory", "OrganizationFactory", "UserFactory"]
