"""The organisation tree (SPEC §1): district → street → community → grid; departments and parks under the district.

Subtrees are read with one indexed prefix query on a materialized `path`, whatever the depth.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

PATH_STEP = 7  # each level: a zero-padded id of 6 digits and a "/"
# Sent (sender=OrgUnit, unit=…) after a unit and its subtree moved under another parent, in the saving transaction:
# what keeps a copy of a unit's place follows it (issues: the tickets' branch key).
unit_moved = Signal()


def path_prefixes(path: str) -> list[str]:
    """The paths of a unit and of its ancestors, root first: `unit__path__in=path_prefixes(p)` matches the chain."""
    return [path[:end] for end in range(PATH_STEP, len(path) + 1, PATH_STEP)]


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    DEPARTMENT = "department", _("区直部门")
    PARK = "park", _("园区")


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def subtree_of(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Short code of a district (e.g. "GX"): the prefix of its ticket codes.
    code = models.CharField(_("简码"), max_length=10, blank=True)
    path = models.CharField(_("路径"), max_length=255, editable=False, db_index=False)
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)
    # A grid's boundary: a GeoJSON Polygon/MultiPolygon in WGS-84; its bounding box is kept for the indexed prefilter.
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    lng = models.FloatField(_("中心经度"), null=True, blank=True)
    sort = models.PositiveIntegerField(_("排序"), default=0)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        indexes = [
            # units_visible_to / every "unit X and its subtree" filter: path LIKE 'prefix%'.
            models.Index(fields=["path"], name="orgunit_path_idx", opclasses=["varchar_pattern_ops"]),
            # grid_for_point: bounding-box prefilter before the exact polygon test.
            models.Index(fields=["kind", "min_lat", "max_lat"], name="orgunit_bbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="orgunit_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="orgunit_lng_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from campaign.geo import boundary_bbox

        if self.boundary:
            self.min_lng, self.min_lat, self.max_lng, self.max_lat = boundary_bbox(self.boundary)
        else:
            self.min_lat = self.max_lat = self.min_lng = self.max_lng = None
        if self.pk is None:
            # The path is built from the id, so a new unit is inserted first and its path written second.
            self.path = ""
            super().save(*args, **kwargs)
            self._set_path()
            super().save(update_fields=["path", "depth"], using=kwargs.get("using"))
            return
        old_path = self.path
        self._set_path()
        super().save(*args, **kwargs)
        if old_path != self.path:
            self._move_descendants(old_path)
            unit_moved.send(sender=OrgUnit, unit=self)

    def _set_path(self) -> None:
        self.path = self.path_for(self.pk, self.parent)
        self.depth = len(self.path) // PATH_STEP - 1

    @staticmethod
    def path_for(pk: int, parent: OrgUnit | None) -> str:
        return (parent.path if parent else "") + f"{pk:06d}/"

    def _move_descendants(self, old_path: str) -> None:
        """Re-root the subtree after a move (rare: admin only)."""
        for unit in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
            unit.path = self.path + unit.path[len(old_path) :]
            unit.depth = len(unit.path) // PATH_STEP - 1
            unit.save(update_fields=["path", "depth"])

    def subtree(self) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(path__startswith=self.path)

    def ancestors(self) -> QuerySet[OrgUnit]:
        """The chain from the root down to this unit (breadcrumbs), in one query."""
        return OrgUnit.objects.filter(path__in=path_prefixes(self.path)).order_by("depth")

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)

    @property
    def district_id(self) -> int:
        """The id of the unit's district (the root of its tree), read off the path: no query."""
        return int(self.path[: PATH_STEP - 1])

    @property
    def branch_id(self) -> int | None:
        """The id of the district's direct child the unit lies in (a street, a department or a park: the unit itself
        at depth 1), read off the path; None for a district itself. Tickets keep it (issues.Ticket.branch)."""
        return int(self.path[PATH_STEP : 2 * PATH_STEP - 1]) if self.depth >= 1 else None

    def district(self) -> OrgUnit:
        root_path = self.path[:PATH_STEP]
        return self if self.path == root_path else OrgUnit.objects.get(path=root_path)


class DistrictOfUnit(models.Model):
    """Keeps a row's `district` (its Citus distribution key, config/citus_plan.py) the root of its `unit` on every
    save(): key projects and household groups. The row's own `unit` and `district` fields name their labels; bulk
    writes that skip save() set `district` themselves (campaign.assignments)."""

    unit_id: Any
    district_id: Any

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.unit_id is not None:
            self.district_id = self.unit.district_id  # type: ignore[attr-defined]
        super().save(*args, **kwargs)
