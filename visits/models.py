"""Visits (SPEC §4): a cadre's geotagged visit to a household or an enterprise, and its photos.

The client chooses the visit's UUID: it is the primary key, so the database (not a check-then-insert) makes a
retried post land exactly once. Coordinates are stored in WGS-84 whatever the phone sent (`crs` keeps what it sent).

On PostgreSQL visits_visit is partitioned by month on `visited_at` (migration 0003, campaign.partitions): its real
primary key is (id, visited_at), and the id stays unique across every month through VisitKey, which a trigger fills
in the same statement as the insert. A photo's link to its visit is a foreign key to that key table in the database
(Django cannot express it: VisitPhoto.visit has db_constraint=False); see docs/decisions.md, "Partitioned history".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from campaign.fields import EARLIEST_YEAR, LATEST_YEAR
from campaign.geo import Crs  # the vocabulary lives in the lowest layer (registries and tickets take `crs` too)
from campaign.validators import mask_name

NOTES_MAX = 2000
PEOPLE_MET_MAX = 999
HEAD_COUNT_MAX = 10_000  # a meeting's people (座谈会): more is a typing error
PARTICIPANTS_MAX = 200  # households and enterprises named at one meeting
ACCURACY_MAX = 100_000.0  # metres: a coarser "fix" is no fix
DISTANCE_MAX = 20_040_000.0  # metres: half the Earth's circumference, the farthest two points can be
# EXIF dates and visit times outside these years are refused or ignored (campaign.fields); the database agrees.
EARLIEST = dt.datetime(EARLIEST_YEAR, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(LATEST_YEAR + 1, 1, 1, tzinfo=dt.UTC)


class TargetType(models.TextChoices):
    HOUSEHOLD = "household", _("住户")
    ENTERPRISE = "enterprise", _("企业")
    # A key project (重点项目, issue 16 item 6): a visit of it counts as a visit, never as a household or enterprise.
    PROJECT = "project", _("重点项目")
    # A meeting or questionnaire with many people (座谈会, 问卷; issue 16 item 6): held in a unit, its participants'
    # households and enterprises each count as visited (VisitParticipant), its head count is kept.
    MEETING = "meeting", _("座谈会/集体走访")


def _only(field: str | None) -> dict[str, bool]:
    """The lookups of a visit whose one target is `field` (None: no target, a ticket's place)."""
    return {f"{name}__isnull": name != field for name in ("household", "enterprise", "project")}


class GeoStatus(models.TextChoices):
    """First match wins, in this order (SPEC §4)."""

    NO_FIX = "no_fix", _("无定位")
    POOR_ACCURACY = "poor_accuracy", _("定位精度差")
    NO_REFERENCE = "no_reference", _("对象无坐标")
    VERIFIED = "verified", _("位置核验通过")
    FAR = "far", _("距离过远")


class Visit(models.Model):
    id = models.UUIDField(primary_key=True, editable=False)  # chosen by the client: the idempotency key
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="visits"
    )
    # Blank only for a handler's door-to-door visit against a ticket's location (then `ticket` is set).
    target_type = models.CharField(_("对象类型"), max_length=10, choices=TargetType.choices, blank=True)
    household = models.ForeignKey(
        "campaign.Household",
        verbose_name=_("住户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    enterprise = models.ForeignKey(
        "campaign.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    project = models.ForeignKey(
        "campaign.KeyProject",
        verbose_name=_("重点项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    ticket = models.ForeignKey(
        "issues.Ticket",
        verbose_name=_("关联工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    # The target's unit (coverage never exceeds 100 %); the grid of the point is kept apart in point_unit.
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="visits"
    )
    point_unit = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("定位所在网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("走访时间"))
    lat = models.FloatField(_("纬度"), null=True, blank=True)  # WGS-84
    lng = models.FloatField(_("经度"), null=True, blank=True)  # WGS-84
    accuracy_m = models.FloatField(_("定位精度 (米)"), null=True, blank=True)
    crs = models.CharField(_("上报坐标系"), max_length=6, choices=Crs.choices, default=Crs.WGS84)
    distance_m = models.FloatField(_("距对象 (米)"), null=True, blank=True)
    geo_status = models.CharField(_("位置核验"), max_length=14, choices=GeoStatus.choices)
    flags = models.JSONField(_("异常标记"), default=list, blank=True)  # e.g. ["impossible_speed"]
    people_met = models.PositiveSmallIntegerField(_("见面人数"), default=0)
    head_count = models.PositiveIntegerField(_("参会人数"), default=0, db_default=0)  # a meeting's; 0 otherwise
    notes = models.TextField(_("走访记录"), max_length=NOTES_MAX, blank=True)
    checklist = models.JSONField(_("清单答复"), default=dict, blank=True)
    # sha256 of the canonical request body: the same id again answers 200 if equal, 409 if not.
    body_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("上报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [
            # The visits list and the geo layer: ORDER BY visited_at DESC, id DESC with a cursor.
            models.Index(fields=["-visited_at", "-id"], name="visit_time_idx"),
            # "unit X" filters and the daily rollups: unit_id IN (subtree) AND visited_at in a period.
            models.Index(fields=["unit", "visited_at"], name="visit_unit_time_idx"),
            # A cadre's own list, today's visits on /m/, and the previous visit behind impossible_speed.
            models.Index(fields=["cadre", "visited_at"], name="visit_cadre_time_idx"),
            # Distinct households / enterprises visited (coverage, people covered) per campaign.
            models.Index(fields=["household", "campaign"], name="visit_household_idx"),
            models.Index(fields=["enterprise", "campaign"], name="visit_enterprise_idx"),
            models.Index(fields=["project", "campaign"], name="visit_project_idx"),
            # The map's bbox prefilter (geo/visits).
            models.Index(fields=["lat", "lng"], name="visit_latlng_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_type=TargetType.HOUSEHOLD, **_only("household"))
                    | Q(target_type=TargetType.ENTERPRISE, **_only("enterprise"))
                    | Q(target_type=TargetType.PROJECT, **_only("project"))
                    | Q(target_type="", ticket__isnull=False, **_only(None))
                    | Q(target_type=TargetType.MEETING, ticket__isnull=True, head_count__gte=1, **_only(None))
                ),
                name="visit_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="visit_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="visit_lng_range"
            ),
            # On PostgreSQL 'NaN' is greater than every number: these ranges refuse NaN and ±Infinity too.
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0, accuracy_m__lte=ACCURACY_MAX),
                name="visit_accuracy_range",
            ),
            models.CheckConstraint(
                condition=Q(distance_m__isnull=True) | Q(distance_m__gte=0, distance_m__lte=DISTANCE_MAX),
                name="visit_distance_range",
            ),
            models.CheckConstraint(condition=Q(people_met__lte=PEOPLE_MET_MAX), name="visit_people_met_range"),
            models.CheckConstraint(condition=Q(head_count__lte=HEAD_COUNT_MAX), name="visit_head_count_range"),
            models.CheckConstraint(condition=Q(geo_status__in=GeoStatus.values), name="visit_geo_status_valid"),
            models.CheckConstraint(condition=Q(crs__in=Crs.values), name="visit_crs_valid"),
            # Notes are bounded in the database too, not only by the API.
            models.CheckConstraint(condition=LessThanOrEqual(Length("notes"), NOTES_MAX), name="visit_notes_length"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_at:%Y-%m-%d %H:%M} {self.cadre_id}"

    @property
    def target(self) -> models.Model | None:
        return self.household or self.enterprise or self.project

    @property
    def target_id(self) -> int | None:
        return self.household_id or self.enterprise_id or self.project_id

    def answers(self) -> dict[str, Any]:
        """The checklist answers as a dict of text, whatever an old row holds (a list never breaks a list)."""
        if not isinstance(self.checklist, dict):
            return {}
        return {str(key): value if isinstance(value, str) else str(value) for key, value in self.checklist.items()}

    def flag_list(self) -> list[str]:
        """The flags as a list of text, whatever an old row holds."""
        return [str(flag) for flag in self.flags] if isinstance(self.flags, list) else []

    def target_label(self) -> str:
        """What the target is called in lists and the ledger: personal names masked (SPEC §2)."""
        if self.household is not None:
            return f"{self.household.address}（{mask_name(self.household.head_name)}）"
        if self.enterprise is not None:
            return self.enterprise.name
        if self.project is not None:
            return self.project.name
        return ""


class VisitKey(models.Model):
    """Every visit's id, once (PostgreSQL): the partitioned table can only hold (id, visited_at) unique, so this
    table holds the id alone. Written and deleted by triggers on visits_visit (migration 0003), never by the code;
    a photo's visit_id references it. On SQLite it stays empty: visits_visit is plain and keyed by id there."""

    id = models.UUIDField(primary_key=True, editable=False)

    class Meta:
        verbose_name = _("走访编号")
        verbose_name_plural = _("走访编号")

    def __str__(self) -> str:
        return str(self.id)


class VisitPhoto(models.Model):
    """A photo of a visit, keyed by (visit, sha256 of the uploaded bytes): a retried upload lands once.

    The served file is re-encoded without EXIF (no GPS leaks out); the GPS position read from EXIF stays here.
    """

    # db_constraint=False: a deliberate exception to STYLE rule 4. A foreign key into a partitioned table must name
    # its whole key (id, visited_at); on PostgreSQL the database holds visit_id REFERENCES visits_visitkey (ON DELETE
    # CASCADE, migration 0003) instead, and visits.services.visit_photo_add refuses a photo of a missing visit.
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("走访"),
        on_delete=models.CASCADE,
        related_name="photos",
        db_constraint=False,
    )
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.CharField(_("文件"), max_length=255)  # relative to MEDIA_ROOT
    thumbnail = models.CharField(_("缩略图"), max_length=255)  # relative to MEDIA_ROOT
    original_format = models.CharField(_("原始格式"), max_length=8)  # JPEG / PNG / WEBP
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    size_bytes = models.PositiveIntegerField(_("上传大小"))
    lat = models.FloatField(_("拍摄纬度 (EXIF)"), null=True, blank=True)
    lng = models.FloatField(_("拍摄经度 (EXIF)"), null=True, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间 (EXIF)"), null=True, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "sha256"], name="visit_photo_content_unique"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="photo_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="photo_lng_range"
            ),
            # A year-1 EXIF date stored as 1 BC could not be read back: every list showing the photo failed.
            models.CheckConstraint(
                condition=Q(taken_at__isnull=True) | Q(taken_at__gte=EARLIEST, taken_at__lt=LATEST),
                name="photo_taken_at_range",
            ),
        ]

    def __str__(self) -> str:
        return self.file


