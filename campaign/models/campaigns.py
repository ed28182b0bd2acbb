"""Campaigns (SPEC §3) and the working-day calendar (China's holidays and make-up working days, 调休)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MODES = ("immediate", "proactive", "door_to_door", "tracking", "public", "coordinated")

DEFAULT_CHECKLIST = [
    {"key": "family", "label": "家庭情况"},
    {"key": "livelihood", "label": "生产生活"},
    {"key": "opinions", "label": "意见建议"},
    {"key": "difficulties", "label": "困难诉求"},
]
DEFAULT_CATEGORIES = [
    "城市管理",
    "社会保障",
    "住房物业",
    "环境卫生",
    "道路交通",
    "医疗卫生",
    "教育",
    "治安",
    "企业服务",
    "其他",
]


def default_checklist() -> list[dict[str, str]]:
    return [dict(item) for item in DEFAULT_CHECKLIST]


def default_categories() -> list[str]:
    return list(DEFAULT_CATEGORIES)


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    units = models.ManyToManyField("campaign.OrgUnit", verbose_name=_("参与单位"), related_name="campaigns")
    # [{"key": "family", "label": "家庭情况"}, ...]: the visit checklist (四情必问).
    checklist = models.JSONField(_("走访清单"), default=default_checklist, blank=True)
    # The categories its tickets may take; none named: every active category (campaign.categories.allowed_names).
    categories = models.ManyToManyField(
        "campaign.Category", verbose_name=_("诉求类别"), related_name="campaigns", blank=True
    )
    # {"door_to_door": 3, ...}: days overriding a mode's default SLA.
    sla_overrides = models.JSONField(_("时限覆盖 (天)"), default=dict, blank=True)
    # {"household_coverage": 1.0, ...}: e.g. every household visited once in the campaign.
    targets = models.JSONField(_("目标"), default=dict, blank=True)
    working_days = models.BooleanField(_("按工作日计算时限"), default=False)
    # The dashboard adds "现场解决(含政策解释)" = resolved on site + 直办 (answered at intake), as districts publish it
    # (issue 16 item 5); `resolved_on_site` keeps its own meaning beside it.
    on_site_with_direct = models.BooleanField(_("现场解决含政策解释（直办）"), default=False, db_default=False)
    is_active = models.BooleanField(_("进行中"), default=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-start_date"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaign_dates")]

    def __str__(self) -> str:
        return self.name

    def checklist_keys(self) -> set[str]:
        return {str(item.get("key")) for item in self.checklist if isinstance(item, dict)}


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: an official holiday, or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("节假日/调休")
        verbose_name_plural = _("节假日/调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year whose whole arrangement of holidays and make-up working days is in CalendarDay (the State Council's
    notice, usually published in November for the next year). A year without a row is "not known": its working
    days are Monday–Friday only, and campaign.holidays.unknown_years says so (check zoufang.I001, /admin/, dashboard).
    """

    class Source(models.TextChoices):
        PACKAGE = "package", _("随程序提供（chinese-calendar）")
        ADMIN = "admin", _("管理员录入")

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.ADMIN)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日年份")
        verbose_name_plural = _("节假日年份")
        ordering = ["-year"]
        constraints = [models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="calendar_year_range")]

    def __str__(self) -> str:
        return str(self.year)
