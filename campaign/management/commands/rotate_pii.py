"""manage.py rotate_pii: re-encrypt every personal value at rest with the first PII key and recompute its lookup hash.

Run after putting a new key first in PII_KEYS (then the old keys can be dropped) and after any change of the hash key
(PII_HASH_KEY, or the last PII key it is derived from when PII_HASH_KEY is unset): campaign/crypto.py.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from campaign.models import Household

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt personal data at rest with the first key of PII_KEYS and recompute the lookup hashes."

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        # Rows that hold a value have a hash (Household.save, the importer); the value itself cannot be filtered on.
        ids = list(Household.objects.exclude(head_id_number_hash="").order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                batch = Household.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                for household in batch:  # loading decrypts with any key; saving encrypts with the first
                    household.save(update_fields=["head_id_number"])
                    done += 1
        self.stdout.write(f"rotate_pii: {done} value(s) re-encrypted with the first key.")
