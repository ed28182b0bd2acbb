"""Signals other apps listen to, for changes that bypass model signals (bulk writes)."""

from __future__ import annotations

from django.dispatch import Signal

# Households were written in bulk (the registry import): kwargs `unit_ids`, the units they were written to. Sent
# inside the import's transaction, so a listener's writes commit or roll back with the rows.
registry_changed = Signal()
