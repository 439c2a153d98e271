import factory
from faker import Faker

from organizations import services
from organizations.models import AccessRefusal, AuditEntry, Membership, Organization, OrganizationKind, Role, User

fake = Faker("zh_CN")


class OrganizationFactory(factory.django.DjangoModelFactory):
    """Creates through organizations.services so the tree's paths are right."""

    class Meta:
        model = Organization

    kind = OrganizationKind.UNIT
    parent = None
    name = factory.Sequence(lambda n: f"{fake.city_name()}{fake.company_prefix()}局{n}")
    short_name = ""
    code = factory.Sequence(lambda n: f"org{n:05d}")
    order = 0

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Organization:
        return services.organization_create(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:05d}")
    real_name = factory.LazyFunction(fake.name)
    phone = factory.LazyFunction(fake.phone_number)
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.PostGenerationMethodCall("set_password", "Passw0rd!")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs) -> None:
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.LIAISON
    title = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Membership:
        kwargs.setdefault("actor", None)  # the system: tests set up the world, no user grants it
        return services.membership_grant(**kwargs)


class AuditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEntry

    actor = factory.SubFactory(UserFactory)
    action = "delete"
    object_type = "ledger.Event"
    object_id = factory.Sequence(str)
    object_repr = "学雷锋志愿服务活动"


class AccessRefusalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRefusal

    actor = factory.SubFactory(UserFactory)
    path = factory.Sequence(lambda n: f"/ledger/{n}/")
    method = "GET"
    status = 404
