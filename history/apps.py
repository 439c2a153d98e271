from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """The 历史 pages of dossiers, tasks, volunteers, self-inspection rounds and rectifications.

    It sits at the top with the dashboards: each page fetches its object through the owning app's scoped selector,
    so it reads every domain app. The recording itself lives low, in organizations/history.py.
    """

    name = "history"
    verbose_name = "变更历史"
