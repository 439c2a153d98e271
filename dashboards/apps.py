from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """工作台 and 驾驶舱: read-only pages that sit above every other app and read from all of them."""

    name = "dashboards"
    verbose_name = "工作台与驾驶舱"
