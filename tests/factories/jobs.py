import factory

from jobs.models import Job, JobStatus

from .organizations import OrganizationFactory, UserFactory


class JobFactory(factory.django.DjangoModelFactory):
    """A finished-looking job row without a file (tests that need a real run call jobs.services)."""

    class Meta:
        model = Job

    kind = "ledger_zip"
    started_by = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"测试单位-2026年度台账档案{n}")
    params = factory.LazyFunction(lambda: {"campaign": 1, "year": 2026})
    status = JobStatus.QUEUED
