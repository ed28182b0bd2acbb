"""The router's trained models (issue 15 item 2): one row per kind and training run, the fitted pipeline in the row.

Written by issues.router.store (the nightly task and `manage.py train_router`), read by issues.router.loading: the
active row's `version` once a minute per process, its `pipeline` only when that version changed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RouterKind(models.TextChoices):
    CATEGORY = "category", _("诉求类别")
    LEAD_UNIT = "lead_unit", _("牵头单位")


class RouterModel(models.Model):
    """A fitted text classifier (TF-IDF over jieba words and character bigrams, then a linear model).

    `pipeline` is the scikit-learn Pipeline pickled by joblib, by the `library` version named here: a row pickled by
    another version is not loaded (the keyword list answers until the next nightly run). Its vocabulary comes from
    residents' words, so the row is kept like the tickets themselves: no admin page, no export."""

    # One training run gives both kinds the same version; versions only grow (max + 1 at the run's insert).
    version = models.PositiveIntegerField(_("版本"))
    kind = models.CharField(_("类型"), max_length=12, choices=RouterKind.choices)
    created_at = models.DateTimeField(_("训练时间"), default=timezone.now)
    n_examples = models.PositiveIntegerField(_("样本数"))
    # Accuracy on the stratified held-out part (20 %), measured before the refit on every example.
    top1 = models.FloatField(_("首选准确率"))
    top3 = models.FloatField(_("前三准确率"))
    labels = models.JSONField(_("标签"), default=list)  # the classes in the pipeline's order: categories or unit ids
    pipeline = models.BinaryField(_("模型"))
    library = models.CharField(_("训练库版本"), max_length=40)  # e.g. "scikit-learn 1.9.1"
    active = models.BooleanField(_("当前使用"), default=False)

    class Meta:
        verbose_name = _("分派模型")
        verbose_name_plural = _("分派模型")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="router_model_version_unique"),
            # At most one active model per kind; its partial index also serves the loader's once-a-minute
            # `kind = … AND active` lookup.
            models.UniqueConstraint(fields=["kind"], condition=Q(active=True), name="router_model_one_active"),
            models.CheckConstraint(condition=Q(top1__gte=0, top1__lte=1), name="router_model_top1_range"),
            models.CheckConstraint(condition=Q(top3__gte=0, top3__lte=1), name="router_model_top3_range"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in RouterKind]), name="router_model_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"
