from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "领导驾驶舱"

    def ready(self) -> None:
        from dashboard import signals

        signals.connect()
