"""Campaigns (SPEC §3) and the working-day calendar (China's holidays and make-up working days, 调休)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models.help_counts import default_help_counts, help_counts_errors
from campaign.models.must_visit import MUST_VISIT_DAYS_MAX, must_visit_errors
from campaign.models.questions import questions_errors, questions_of

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


# Campaign.targets (issue 16 item 3; docs/decisions.md, "Campaign targets"): {} for none, or the coverage (SPEC §6:
# households ever visited in the campaign ÷ registered) to reach, as a fraction, and optionally the day to reach it
# by: {"household_coverage": 0.8, "by": "2026-12-31"}. The dashboard draws a unit's coverage against it.
TARGET_KEYS = ("household_coverage", "by")
_DAY_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def validate_targets(value: Any) -> dt.date | None:
    """Refuse (ValidationError, saying what is wrong) any `targets` not of the shape above; the `by` day, if any.
    Used by Campaign.clean() (the admin's form) and by the dashboard before it reads a stored value."""
    if value == {}:
        return None
    if not isinstance(value, dict):
        raise ValidationError(_('目标应为对象，例如 {"household_coverage": 0.8, "by": "2026-12-31"}。'))
    unknown = sorted(str(key) for key in value if key not in TARGET_KEYS)
    if unknown:
        raise ValidationError(
            _("未知的目标：%(keys)s（可用：household_coverage, by）。"), params={"keys": ", ".join(unknown)}
        )
    share = value.get("household_coverage")
    if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share) or not 0 < share <= 1:
        raise ValidationError(_("household_coverage 应为大于 0、不超过 1 的小数，例如 0.8。"))
    by = value.get("by")
    if by is None:
        return None
    try:
        if not isinstance(by, str) or not _DAY_SHAPE.fullmatch(by):
            raise ValueError
        return dt.date.fromisoformat(by)
    except ValueError:
        raise ValidationError(_("by 应为日期 YYYY-MM-DD，例如 2026-12-31。")) from None


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    units = models.ManyToManyField("campaign.OrgUnit", verbose_name=_("参与单位"), related_name="campaigns")
    # [{"key": "family", "label": "家庭情况"}, ...]: the visit checklist (四情必问), each item a question that may carry a
    # type ("text", "choice" with "choices", "number" with "min"/"max") and "required" (campaign.models.questions).
    checklist = models.JSONField(_("走访清单"), default=default_checklist, blank=True)
    # The categories its tickets may take; none named: every active category (campaign.categories.allowed_names).
    categories = models.ManyToManyField(
        "campaign.Category", verbose_name=_("诉求类别"), related_name="campaigns", blank=True
    )
    # {"door_to_door": 3, ...}: days overriding a mode's default SLA.
    sla_overrides = models.JSONField(_("时限覆盖 (天)"), default=dict, blank=True)
    # {"household_coverage": 0.8, "by": "2026-12-31"} or {}: the shape validate_targets holds (clean()).
    targets = models.JSONField(_("目标"), default=dict, blank=True)
    working_days = models.BooleanField(_("按工作日计算时限"), default=False)
    # The dashboard adds "现场解决(含政策解释)" = resolved on site + 直办 (answered at intake), as districts publish it
    # (issue 16 item 5); `resolved_on_site` keeps its own meaning beside it.
    on_site_with_direct = models.BooleanField(_("现场解决含政策解释（直办）"), default=False, db_default=False)
    # 四门必敲 (issue 16 item 2): households carrying one of these tags (HOUSEHOLD_TAGS) are to be visited at least
    # every must_visit_days days; [] and null: no must-visit list (campaign.models.must_visit, read by visits.must_visit).
    must_visit_tags = models.JSONField(_("必访对象标签"), default=list, blank=True)
    must_visit_days = models.PositiveSmallIntegerField(_("必访周期（天）"), null=True, blank=True)
    # 帮扶成效 (issue 16 item 8): the counts a resolution may record, [{"key", "label", "unit", "decimals"}, …]; the
    # shape campaign.models.help_counts holds (clean()); [] records none.
    help_counts = models.JSONField(_("帮扶成效统计项"), default=default_help_counts, blank=True)
    is_active = models.BooleanField(_("进行中"), default=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="campaign_dates"),
            models.CheckConstraint(
                condition=Q(must_visit_days__isnull=True)
                | Q(must_visit_days__gte=1, must_visit_days__lte=MUST_VISIT_DAYS_MAX),
                name="campaign_must_visit_days",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if errors := must_visit_errors(self.must_visit_tags, self.must_visit_days):
            raise ValidationError(errors)
        if question_errors := questions_errors(self.checklist):
            raise ValidationError({"checklist": question_errors})
        if help_errors := help_counts_errors(self.help_counts):
            raise ValidationError({"help_counts": help_errors})
        try:
            by = validate_targets(self.targets)
        except ValidationError as exc:
            raise ValidationError({"targets": exc.messages}) from None
        if by is not None and self.start_date is not None and by < self.start_date:
            raise ValidationError({"targets": [_("目标日期 by 不能早于活动开始日期。")]})

    def checklist_keys(self) -> set[str]:
        return {str(item.get("key")) for item in self.checklist if isinstance(item, dict)}

    def questions(self) -> list[Any]:
        """The checklist as typed questions (campaign.models.questions.Question), whatever the stored value holds."""
        return questions_of(self.checklist)


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
