"""Ticket categories (issue 15 item 1): one table, named by campaigns, tickets, the dispatch directory, the router's
labels and (later) Open311's `service_code`.

A ticket stores its category's *name* (Ticket.category, what every rollup, filter and export is keyed by): a name is
therefore fixed once the category exists — the admin shows it read-only on a saved row — and a category that is no
longer used is deactivated, never renamed or deleted (docs/decisions.md, "Issue 15 — categories").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The default categories of a new deployment and their codes (Open311 service_code, the router's labels).
DEFAULT_CODES: dict[str, str] = {
    "城市管理": "urban",
    "社会保障": "social_security",
    "住房物业": "housing",
    "环境卫生": "sanitation",
    "道路交通": "traffic",
    "医疗卫生": "health",
    "教育": "education",
    "治安": "public_security",
    "企业服务": "enterprise",
    "其他": "other",
}
NAME_MAX_LENGTH = 50  # Ticket.category's length


class CategoryQuerySet(models.QuerySet["Category"]):
    def usable(self) -> CategoryQuerySet:
        return self.filter(active=True)


class Category(models.Model):
    """A category (类别), or a sub-item of one (`parent`, one level: e.g. 道路交通 › 路灯不亮)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True, help_text=_("小写字母、数字、下划线或连字符"))
    name = models.CharField(_("名称"), max_length=NAME_MAX_LENGTH, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[a-z0-9][a-z0-9_-]*$"), name="category_code_slug"),
            models.CheckConstraint(condition=~Q(name=""), name="category_name_not_blank"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name
