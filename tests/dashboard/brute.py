"""The figures of SPEC §6 computed the slow, obvious way from raw rows: the oracle the rollups must match."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from campaign.days import day_bounds
from campaign.models import Household, OrgUnit
from issues.models import Ticket, TicketHelp
from visits.models import Visit, VisitParticipant

OPEN = {"reported", "dispatched", "accepted", "in_progress"}


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def brute_summary(*, unit: OrgUnit, date_from: dt.date, date_to: dt.date, campaign: Any = None) -> dict[str, Any]:
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]

    def mine(row: Any) -> bool:
        return row.unit.path.startswith(unit.path) and (campaign is None or row.campaign_id == campaign.pk)

    all_visits = [v for v in Visit.objects.select_related("unit", "household") if mine(v)]
    visits = [v for v in all_visits if start <= v.visited_at < end]
    # a meeting's participants (座谈会) count as visited in their own units, adding no visit
    all_met = [p for p in VisitParticipant.objects.select_related("unit", "household") if mine(p)]
    met = [p for p in all_met if start <= p.visited_at < end]
    households = {r.household_id: r.household.members for r in [*visits, *met] if r.household}
    ever = {r.household_id for r in [*all_visits, *all_met] if r.household_id and r.visited_at < end}
    registered = sum(1 for h in Household.objects.select_related("unit") if h.unit.path.startswith(unit.path))
    all_tickets = [t for t in Ticket.objects.select_related("unit") if mine(t)]
    tickets = [t for t in all_tickets if start <= t.created_at < end]
    done = [t for t in tickets if t.status in ("resolved", "closed")]
    resolved = [t for t in done if t.resolved_at]
    dispatched = [t for t in tickets if t.dispatched_at]
    rated = [t for t in tickets if t.satisfaction in ("satisfied", "basically_satisfied", "unsatisfied")]
    collected = [t for t in tickets if t.kind != "suggestion" and t.merge_into_id is None]  # a merged one counts once
    routed = [t for t in tickets if t.suggestion_taken is not None]
    now = timezone.now()
    return {
        "visits": len(visits),
        "households_visited": len(households),
        "enterprises_visited": len({r.enterprise_id for r in [*visits, *met] if r.enterprise_id}),
        "people_covered": sum(households.values()),
        "coverage": _ratio(len(ever), registered),
        "issues_collected": len(collected),
        "suggestions": sum(1 for t in tickets if t.kind == "suggestion"),
        "resolved_on_site": sum(1 for t in tickets if t.resolved_on_site),
        "direct": sum(1 for t in tickets if t.answered_directly),
        "forwarded": len(dispatched),
        "resolved_or_closed": len(done),
        "not_cancelled": sum(1 for t in tickets if t.status != "cancelled"),
        "closure_rate": _ratio(len(done), sum(1 for t in tickets if t.status != "cancelled")),
        "on_time_rate": _ratio(
            sum(1 for t in resolved if t.due_at is None or (t.resolved_at and t.resolved_at <= t.due_at)),
            len(resolved),
        ),
        "response_rate": _ratio(
            sum(
                1
                for t in dispatched
                if t.accepted_at and t.dispatched_at and t.accepted_at <= t.dispatched_at + dt.timedelta(hours=24)
            ),
            len(dispatched),
        ),
        "satisfaction_rate": _ratio(
            sum(1 for t in rated if t.satisfaction in ("satisfied", "basically_satisfied")), len(rated)
        ),
        "recurrence_rate": _ratio(sum(1 for t in collected if t.recurs_id is not None), len(collected)),
        "acceptance_rate": _ratio(sum(1 for t in routed if t.suggestion_taken), len(routed)),
        # open, not past due now; no due_at yet (reported, not dispatched) counts as in time
        "open_in_time": sum(1 for t in tickets if t.status in OPEN and (t.due_at is None or t.due_at >= now)),
        "overdue": sum(1 for t in all_tickets if t.status in OPEN and t.due_at and t.due_at < now),
    }


def brute_help(*, unit: OrgUnit, date_from: dt.date, date_to: dt.date, campaign: Any = None) -> dict[str, Any]:
    """stats/summary's `help` (帮扶成效) the slow way: the amounts recorded on the tickets of the period in the
    subtree (and campaign) that are resolved or closed now, summed per count key; a key none recorded is absent."""
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]
    sums: dict[str, Decimal] = {}
    for row in TicketHelp.objects.select_related("ticket__unit"):
        t = row.ticket
        if (
            t.unit.path.startswith(unit.path)
            and (campaign is None or t.campaign_id == campaign.pk)
            and start <= t.created_at < end
            and t.status in ("resolved", "closed")
        ):
            sums[row.key] = sums.get(row.key, Decimal(0)) + row.amount
    return {key: int(v) if v == v.to_integral_value() else float(v) for key, v in sums.items()}


def brute_overdue_at_end_of(*, unit: OrgUnit, day: dt.date, campaign: Any = None) -> int:
    """stats/daily's overdue of a past day, the slow way: tickets created by the end of the day, past their (latest)
    due_at then, and open then — open now, or resolved after that day (the nightly snapshot's reading)."""
    end = day_bounds(day)[1]
    return sum(
        1
        for t in Ticket.objects.select_related("unit")
        if t.unit.path.startswith(unit.path)
        and (campaign is None or t.campaign_id == campaign.pk)
        and t.created_at < end
        and t.due_at is not None
        and t.due_at < end
        and (t.status in OPEN or (t.resolved_at is not None and t.resolved_at >= end))
    )


WEIGHTS = {"response_rate": 0.3, "closure_rate": 0.3, "satisfaction_rate": 0.4}


def brute_ranking(*, parent: OrgUnit, level: str, date_from: dt.date, date_to: dt.date, campaign: Any = None) -> list:
    """stats/ranking the slow way: each unit of `level` under `parent` (path order), its tickets of the period —
    where the matter is, or for departments the tickets they lead — scored and flagged by thirds (SPEC §6)."""
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]
    tickets = [
        t
        for t in Ticket.objects.select_related("unit", "lead_unit")
        if start <= t.created_at < end and (campaign is None or t.campaign_id == campaign.pk)
    ]
    rows = []
    for unit in OrgUnit.objects.filter(kind=level, path__startswith=parent.path).order_by("path"):
        where = (lambda t: t.lead_unit) if level == "department" else (lambda t: t.unit)
        mine = [t for t in tickets if where(t) is not None and where(t).path.startswith(unit.path)]
        dispatched = [t for t in mine if t.dispatched_at]
        rated = [t for t in mine if t.satisfaction in ("satisfied", "basically_satisfied", "unsatisfied")]
        collected = [t for t in mine if t.kind != "suggestion" and t.merge_into_id is None]
        recurrence = _ratio(sum(1 for t in collected if t.recurs_id is not None), len(collected))
        rates = {
            "response_rate": _ratio(
                sum(
                    1 for t in dispatched if t.accepted_at and t.accepted_at <= t.dispatched_at + dt.timedelta(hours=24)
                ),
                len(dispatched),
            ),
            "closure_rate": _ratio(
                sum(1 for t in mine if t.status in ("resolved", "closed")),
                sum(1 for t in mine if t.status != "cancelled"),
            ),
            "satisfaction_rate": _ratio(
                sum(1 for t in rated if t.satisfaction in ("satisfied", "basically_satisfied")), len(rated)
            ),
        }
        weights = {k: w for k, w in WEIGHTS.items() if rates[k] is not None}
        total = sum(weights.values())
        score = round(sum(rates[k] * w for k, w in weights.items()) / total, 4) if total else None  # type: ignore[operator]
        rows.append(
            {
                "unit": {"id": unit.pk, "name": unit.name},
                **rates,
                "recurrence_rate": recurrence,
                "score": score,
                "rated": len(rated),
            }
        )
    ranked = sorted((r for r in rows if r["rated"] and r["score"] is not None), key=lambda r: -r["score"])
    third = len(ranked) // 3
    for i, row in enumerate(ranked):
        row["rank"] = i + 1
        row["flag"] = "red" if i < third else "yellow" if i >= len(ranked) - third else None
    rest = [r for r in rows if r not in ranked]
    for row in rest:
        row["rank"], row["flag"] = None, None
    for row in ranked + rest:
        del row["rated"]
    return ranked + rest
