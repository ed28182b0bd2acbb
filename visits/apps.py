from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = "走访"

    def ready(self) -> None:
        from campaign import exports
        from visits.ledgers import VISITS

        exports.register(VISITS)
