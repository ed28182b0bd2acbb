"""manage.py rotate_webhook_secrets: re-encrypt every webhook signing secret with the first key of PII_KEYS.

The secrets are kept with the personal-data keys (campaign.crypto) but live in the interop app, which campaign's
`rotate_pii` cannot import: run this beside it after putting a new key first, before dropping an old one. The
secrets themselves do not change (partners keep theirs); to issue new ones, use the admin action "生成新的签名密钥".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from interop.models import WebhookSubscription


class Command(BaseCommand):
    help = "Re-encrypt the webhook signing secrets with the first key of PII_KEYS (run after rotate_pii)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        with transaction.atomic():  # a few rows per district: one transaction
            for subscription in WebhookSubscription.objects.select_for_update().order_by("pk"):
                subscription.save(update_fields=["secret"])  # loading decrypts with any key; saving uses the first
                done += 1
        self.stdout.write(f"rotate_webhook_secrets: {done} secret(s) re-encrypted with the first key.")
