from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`). It sits above every app, so it may call all their services."""

    name = "demo"
    verbose_name = "演示数据"
