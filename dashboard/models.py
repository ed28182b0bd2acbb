"""Statistics rollups (SPEC §6): derived rows, recomputed and upserted, never incremented.

- DailyRollup: the summable figures of one (day, leaf unit, campaign, category, lead unit). Visit counts sit in the
  rows with category "" and no lead unit; ticket counts sit in their ticket's category / lead unit.
- VisitTargetDay: one row per (target, day, unit, campaign) — the compact table behind every DISTINCT figure
  (households / enterprises visited, people covered, coverage), so those are exact over any period and subtree.
  Two tables derived from it keep those reads flat at city scale: DayReach (per day and leaf unit: stats/daily) and
  TargetSpan (per target: a bit per visit day, for any range's DISTINCT figures and coverage).
- OverdueSnapshot: open tickets past due at the end of a day, per (unit, campaign): written nightly (stats/daily).
- DirtyDay: a (day, unit) whose rows must be recomputed. Written in the same transaction as the change, so a dead
  broker loses nothing: the sweep picks it up. The oldest pending mark is the data's age (dashboard.freshness).
- PeriodSummary: a cache of the leaders' usual periods, computed by the same functions as any other read
  (dashboard.figures) and used only while younger than dashboard.periods.CACHE_MAX_AGE.

Units are the leaf where a row belongs (a visit's target's unit, a ticket's `unit`); "unit X" sums over X's
subtree at read time (`unit__path LIKE 'X%'`): rollup rows are few, so the read stays cheap.
Every table here can be dropped and rebuilt with `manage.py rollup --from … --to …`.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# DirtyDay.unit_id meaning "every unit of that day" (a backfill in progress).
WHOLE_DAY = 0
# DayFigures' summable figures, in the order the statistics read them.
SUMS = (
    "visits", "issues_collected", "suggestions", "resolved_on_site", "not_cancelled", "closed", "resolved",
    "resolved_on_time", "dispatched", "responded", "rated", "satisfied", "recurred", "router_suggested", "router_kept",
    "direct",
)  # fmt: skip


class DayFigures(models.Model):
    """The summable figures of SPEC §6 (abstract): a DailyRollup row's, and a DayReach row's totals of them."""

    visits = models.PositiveIntegerField(default=0)
    issues_collected = models.PositiveIntegerField(default=0)  # kind ≠ suggestion, not merged into another ticket
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
    recurred = models.PositiveIntegerField(default=0)  # of issues_collected, flagged 重复诉求: recurrence rate
    router_suggested = models.PositiveIntegerField(default=0)  # latest dispatch had a suggested category
    router_kept = models.PositiveIntegerField(default=0)  # … and kept it: the suggestion's acceptance rate
    direct = models.PositiveIntegerField(default=0)  # 直办: answered at intake (forwarded, 转办, is `dispatched`)

    class Meta:
        abstract = True


class DailyRollup(DayFigures):
    day = models.DateField(_("日期"))
    # No index of its own on the unit (here and below): the (unit, day) index or the unique key, unit first, serve.
    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign_id = models.BigIntegerField(null=True, blank=True)  # derived data: no FK, a plain id
    category = models.CharField(_("类别"), max_length=50, blank=True)
    # The ticket's lead unit (department rankings); null on visit rows and on undispatched tickets.
    lead_unit = models.ForeignKey("campaign.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

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
        # stats/summary, stats/daily, ranking (day BETWEEN … joined to the unit subtree) use the unique key's index,
        # (day, unit, …) first; the recompute of one (day, unit), DELETE … WHERE unit_id = … AND day = …, this one:
        indexes = [
            models.Index(fields=["unit", "day"], name="daily_rollup_unit_idx"),
            # The dashboard map's shading (dashboard.page_data.visits_by_unit): visits per unit of a period, read
            # from the index alone (a city district's map: 24 → 3 ms; bench/README.md, session 17).
            models.Index(
                fields=["unit", "day"],
                include=["visits"],
                condition=Q(category="", visits__gt=0),
                name="daily_rollup_visits_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} {self.category}"


class HelpRollup(models.Model):
    """帮扶成效 (issue 16 item 8): the amounts recorded by the resolutions of the tickets of one (day, leaf unit,
    campaign), per count `key` — tickets resolved or closed now, in the day they were created (as every ticket
    figure). Written by the same recompute as DailyRollup (dashboard.help), summed over a subtree and a range at read
    time (dashboard.figures): rows exist only where some help was recorded, a few per unit and day at most."""

    day = models.DateField(_("日期"))
    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    key = models.CharField(_("统计项"), max_length=30)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    tickets = models.PositiveIntegerField(default=0)  # the tickets that recorded the count

    class Meta:
        verbose_name = _("帮扶成效日统计")
        verbose_name_plural = _("帮扶成效日统计")
        constraints = [
            # Recompute-and-upsert can never leave two rows for one key; its index (day first) serves the range reads.
            models.UniqueConstraint(
                F("day"), F("unit"), Coalesce("campaign_id", Value(0)), F("key"), name="help_rollup_key"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="help_rollup_amount"),
        ]
        # The recompute of one (day, unit): DELETE … WHERE unit_id = … AND day = ….
        indexes = [models.Index(fields=["unit", "day"], name="help_rollup_unit_idx")]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} {self.key}={self.amount}"


class VisitTargetDay(models.Model):
    """A target visited on a day (in a unit, for a campaign): DISTINCT figures count these rows' targets."""

    day = models.DateField(_("日期"))
    # No database FK constraint (the ORM still cascades a unit's deletion): PostgreSQL checks a deferred FK per
    # row at commit, 0.5–2 s for a city district-day's 85,000 rows (bench/README.md). Derived rows, written from
    # visits whose own FKs hold.
    unit = models.ForeignKey(
        "campaign.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    campaign_id = models.BigIntegerField(null=True, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True)
    members = models.PositiveSmallIntegerField(default=0)  # the household's members when recomputed
    visits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("走访对象日记录")
        verbose_name_plural = _("走访对象日记录")
        # No unique constraint on the key (day, unit, campaign, target), unlike the other rollups: its expression
        # index cost 1.0 of the 2.1 s a city district-day took to write (bench/README.md). A key's rows are written
        # only by one INSERT … SELECT … GROUP BY over the key, after its DELETE, in one transaction, under the
        # day's advisory lock (dashboard.rollups._lock; SQLite serialises writers), so duplicates cannot arise;
        # tests/dashboard/test_rollup_idempotency.py runs four recomputes at once and compares the rows.
        indexes = [
            # Reads of a day range in a subtree, the recompute of a whole day.
            models.Index(fields=["day", "unit"], name="visit_target_day_idx"),
            # The recompute of one (day, unit) and the TargetSpan rebuild of some units (every day of theirs).
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
    recomputed, so a change landing mid-recompute is never lost. `pending_since` does not: it is the moment since
    which some change of the key waits for its recompute — the figures of the unit are complete up to it (the page's
    "数据更新于", /healthz). A recompute that leaves a re-marked row moves it to the recompute's start.
    """

    day = models.DateField(_("日期"))
    unit_id = models.BigIntegerField()  # a plain id: marks outlive nothing and need no join
    marked_at = models.DateTimeField()
    pending_since = models.DateTimeField()

    class Meta:
        verbose_name = _("待重算")
        verbose_name_plural = _("待重算")
        constraints = [models.UniqueConstraint(fields=["day", "unit_id"], name="dirty_day_key")]
        indexes = [
            models.Index(fields=["marked_at"], name="dirty_day_marked_idx"),  # the sweep, oldest first
            models.Index(fields=["pending_since"], name="dirty_day_pending_idx"),  # the data's age, /healthz
        ]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id}"


# TargetSpan's day bits: day n (days since DAY_EPOCH) is bit n % 64 of column d{(n % BLOCK_DAYS) // 64} in the row of
# block n // BLOCK_DAYS. Six signed 64-bit columns (bit 63 is the sign bit) make a 384-day block: a campaign of up to
# a year is one or two rows per target, and the bit arithmetic is the same on PostgreSQL and SQLite.
DAY_EPOCH = dt.date(2000, 1, 1)
BLOCK_DAYS = 384
DAY_BITS = ("d0", "d1", "d2", "d3", "d4", "d5")


class TargetSpan(models.Model):
    """A target visited in a (leaf unit, campaign) during a 384-day block: a bit per day it was visited, and its
    first visit day in the block. Rebuilt from VisitTargetDay by the recompute of a (day, leaf unit) in its own
    transaction (the unit's rows of the day's block; a whole day: every unit's), it answers in one pass over ~1 row per target the DISTINCT figures of ANY range (visited in [from, to]
    iff a bit of the range is set) and coverage up to any day (first visit ≤ date_to), where VisitTargetDay needs a
    row per target and day (millions at city scale)."""

    # The unique key's index leads with the unit: no index of its own; no FK constraint (as VisitTargetDay's).
    unit = models.ForeignKey(
        "campaign.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    campaign_id = models.BigIntegerField(null=True, blank=True)
    household_id = models.BigIntegerField(null=True, blank=True)
    enterprise_id = models.BigIntegerField(null=True, blank=True)
    block = models.IntegerField()  # (day - DAY_EPOCH) // BLOCK_DAYS
    members = models.PositiveSmallIntegerField(default=0)  # max over the target's day rows
    first_day = models.DateField()  # coverage up to any date_to, and stats/daily's newly covered households
    d0 = models.BigIntegerField(default=0)
    d1 = models.BigIntegerField(default=0)
    d2 = models.BigIntegerField(default=0)
    d3 = models.BigIntegerField(default=0)
    d4 = models.BigIntegerField(default=0)
    d5 = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("走访对象走访日")
        verbose_name_plural = _("走访对象走访日")
        constraints = [
            models.UniqueConstraint(
                F("unit"),
                Coalesce("campaign_id", Value(0)),
                Coalesce("household_id", Value(0)),
                Coalesce("enterprise_id", Value(0)),
                F("block"),
                name="target_span_key",
            ),
        ]
        # The unique key's index (unit_id first) serves the per-unit rebuild and the subtree join of
        # dashboard.figures; this one, a target's rows wherever they are (dashboard.daybits.shared_mark).
        indexes = [
            models.Index(Coalesce(F("household_id") * 2, F("enterprise_id") * 2 + 1), name="target_span_target_idx"),
        ]

    def __str__(self) -> str:
        return f"unit {self.unit_id} household {self.household_id} enterprise {self.enterprise_id}: {self.first_day}"


class SharedTarget(models.Model):
    """A target with more than one TargetSpan row (visited in two units, two campaigns or two blocks): only these
    need grouping by target to be counted once (dashboard.figures); a target absent here has one row at most, so
    plain filtered counts over the rows are exact. `target` is household_id * 2, or enterprise_id * 2 + 1.

    Marked by the recompute that writes a target's second row, in its transaction, under one advisory lock taken
    last (dashboard.daybits.shared_mark): of two recomputes writing a target's rows at once, the one that checks
    second sees the other's committed row. Never unmarked but by a full rebuild: a stale mark only costs grouping.
    """

    target = models.BigIntegerField(unique=True)

    class Meta:
        verbose_name = _("多行走访对象")
        verbose_name_plural = _("多行走访对象")

    def __str__(self) -> str:
        return str(self.target)


class DayReach(DayFigures):
    """All figures of one (day, leaf unit): targets visited that day and the people they cover, and the DailyRollup
    sums without their category / lead-unit split — one row per unit and day for stats/daily.

    `campaign_id` 0 counts every campaign together (a household visited in two campaigns on a day once), any other
    id that campaign only. Written from the day's VisitTargetDay and DailyRollup rows in the same recompute. A target
    belongs to one leaf unit on a day (a visit's unit is its target's), so these rows sum exactly over a subtree.
    """

    day = models.DateField(_("日期"))
    unit = models.ForeignKey(
        "campaign.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    campaign_id = models.BigIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)
    enterprises = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("日走访覆盖")
        verbose_name_plural = _("日走访覆盖")
        constraints = [models.UniqueConstraint(fields=["day", "unit", "campaign_id"], name="day_reach_key")]
        indexes = [models.Index(fields=["unit", "day"], name="day_reach_unit_idx")]  # recompute of one (day, unit)

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id} campaign {self.campaign_id}: {self.households}"


class PeriodSummary(models.Model):
    """A cache of a leaders' usual period (SPEC §6; issue 6) for a unit: what dashboard.figures computes for it.

    Periods of the day `as_of`: today, the last 7 and 30 days, a campaign from its start; every campaign together
    (`campaign_id` 0) also the page's previous periods and its "全周期" (dashboard.periods). `figures` holds
    dashboard.figures.range_figures and unit_state as computed at `computed_at`, the period's `days` and
    `overdue_days` (stats/daily), campaign 0's `categories` (a department's also `lead`, the TODAY rows also
    `first_days`); every campaign together, `hotspots` (a period's hot spots). A read uses a row only while it is younger
    than dashboard.periods.CACHE_MAX_AGE; else it computes through the same functions.
    """

    TODAY, LAST_7, LAST_30, CAMPAIGN = "today", "last_7", "last_30", "campaign"
    # every campaign together: the dashboard page's previous periods, and its "全周期" (dashboard.periods)
    PREV_TODAY, PREV_7, PREV_30, SINCE = "prev_today", "prev_7", "prev_30", "since"

    unit = models.ForeignKey("campaign.OrgUnit", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField(default=0)
    period = models.CharField(max_length=10)
    date_from = models.DateField()
    date_to = models.DateField()
    as_of = models.DateField()
    figures = models.JSONField()
    # every campaign together: the period's hot spots at the default threshold (dashboard.hotspots), apart from
    # `figures` so that a summary's read does not parse them; null where not kept (dashboard.periods.HOTSPOT_PERIODS)
    hotspots = models.JSONField(null=True, blank=True)
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


class DisplayLink(models.Model):
    """A revocable, read-only link for a wall screen (issue 12 item 3): /dashboard/wall/<token>/ shows one unit's
    dashboard without a session, so no leader's session has to be kept alive by the screen's reloads.

    Only the token's SHA-256 is stored (the full link is shown once, at creation); `hint` is its first characters,
    enough to tell links apart in the list and useless to guess the rest. A link ends when revoked or when the
    account that created it is deactivated (dashboard.displays.resolve)."""

    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("链接标识"), max_length=8)
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        "campaign.User", verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("最近访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("大屏链接")
        verbose_name_plural = _("大屏链接")

    def __str__(self) -> str:
        return f"display {self.hint}… unit {self.unit_id}"
