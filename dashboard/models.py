"""Statistics rollups (SPEC §6): derived rows, recomputed and upserted, never incremented.

- DailyRollup: the summable figures of one (day, leaf unit, campaign, category, lead unit). Visit counts sit in the
  rows with category "" and no lead unit; ticket counts sit in their ticket's category / lead unit.
- VisitTargetDay: one row per (target, day, unit, campaign) — the compact table behind every DISTINCT figure
  (households / enterprises visited, people covered, coverage), so those are exact over any period and subtree.
- OverdueSnapshot: open tickets past due at the end of a day, per (unit, campaign): written nightly (stats/daily).
- DirtyDay: a (day, unit) whose rows must be recomputed. Written in the same transaction as the change, so a dead
  broker loses nothing: the sweep picks it up.

Units are the leaf where a row belongs (a visit's target's unit, a ticket's `unit`); "unit X" sums over X's
subtree at read time (`unit__path LIKE 'X%'`): rollup rows are few, so the read stays cheap.
Every table here can be dropped and rebuilt with `manage.py rollup --from … --to …`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# DirtyDay.unit_id meaning "every unit of that day" (a backfill in progress).
WHOLE_DAY = 0


class DailyRollup(models.Model):
    day = models.DateField(_("日期"))
    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(null=True, blank=True)  # derived data: no FK, a plain id
    category = models.CharField(_("类别"), max_length=50, blank=True)
    # The ticket's lead unit (department rankings); null on visit rows and on undispatched tickets.
    lead_unit = models.ForeignKey("campaign.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    visits = models.PositiveIntegerField(default=0)
    issues_collected = models.PositiveIntegerField(default=0)  # kind ≠ suggestion
    suggestions = models.PositiveIntegerField(default=0)
    resolved_on_site = models.PositiveIntegerField(default=0)
    not_cancelled = models.PositiveIntegerField(default=0)  # closure rate denominator
    closed = models.PositiveIntegerField(default=0)  # now resolved or closed: closure rate numerator
    resolved = models.PositiveIntegerField(default=0)  # has a resolution (resolved_at): on-time denominator
    resolved_on_time = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)  # response rate denominator
    responded = models.PositiveIntegerField(default=0)  # accepted within 24 h of the latest dispatch
    rated = models.PositiveIntegerField(default=0)  # latest rating satisfied / basically / unsatisfied
    satisfied = models.PositiveIntegerField(default=0)  # satisfied + basically_satisfied

    class Meta:
        verbose_name = _("日统计")
        verbose_name_plural = _("日统计")
        constraints = [
            # Recompute-and-upsert can never leave two rows for one key, whoever runs it.
            models.UniqueConstraint(
                F("day"),
                F("unit"),
                Coalesce("campaign_id", Value(0)),
                F("category"),
                Coalesce("lead_unit", Value(0)),
                name="daily_rollup_key",
            ),
        ]
        indexes = [
            # stats/summary, stats/daily, ranking: day BETWEEN … joined to the unit subtree.
            models.Index(fields=["day", "unit"], name="daily_rollup_day_idx"),
            # recompute of one (day, unit): DELETE … WHERE unit_id = … AND day = ….
            models.Index(fields=["unit", "day"], name="daily_rollup_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} {self.category}"


class VisitTargetDay(models.Model):
    """A target visited on a day (in a unit, for a campaign): DISTINCT figures count these rows' targets."""

    day = models.DateField(_("日期"))
    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(null=True, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True)
    members = models.PositiveSmallIntegerField(default=0)  # the household's members when recomputed
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("走访对象日记录")
        verbose_name_plural = _("走访对象日记录")
        constraints = [
            models.UniqueConstraint(
                F("day"),
                F("unit"),
                Coalesce("campaign_id", Value(0)),
                Coalesce("household_id", Value(0)),
                Coalesce("enterprise_id", Value(0)),
                name="visit_target_day_key",
            ),
        ]
        indexes = [
            # COUNT(DISTINCT household_id) over day BETWEEN … in a subtree.
            models.Index(fields=["day", "unit"], name="visit_target_day_idx"),
            # recompute of one (day, unit).
            models.Index(fields=["unit", "day"], name="visit_target_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} household {self.household_id} enterprise {self.enterprise_id}"


class OverdueSnapshot(models.Model):
    """Open tickets past due_at at the end of `day` (Asia/Shanghai), per unit and campaign: the nightly snapshot."""

    day = models.DateField(_("日期"))
    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(null=True, blank=True)
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("超期快照")
        verbose_name_plural = _("超期快照")
        constraints = [
            models.UniqueConstraint(
                F("day"), F("unit"), Coalesce("campaign_id", Value(0)), name="overdue_snapshot_key"
            ),
        ]
        indexes = [models.Index(fields=["day", "unit"], name="overdue_snapshot_day_idx")]  # stats/daily

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id}: {self.overdue}"


class DirtyDay(models.Model):
    """A (day, unit) to recompute; unit_id WHOLE_DAY (0) = every unit of the day (backfill in progress).

    `marked_at` changes on every re-mark: the sweep deletes a row only if it was not re-marked while it
    recomputed, so a change landing mid-recompute is never lost.
    """

    day = models.DateField(_("日期"))
    unit_id = models.BigIntegerField()  # a plain id: marks outlive nothing and need no join
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("待重算")
        verbose_name_plural = _("待重算")
        constraints = [models.UniqueConstraint(fields=["day", "unit_id"], name="dirty_day_key")]
        indexes = [models.Index(fields=["marked_at"], name="dirty_day_marked_idx")]  # the sweep, oldest first

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id}"


