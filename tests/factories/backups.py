import factory
from django.utils import timezone

from backups.models import FileCheck


class FileCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileCheck

    checked_at = factory.LazyFunction(timezone.now)
    files_referenced = 12
    files_on_disk = 12
