"""Monthly topics (每月一题 / 专题, issue 15 item 5): a leader promotes a hot spot — tickets of one category gathered in
one place — to a topic with a lead unit, a deadline and milestones; the tickets of the cluster are linked to it, and
later tickets of the same category within its radius attach themselves (issues.topics.attach)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

RADIUS_MIN_M, RADIUS_MAX_M = 50, 5000


class TopicStatus(models.TextChoices):
    OPEN = "open", _("推进中")
    DONE = "done", _("已完成")


class Topic(models.Model):
    title = models.CharField(_("专题名称"), max_length=100)
    # A category's name, as Ticket.category holds it (campaign.Category; names are fixed once saved).
    category = models.CharField(_("类别"), max_length=50)
    # The root district of `area` (as Ticket.district): the tickets that attach are of this district, and the key the
    # Citus plan shards by (config/citus_plan.py).
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Where the leader promoted it: who sees it (scope over the area, or over the lead unit).
    area = models.ForeignKey("campaign.OrgUnit", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+")
    # The centre of the cluster (WGS-84) and the radius within which a new ticket attaches.
    lat = models.FloatField(_("中心纬度"))
    lng = models.FloatField(_("中心经度"))
    radius_m = models.PositiveIntegerField(_("半径（米）"), default=500)
    lead_unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_topics"
    )
    deadline = models.DateField(_("完成时限"))
    month = models.DateField(_("所属月份"), help_text=_("该月第一天"))  # 每月一题: the month it is the topic of
    status = models.CharField(_("状态"), max_length=8, choices=TopicStatus.choices, default=TopicStatus.OPEN)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专题")
        verbose_name_plural = _("专题")
        indexes = [
            # attach(): the open topics of a district and category, for every new ticket (a handful of rows).
            models.Index(fields=["district", "category"], condition=Q(status="open"), name="topic_open_place_idx"),
            # The list (newest month first) and the monthly report (month = …).
            models.Index(fields=["-month", "-id"], name="topic_month_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(radius_m__gte=RADIUS_MIN_M, radius_m__lte=RADIUS_MAX_M), name="topic_radius_range"
            ),
            models.CheckConstraint(condition=Q(deadline__gte=F("month")), name="topic_deadline_after_month"),
            models.CheckConstraint(condition=Q(lat__gte=-90, lat__lte=90), name="topic_lat_range"),
            models.CheckConstraint(condition=Q(lng__gte=-180, lng__lte=180), name="topic_lng_range"),
            models.CheckConstraint(
                condition=Q(status=TopicStatus.OPEN, closed_at__isnull=True)
                | Q(status=TopicStatus.DONE, closed_at__isnull=False),
                name="topic_status_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TopicStatus.OPEN


class TopicMilestone(models.Model):
    """A step of a topic (节点), in `position` order; done once, by whom and when."""

    topic = models.ForeignKey(
        Topic,
        verbose_name=_("专题"),
        on_delete=models.CASCADE,
        related_name="milestones",
        db_index=False,  # led by topic_milestone_position
    )
    title = models.CharField(_("节点"), max_length=100)
    due = models.DateField(_("计划完成"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("专题节点")
        verbose_name_plural = _("专题节点")
        constraints = [
            # its index serves the read of a topic's milestones in order
            models.UniqueConstraint(fields=["topic", "position"], name="topic_milestone_position"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=False) | Q(done_by__isnull=True), name="topic_milestone_done_by"
            ),
        ]

    def __str__(self) -> str:
        return self.title
