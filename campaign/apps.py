from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "组织与活动"

    def ready(self) -> None:
        from campaign import audit, auth

        auth.connect()
        audit.connect()  # also registers its Celery task (audit_upkeep_task) with the app
