from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TrashConfig(AppConfig):
    """The 回收站: a delete takes the rows out of their tables into one `Deletion` snapshot, kept for
    TRASH_RETENTION_DAYS; a restore puts exactly those rows back, the purge removes the snapshot and its files.

    It sits just above organizations: it knows no domain model. Each app says what may be deleted and how its
    unit is found in its own `trash_rules.py`, found here the way the admin finds `admin.py` modules.
    """

    name = "trash"
    verbose_name = "回收站"

    def ready(self) -> None:
        autodiscover_modules("trash_rules")
