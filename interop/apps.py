from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "对接"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from interop import outbox
        from interop.models import WebhookSubscription
        from issues.models import TicketEvent

        # The webhooks' outbox rows, written in the ticket event's own transaction (interop/outbox.py).
        post_save.connect(outbox.on_ticket_event, sender=TicketEvent, dispatch_uid="interop_webhook_outbox")
        post_save.connect(outbox.forget_subscribed, sender=WebhookSubscription, dispatch_uid="interop_sub_saved")
        post_delete.connect(outbox.forget_subscribed, sender=WebhookSubscription, dispatch_uid="interop_sub_deleted")
