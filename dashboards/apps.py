from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """工作台 and 驾驶舱: read-only pages that sit above every other app and read from all of them."""

    name = "dashboards"
    verbose_name = "工作台与驾驶舱"

    def ready(self) -> None:
        # Held outbox rows are re-checked before delivery: each app's rule answers for its own prefix.
        from notifications.hooks import register_still_due

        from .reminders import APP_RULES, still_due

        for prefix in APP_RULES:
            register_still_due(prefix, still_due)
