from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "组织与活动"

    def ready(self) -> None:
        from django.core import checks

        from campaign import audit, auth, partitions  # noqa: F401 (partitions: registers its Celery task)
        from campaign.checks import calendar_check

        checks.register(calendar_check)
        auth.connect()
        audit.connect()  # also registers its Celery task (audit_upkeep_task) with the app
