from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """备份与恢复、文件检查: reads every app's tables and files, so it sits at the top beside the dashboards."""

    name = "backups"
    verbose_name = "备份与文件检查"
