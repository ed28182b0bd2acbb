"""A partner system (issue 17): another platform — the city's 12345, a FixMyStreet-like site — that reads and files
its district's tickets through Open311 and receives their events by webhook.

A partner holds one API key. Only its SHA-256 is stored (`key_hash`): the keys are long random strings, so a plain
digest is enough and a leaked table reveals no key; `key_prefix` (its first characters) lets an admin tell keys apart.
Sharded by district like the tickets it reads (config/citus_plan.py).
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Partner(models.Model):
    name = models.CharField(_("对接方名称"), max_length=100)
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="partners"
    )
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False)
    is_active = models.BooleanField(_("启用"), default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("对接方")
        verbose_name_plural = _("对接方")
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="partner_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def set_key(self, key: str | None = None) -> str:
        """Give the partner a key (a new random one unless given) and return it: the only time it can be read."""
        key = key or secrets.token_urlsafe(32)
        self.key_hash = key_digest(key)
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        return key

    @classmethod
    def by_key(cls, key: str) -> Partner | None:
        """The active partner holding `key`, or None."""
        if not key or len(key) > 200:
            return None
        return cls.objects.filter(key_hash=key_digest(key), is_active=True).select_related("district").first()
