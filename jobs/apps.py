from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "后台任务"

    def ready(self) -> None:
        # Each app registers its job kinds in its own `jobs.py`; jobs never imports them by name.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
