"""EncryptedTextField: a text value stored as a Fernet token (campaign/crypto.py), plain text in Python."""

from __future__ import annotations

from typing import Any

from django.db import models

from campaign import crypto


class EncryptedTextField(models.TextField):
    """Encrypted at rest, decrypted on load. Only exact-value lookups through a separate keyed-hash column make
    sense (tokens are randomised): filtering on this column itself matches nothing."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
