"""Assignments (包户/包企/挂点, issue 16 item 1): a household, an enterprise or a key project (重点项目) assigned to a
named cadre or leader, and the small register of key projects.

Both tables are sharded by district (config/citus_plan.py): `district` is the root of the row's unit, kept by
save() and, for the bulk writes that skip save(), by campaign.assignments.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models.org import DistrictOfUnit


class KeyProject(DistrictOfUnit):
    """A key project (重点项目) a leader is assigned to (挂点) and cadres serve (挂钩联系人的单线服务)."""

    name = models.CharField(_("项目名称"), max_length=100)
    # Where the project lies: its scope, as a household's grid is (a street, a park or a grid).
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="key_projects"
    )
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    active = models.BooleanField(_("在建/服务中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        indexes = [models.Index(fields=["unit", "id"], name="keyproject_unit_idx")]  # the scoped list
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="keyproject_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="keyproject_lng_range"
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True) | Q(lat__isnull=False, lng__isnull=False),
                name="keyproject_point_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentTarget(models.TextChoices):
    HOUSEHOLD = "household", _("住户")
    ENTERPRISE = "enterprise", _("企业")
    PROJECT = "project", _("重点项目")


# The field holding the target of each type: exactly that one is set (assignment_exactly_one_target).
TARGET_FIELDS = {
    AssignmentTarget.HOUSEHOLD: "household",
    AssignmentTarget.ENTERPRISE: "enterprise",
    AssignmentTarget.PROJECT: "project",
}


def _only(field: str) -> dict[str, bool]:
    """The lookups of a row whose one target is `field`: that one set, the others empty."""
    return {f"{name}__isnull": name != field for name in TARGET_FIELDS.values()}


class Assignment(models.Model):
    """One target assigned to one user (a cadre: 包户/包企; a leader: 挂点). Written by campaign.assignments only."""

    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("包联人"), on_delete=models.CASCADE, related_name="assignments"
    )
    target_type = models.CharField(_("对象类型"), max_length=10, choices=AssignmentTarget.choices)
    household = models.ForeignKey(
        "campaign.Household", verbose_name=_("住户"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    enterprise = models.ForeignKey(
        "campaign.Enterprise", verbose_name=_("企业"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        KeyProject, verbose_name=_("重点项目"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The target's unit, copied: the scope of the row is one indexed column, whatever the target's type.
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="+")
    # The list it came with ("网格：丈八一网格", "标签：独居老人", an import's file name): coverage per list.
    batch = models.CharField(_("包联清单"), max_length=100, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分配人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("包联关系")
        verbose_name_plural = _("包联关系")
        indexes = [
            # /m/ 我包联的 and the coverage per person: a user's assignments.
            models.Index(fields=["user", "target_type"], name="assignment_user_idx"),
            # Scoped lists and coverage of a unit: unit__path LIKE … then id order.
            models.Index(fields=["unit", "id"], name="assignment_unit_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_type=AssignmentTarget.HOUSEHOLD, **_only("household"))
                | Q(target_type=AssignmentTarget.ENTERPRISE, **_only("enterprise"))
                | Q(target_type=AssignmentTarget.PROJECT, **_only("project")),
                name="assignment_exactly_one_target",
            ),
            # Idempotency of every assign: once per (user, target). The district leads (Citus: a unique key of a
            # distributed table includes the key); it is the target's own, so it changes nothing else.
            models.UniqueConstraint(fields=["district", "user", "household"], name="assignment_household_unique"),
            models.UniqueConstraint(fields=["district", "user", "enterprise"], name="assignment_enterprise_unique"),
            models.UniqueConstraint(fields=["district", "user", "project"], name="assignment_project_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.target_type}#{self.target_id}"

    @property
    def target_id(self) -> int | None:
        return self.household_id or self.enterprise_id or self.project_id
