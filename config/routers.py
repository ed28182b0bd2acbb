"""The database router of the read replica (installed by config/databases.py when DATABASE_REPLICA_URL is set).

Reads go to the replica only inside a block the apps marked (campaign.replica), outside any transaction on the
primary, and when config.replica says it is fresh enough for the reader; the block's first read decides for all
of it. Every write goes to the primary, and turns the rest of its block to the primary. Migrations run on the
primary only (the replica copies them).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from campaign.replica import current_block
from config import replica


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        block = current_block()
        if block is None:
            return DEFAULT_DB_ALIAS
        if block.alias is None:
            # Inside a transaction of the primary a read belongs to its snapshot (and may read its own writes).
            in_transaction = connections[DEFAULT_DB_ALIAS].in_atomic_block
            usable = not in_transaction and replica.usable_for(block.user_id)
            block.alias = replica.REPLICA if usable else DEFAULT_DB_ALIAS
        return block.alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        replica.note_write(model._meta.app_label)
        block = current_block()
        if block is not None:
            block.alias = DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # both aliases hold the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