class VisitParticipant(models.Model):
    """A household or enterprise that took part in a meeting (座谈会/问卷, a visit of target_type "meeting"): it counts
    as visited on the meeting's day, in its own unit (the statistics read these rows beside the visits').

    `visit` has db_constraint=False, as VisitPhoto's (a deliberate exception to STYLE rule 4: a foreign key into the
    partitioned visits table must name its whole key): on PostgreSQL visit_id REFERENCES visits_visitkey ON DELETE
    CASCADE (migration 0005). `visited_at` and `campaign_id` are the meeting's, copied: a day's rollup reads them."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("走访"), on_delete=models.CASCADE, related_name="participants", db_constraint=False
    )
    visited_at = models.DateTimeField(_("走访时间"))
    campaign_id = models.BigIntegerField(null=True, blank=True)
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "campaign.Household", verbose_name=_("住户"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "campaign.Enterprise", verbose_name=_("企业"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("参会对象")
        verbose_name_plural = _("参会对象")
        indexes = [
            models.Index(fields=["unit", "visited_at"], name="participant_unit_time_idx"),  # the rollups
            # must-visit clocks (visits.must_visit) and 我包联的 (visits.assignments): a target's meetings
            models.Index(fields=["household", "campaign_id"], name="participant_household_idx"),
            models.Index(fields=["enterprise", "campaign_id"], name="participant_enterprise_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False, enterprise__isnull=True)
                | Q(household__isnull=True, enterprise__isnull=False),
                name="participant_one_target",
            ),
            models.UniqueConstraint(fields=["visit", "household"], name="participant_household_once"),
            models.UniqueConstraint(fields=["visit", "enterprise"], name="participant_enterprise_once"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.household_id or self.enterprise_id}"


class ReportKey(models.Model):
    """The id a 户长's phone gives a report (visits.reporter.report_record): the report may wait in the phone's outbox
    through a dead spot and be sent again on reconnect; the key makes it one ticket. Same id and body again: the
    stored ticket (200); same id, another body or another user: 409. Kept apart from issues.Ticket (the tickets'
    table has no client id: only this road needs one)."""

    id = models.UUIDField(primary_key=True, editable=False)  # chosen by the client: the idempotency key
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("issues.Ticket", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("campaign.OrgUnit", on_delete=models.PROTECT, related_name="+", editable=False)
    body_hash = models.CharField(max_length=64)  # visits.services.canonical_body_hash of the request's body
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("上报幂等键")
        verbose_name_plural = _("上报幂等键")

    def __str__(self) -> str:
        return str(self.id)
