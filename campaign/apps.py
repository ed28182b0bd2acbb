from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "组织与活动"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from campaign import audit, auth, partitions  # noqa: F401 (partitions: registers its Celery task)
        from campaign.categories import ensure_defaults
        from campaign.checks import calendar_check

        checks.register(calendar_check)
        auth.connect()
        post_migrate.connect(ensure_defaults, sender=self)  # after migrate, and after a test's flush
        audit.connect()  # also registers its Celery task (audit_upkeep_task) with the app
        from django.contrib.auth.signals import user_logged_in

        from campaign.fence import remember_role

        user_logged_in.connect(remember_role, dispatch_uid="campaign.fence.remember_role")  # the reporter's fence
