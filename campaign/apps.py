from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "组织与活动"

    def ready(self) -> None:
        from campaign import exports, tasks

        # exports.export_start queues this task; handed over here because campaign.tasks imports exports.
        exports.set_runner(tasks.export_run_task.delay)
