"""帮扶成效 on the dashboard (issue 16 item 8): the counts of help a unit's campaigns record, as headline figures.

The sums come from stats/summary's `help` (dashboard.figures.help_sums, through the rollups like every figure); here
they become figures of kind "help" (key help_<count key>), so the page's card (templates/dashboard/_help_given.html),
the workbook (dashboard.ledgers) and their change against the previous period follow the headline figures' one path
(dashboard.page_data.figures_and_age). The counts shown: those of the active campaigns the unit takes part in
(through itself or an ancestor; the whole city: every active campaign), in campaign order, a key once; with no active
campaign, the default counts (a ticket of no campaign records those); and any other key the period's tickets
recorded (a campaign's earlier counts), under its key.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit
from campaign.models.help_counts import DEFAULT_HELP_COUNTS, HelpCount, help_counts_of
from campaign.models.org import path_prefixes

PREFIX = "help_"  # a help figure's key: help_<count key>
KIND = "help"
Shown = tuple[str, Any, str, Any]  # (figure key, label, kind, definition), as dashboard.page_data.FIGURES


def active_campaigns(unit: OrgUnit | None) -> list[dict[str, Any]]:
    """The active campaigns the unit takes part in (the whole city: all), oldest first, with what the page reads of
    them (`on_site_with_direct`, `help_counts`). One query."""
    campaigns = Campaign.objects.filter(is_active=True)
    if unit is not None:
        campaigns = campaigns.filter(units__path__in=path_prefixes(unit.path))
    rows = campaigns.order_by("pk").values("pk", "on_site_with_direct", "help_counts")
    unique: dict[int, dict[str, Any]] = {row["pk"]: dict(row) for row in rows}  # joined through two ancestors: once
    return list(unique.values())


def _figure(count: HelpCount) -> Shown:
    definition = _("统计期间内登记、现已办结的工单在办结时记录的“%(label)s”之和（%(unit)s）。") % {
        "label": count.label,
        "unit": count.unit or "—",
    }
    return (PREFIX + count.key, count.title, KIND, definition)


def help_shown(campaigns: list[dict[str, Any]]) -> tuple[Shown, ...]:
    """The help figures of these campaigns' counts (none active: the default counts), a key once."""
    counts: dict[str, HelpCount] = {}
    sources = [row["help_counts"] for row in campaigns] if campaigns else [DEFAULT_HELP_COUNTS]
    for value in sources:
        for count in help_counts_of(value):
            counts.setdefault(count.key, count)
    return tuple(_figure(count) for count in counts.values())


def with_recorded(shown: tuple[Shown, ...], *summaries: dict[str, Any]) -> tuple[Shown, ...]:
    """`shown` and a figure for each key the summaries' `help` holds that no shown count names (under its key)."""
    keys = {key for key, *_ in shown}
    recorded = sorted({k for s in summaries if s for k in s.get("help", {}) if PREFIX + k not in keys})
    return (*shown, *(_figure(HelpCount(key=k, label=k)) for k in recorded))


def help_values(shown: tuple[Shown, ...], summary: dict[str, Any]) -> dict[str, Any]:
    """{figure key: the summary's amount (0 where no ticket recorded it)} of the help figures of `shown`."""
    amounts = summary.get("help", {})
    return {key: amounts.get(key.removeprefix(PREFIX), 0) for key, _label, kind, _d in shown if kind == KIND}
