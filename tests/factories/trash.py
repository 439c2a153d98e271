import factory

from trash.models import Deletion

from .organizations import OrganizationFactory


class DeletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deletion

    unit = factory.SubFactory(OrganizationFactory)
    organization = factory.SelfAttribute("unit")
    model = "ledger.Event"
    object_id = factory.Sequence(lambda n: str(900000 + n))
    kind = "档案"
    title = factory.Sequence(lambda n: f"已删除的档案{n}")
