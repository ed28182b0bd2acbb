"""Personal data at rest: Fernet encryption with the PII_KEYS (MultiFernet) and a keyed hash for exact lookup.

- Encryption: `cryptography`'s MultiFernet over settings.PII_KEYS; the first key encrypts, every key decrypts, so a
  new key is put first, `manage.py rotate_pii` re-encrypts every value with it, and then old keys can be dropped.
  The keys are independent of SECRET_KEY (a leaked SECRET_KEY or a database dump alone reveals nothing).
- Lookup: a Fernet token is randomised, so equality is found through HMAC-SHA256 of the normalised value. Its key is
  PII_HASH_KEY when set (recommended: it never has to change), otherwise derived from the LAST PII key, which stays in
  the list while newer keys are put in front of it. Dropping that last key changes the derived hash key:
  `rotate_pii` recomputes every hash with the current key too, so run it after every change of PII_KEYS
  (docs/decisions.md, "Personal data at rest").
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=4)
def _hash_key(hash_key: str, last_pii_key: str) -> bytes:
    if hash_key:
        return hash_key.encode()
    # A derived key, not the Fernet key itself: the same secret is never used for two purposes.
    return hmac.new(last_pii_key.encode(), b"zoufang pii lookup hash v1", hashlib.sha256).digest()


def _keys() -> tuple[str, ...]:
    return tuple(settings.PII_KEYS)


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        # Never the token or the value in the message; the cause is a key missing from PII_KEYS.
        raise ImproperlyConfigured(
            "A personal value cannot be decrypted with any key in PII_KEYS: a key that encrypted it is missing."
        ) from None


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 (hex) of an already normalised value, for exact lookup; "" for an empty value."""
    if not value:
        return ""
    key = _hash_key(getattr(settings, "PII_HASH_KEY", "") or "", _keys()[-1])
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