class TargetSpan(models.Model):
    """A target ever visited in a (leaf unit, campaign): its first and last visit day up to the last refresh's day.
    Rebuilt from VisitTargetDay by dashboard.periods, it answers in one pass over ~1 row per target the DISTINCT
    figures of every period ending today (visited in [from, today] iff last visit ≥ from) and coverage up to any
    day (first visit ≤ date_to), where VisitTargetDay needs a row per target and day (millions at city scale)."""

    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(null=True, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True)
    members = models.PositiveSmallIntegerField(default=0)  # max over the target's day rows
    first_day = models.DateField()  # coverage up to any date_to, and stats/daily's newly covered households
    last_day = models.DateField()

    class Meta:
        verbose_name = _("走访对象最近走访")
        verbose_name_plural = _("走访对象最近走访")
        constraints = [
            models.UniqueConstraint(
                F("unit"),
                Coalesce("campaign_id", Value(0)),
                Coalesce("household_id", Value(0)),
                Coalesce("enterprise_id", Value(0)),
                name="target_span_key",
            ),
        ]
        # The unique key's index (unit_id first) serves the per-unit rebuild and the subtree join of
        # dashboard.periods and of coverage in dashboard.selectors.

    def __str__(self) -> str:
        return f"unit {self.unit_id} household {self.household_id} enterprise {self.enterprise_id}: {self.last_day}"


class PeriodSummary(models.Model):
    """stats/summary of a leaders' usual period (SPEC §6; issue 6) for a unit, precomputed by the rollup jobs.

    Periods end today (`as_of`): today, the last 7 and 30 days, and a campaign from its start. `campaign_id` 0 =
    every campaign. `figures` holds the summary's figures but `coverage` and `overdue` (both read live) and adds
    `households_ever` (coverage's numerator). A row is used only while `as_of` is today and no DirtyDay of the
    unit's subtree is pending (dashboard.selectors.stats_summary); else the exact path answers.
    """

    TODAY, LAST_7, LAST_30, CAMPAIGN = "today", "last_7", "last_30", "campaign"

    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(default=0)
    period = models.CharField(max_length=10)
    date_from = models.DateField()
    date_to = models.DateField()
    as_of = models.DateField()
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("常用时段统计")
        verbose_name_plural = _("常用时段统计")
        constraints = [
            # One row per usual period; its index serves stats/summary's lookup (unit, campaign, then the dates).
            models.UniqueConstraint(fields=["unit", "campaign_id", "period"], name="period_summary_key"),
        ]

    def __str__(self) -> str:
        return f"unit {self.unit_id} campaign {self.campaign_id} {self.period} as of {self.as_of}"


class PeriodStale(models.Model):
    """A leaf unit (WHOLE_DAY: every unit) whose rollups were recomputed since its ancestors' usual periods were.

    Written in the recompute's own transaction (dashboard.rollups), deleted by dashboard.periods.periods_refresh in
    the transaction that refreshes them, if not re-marked meanwhile: while one exists in a unit's subtree,
    stats_summary does not use the unit's PeriodSummary rows.
    """

    unit_id = models.BigIntegerField(unique=True)  # a plain id, like DirtyDay's
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("常用时段待刷新")
        verbose_name_plural = _("常用时段待刷新")

    def __str__(self) -> str:
        return f"unit {self.unit_id}"
