"""Household groups (户区, issue 16 item 4): about ten households of one grid under a 户长 (and perhaps a 楼长), users
of the light role `reporter` who report tickets for the group's households and follow them (SPEC §1).

A household belongs to at most one group: `Household.group` (nullable, docs/decisions.md). Every member lies in the
group's grid: campaign.household_groups checks it, and on PostgreSQL a composite foreign key (household.group_id,
household.unit_id) → (group.id, group.unit_id) holds it in the database (migration 0014). Sharded by district like
the households (config/citus_plan.py): `district` is the root of the grid, kept by save().
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models.org import DistrictOfUnit


class HouseholdGroup(DistrictOfUnit):
    name = models.CharField(_("户区名称"), max_length=100)
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在网格"), on_delete=models.PROTECT, related_name="household_groups"
    )
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("户长"),
        on_delete=models.PROTECT,  # a head leaves by being replaced, not by deleting the account under the group
        related_name="headed_groups",
    )
    second_head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("楼长"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="seconded_groups",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("户区")
        verbose_name_plural = _("户区")
        indexes = [
            # a reporter's households and tickets: the groups they head (campaign.household_groups.groups_of)
            models.Index(fields=["head"], name="householdgroup_head_idx"),
            models.Index(fields=["second_head"], name="householdgroup_second_idx"),
        ]
        constraints = [
            # One name per grid (the import finds a group again by it). The district leads: Citus' unique keys
            # include the distribution key; it is the grid's own, so it changes nothing else.
            models.UniqueConstraint(fields=["district", "unit", "name"], name="householdgroup_name_unique"),
            # The target of the members' composite FK (group_id, unit_id) on PostgreSQL (migration 0014).
            models.UniqueConstraint(fields=["id", "unit"], name="householdgroup_id_unit"),
            models.CheckConstraint(
                condition=Q(second_head__isnull=True) | ~Q(second_head=models.F("head")),
                name="householdgroup_two_heads_differ",
            ),
        ]

    def __str__(self) -> str:
        return self.name
