"""Registries (SPEC §2): households and enterprises, each in a grid."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.crypto import lookup_hash
from campaign.fields import EncryptedTextField
from campaign.validators import normalize_id_number, validate_credit_code, validate_id_number, validate_mobile

HOUSEHOLD_TAGS = ["独居老人", "低保", "残疾", "退役军人", "空巢", "留守儿童", "困难家庭"]


def _coordinate_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name=f"{prefix}_lat_range"
        ),
        models.CheckConstraint(
            condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name=f"{prefix}_lng_range"
        ),
    ]


class HouseholdQuerySet(models.QuerySet["Household"]):
    def with_id_number(self, value: str) -> HouseholdQuerySet:
        """Households whose head has this ID number (exact match through the keyed hash)."""
        return self.filter(head_id_number_hash=lookup_hash(normalize_id_number(value)) or "-")


class Household(models.Model):
    address = models.CharField(_("地址"), max_length=200)
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="households"
    )
    head_name = models.CharField(_("户主姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=11, blank=True, validators=[validate_mobile])
    # 身份证号: encrypted at rest (campaign/crypto.py), found by exact value through its keyed hash, masked unless a
    # logged reveal (campaign/reveal.py).
    head_id_number = EncryptedTextField(_("户主身份证号"), blank=True, default="", validators=[validate_id_number])
    head_id_number_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    members = models.PositiveSmallIntegerField(_("人口数"), default=1)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    # Its household group (户区) if any, in the same grid (campaign.household_groups; a composite FK on PostgreSQL).
    group = models.ForeignKey(
        "campaign.HouseholdGroup",
        verbose_name=_("户区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    # A household a cadre added on the spot stays unconfirmed until an admin confirms it.
    confirmed = models.BooleanField(_("已确认"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        indexes = [
            # households list scoped to a subtree: unit__path LIKE ... then id order.
            models.Index(fields=["unit", "id"], name="household_unit_idx"),
            # near=lat,lng: bounding-box prefilter.
            models.Index(fields=["lat", "lng"], name="household_latlng_idx"),
        ]
        constraints = [
            *_coordinate_constraints("household"),
            models.CheckConstraint(condition=Q(members__gte=1, members__lte=99), name="household_members_range"),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.head_id_number = normalize_id_number(self.head_id_number)
        self.head_id_number_hash = lookup_hash(self.head_id_number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "head_id_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "head_id_number_hash"}
        super().save(*args, **kwargs)


class Enterprise(models.Model):
    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="enterprises"
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=11, blank=True, validators=[validate_mobile])
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [
            models.Index(fields=["unit", "id"], name="enterprise_unit_idx"),  # scoped list
            models.Index(fields=["lat", "lng"], name="enterprise_latlng_idx"),  # near=
        ]
        constraints = _coordinate_constraints("enterprise")

    def __str__(self) -> str:
        return self.name
