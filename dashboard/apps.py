from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "领导驾驶舱"

    def ready(self) -> None:
        from campaign import exports
        from dashboard import signals
        from dashboard.ledgers import DASHBOARD

        signals.connect()
        exports.register(DASHBOARD)
