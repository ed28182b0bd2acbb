from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "诉求工单"

    def ready(self) -> None:
        from campaign import exports
        from issues import (
            messages,  # noqa: F401 - registers its Celery task (message_deliver_task) in every process
            notices,  # noqa: F401 - registers its Celery task (notices_send_task) in every process
            placement,
        )
        from issues.channels import outbox  # noqa: F401 - registers the SMS and WeChat channels' Celery tasks
        from issues.ledgers import TICKETS
        from issues.topic_report import TOPICS_REPORT

        exports.register(TICKETS)
        exports.register(TOPICS_REPORT)
        placement.connect()
