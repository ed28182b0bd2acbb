from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = "诉求工单"

    def ready(self) -> None:
        from campaign import exports
        from issues.ledgers import TICKETS

        exports.register(TICKETS)
