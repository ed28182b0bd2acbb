"""The dispatch directory (派单目录, issue 15 item 1): category × area → lead unit, default co-units and mode.

Read by issues.directory (the most specific row for a ticket) when the dispatch form is pre-filled, when a dispatch
records the row that chose its unit, and by the suggestion; edited in the admin and imported from Excel.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models.tickets import Mode


class ReturnReason(models.TextChoices):
    """Why a lead unit returned a ticket (`return`'s `reason_code`); `not_our_duty` counts against the directory row
    that chose the unit."""

    NOT_OUR_DUTY = "not_our_duty", _("不属于本单位职责")
    WRONG_PLACE = "wrong_place", _("不在本单位辖区")
    INSUFFICIENT_INFO = "insufficient_info", _("信息不全，无法办理")
    OTHER = "other", _("其他")


class DirectoryRow(models.Model):
    """One row: tickets of `category` (or of a sub-item of it, when no row names the sub-item) whose unit lies in
    `area`'s subtree — or anywhere, when `area` is empty — go to `lead_unit`, with `co_units` and `mode` by default.

    `not_our_duty_returns` counts the tickets this row chose the lead unit of that the unit returned as "not our duty"
    (不属于本单位职责): the rows to correct first (the directory page lists them by it)."""

    category = models.ForeignKey(
        "campaign.Category", verbose_name=_("类别"), on_delete=models.PROTECT, related_name="directory_rows"
    )
    area = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("适用区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("该单位及其下级；留空表示全部区域"),
    )
    lead_unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="+"
    )
    co_units = models.ManyToManyField("campaign.OrgUnit", verbose_name=_("默认协办单位"), related_name="+", blank=True)
    mode = models.CharField(_("默认办理方式"), max_length=16, choices=Mode.choices, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    not_our_duty_returns = models.PositiveIntegerField(_("“非本单位职责”退回数"), default=0, editable=False)
    last_returned_at = models.DateTimeField(_("最近退回"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("派单目录")
        verbose_name_plural = _("派单目录")
        ordering = ["category_id", "area_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area"], condition=Q(area__isnull=False), name="directory_category_area_unique"
            ),
            models.UniqueConstraint(
                fields=["category"], condition=Q(area__isnull=True), name="directory_category_everywhere_unique"
            ),
            models.CheckConstraint(condition=Q(mode="") | Q(mode__in=Mode.values), name="directory_mode_valid"),
        ]
        indexes = [models.Index(fields=["-not_our_duty_returns", "id"], name="directory_returns_idx")]

    def __str__(self) -> str:
        return f"{self.category_id} @ {self.area_id or '*'} → {self.lead_unit_id}"
