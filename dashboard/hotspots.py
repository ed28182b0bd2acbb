"""Hot spots (issue 15 item 5): where tickets of one category gather, for GET /api/v1/stats/hotspots/ and the
dashboard's map.

A hot spot is a cluster: the tickets of one category in one cell of a fixed grid of ~500 m (cell = floor(lat /
0.0045), floor(lng / 0.0055), WGS-84 as stored) created in the period, when there are at least `min_count` of them
(settings.HOTSPOT_MIN_TICKETS unless the caller asks otherwise). Counted: tickets not cancelled, not suggestions,
with a point and a category, placed in the unit's subtree (and of the campaign, when one is given). Each cluster is
compared with the same cell and category in the previous period of equal length (`previous`, `growth`).

A fixed grid rather than a clustering of points (DBSCAN, k-means): a cell is a GROUP BY key the database computes
in one pass over the period's tickets, on SQLite and PostgreSQL alike, and the same cell in two periods is the same
key, so growth needs no matching of clusters. The price: a gathering on a cell's edge is split in two.

Three queries whatever the number of tickets or clusters (docs/decisions.md, "Issue 15 — hot spots"):
1. one GROUP BY (category, cell) over both periods, HAVING the period's count ≥ min_count, ranked, at most
   MAX_CLUSTERS rows;
2. the newest MAX_IDS ids of each of those clusters (ROW_NUMBER() over each cluster's tickets);
3. the categories' codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, BigIntegerField, Count, F, Max, Q, QuerySet, Value, Window
from django.db.models.functions import Cast, Floor, RowNumber

from campaign.days import day_bounds
from campaign.models import Category, OrgUnit
from issues.models import Kind, Status, Ticket
from issues.placement import placed_in

CELL_LAT = 0.0045  # degrees of latitude in a cell: 0.0045 × 111.2 km ≈ 500 m
CELL_LNG = 0.0055  # degrees of longitude: 0.0055 × 111.3 km × cos 35° ≈ 500 m (the cells narrow going north)
CELL_M = 500
MAX_CLUSTERS = 100  # a map and a list a leader can read; the largest come first
MAX_IDS = 200  # ids listed per cluster, newest first (a cluster's own size is `count`)
CELL_KEY = 100_000  # a cell as one integer, x * CELL_KEY + y (query 2)
MAX_PERIOD_DAYS = 400  # as stats/daily's (dashboard.api.MAX_DAILY_DAYS): two such periods are ~27 months of tickets


def _cell(field: str, size: float) -> Cast:
    """The cell index along one axis: FLOOR, not CAST (which truncates towards zero), so that −0.001° lies in
    cell −1 and +0.001° in cell 0 — two cells, as the grid says. FLOOR is PostgreSQL's own, and Django's registered
    function on SQLite; the CAST of its integral result only makes the key an integer on both."""
    return Cast(Floor(F(field) / Value(size)), output_field=BigIntegerField())


def counted_tickets(
    unit: OrgUnit | None, campaign_id: int | None, start: dt.datetime, end: dt.datetime
) -> QuerySet[Ticket]:
    """The tickets a hot spot counts, created in [start, end), with their cell as `cell_x`, `cell_y`. Restricted to
    the subtree by the ticket's own district or branch key where the unit is a district or a street
    (issues.placement.placed_in), as the other live figures are."""
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, lat__isnull=False, lng__isnull=False)
    qs = qs.exclude(status=Status.CANCELLED).exclude(kind=Kind.SUGGESTION).exclude(category="")
    qs = placed_in(qs, unit)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return qs.annotate(cell_x=_cell("lat", CELL_LAT), cell_y=_cell("lng", CELL_LNG))


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length just before [date_from, date_to]."""
    days = (date_to - date_from).days + 1
    return date_from - dt.timedelta(days=days), date_from - dt.timedelta(days=1)


def _clusters(tickets: QuerySet[Ticket], start: dt.datetime, min_count: int) -> list[dict[str, Any]]:
    """Query 1: per (category, cell) over both periods, the period's count and centre and the previous period's
    count; the clusters of at least `min_count`, by count then growth (then category and cell: a stable order)."""
    current = Q(created_at__gte=start)
    rows = (
        tickets.values("category", "cell_x", "cell_y")
        .annotate(
            n=Count("id", filter=current),
            n_previous=Count("id", filter=~current),
            centre_lat=Avg("lat", filter=current),
            centre_lng=Avg("lng", filter=current),
            topic=Max("topic_id", filter=current),  # a monthly topic (专题) its tickets were linked to, if any
        )
        .filter(n__gte=min_count)
        .annotate(growth=F("n") - F("n_previous"))
        .order_by("-n", "-growth", "category", "cell_x", "cell_y")
    )
    return list(rows[:MAX_CLUSTERS])


def _newest_ids(tickets: QuerySet[Ticket], clusters: list[dict[str, Any]]) -> dict[tuple[str, int, int], list[int]]:
    """Query 2: the newest MAX_IDS ids of each cluster, keyed (category, x, y). `tickets` are the period's only.

    The clusters are found by two IN lists, the categories and the cells (one integer per cell: |y| < 32,768 for
    any longitude, so x * CELL_KEY + y names one cell), rather than an OR of one (category, x, y) per cluster,
    which PostgreSQL tests disjunct by disjunct on every row: for 100 clusters among 50,000 tickets that took
    ~120 ms, the IN lists ~40 ms. The lists also let in other categories' tickets of the clusters' cells: each
    (category, cell) is ranked apart, and those are dropped here."""
    wanted = {(c["category"], c["cell_x"], c["cell_y"]) for c in clusters}
    newest_first = [F("created_at").desc(), F("id").desc()]
    rank = Window(RowNumber(), partition_by=[F("category"), F("cell_x"), F("cell_y")], order_by=newest_first)
    rows = (
        tickets.annotate(cell=F("cell_x") * Value(CELL_KEY) + F("cell_y"))
        .filter(category__in={c for c, _, _ in wanted}, cell__in={x * CELL_KEY + y for _, x, y in wanted})
        .annotate(rank=rank)
        .filter(rank__lte=MAX_IDS)
        .order_by("category", "cell_x", "cell_y", *newest_first)
        .values_list("category", "cell_x", "cell_y", "id")
    )
    ids: dict[tuple[str, int, int], list[int]] = {key: [] for key in wanted}
    for category, x, y, pk in rows:
        if (category, x, y) in wanted:
            ids[(category, x, y)].append(pk)
    return ids


def hotspots(
    unit: OrgUnit | None, campaign_id: int | None, date_from: dt.date, date_to: dt.date, min_count: int
) -> list[dict[str, Any]]:
    """The hot spots of the unit's subtree (None: everywhere) over [date_from, date_to] (Asia/Shanghai days),
    largest first, at most MAX_CLUSTERS. `campaign_id` 0 or None: every campaign. Three queries at most."""
    previous_from, _ = previous_period(date_from, date_to)
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]
    tickets = counted_tickets(unit, campaign_id, day_bounds(previous_from)[0], end)
    clusters = _clusters(tickets, start, min_count)
    if not clusters:
        return []
    ids = _newest_ids(tickets.filter(created_at__gte=start), clusters)
    names = {c["category"] for c in clusters}
    codes = dict(Category.objects.filter(name__in=names).order_by().values_list("name", "code"))
    return [
        {
            "category": c["category"],
            "code": codes.get(c["category"]),
            "centre": {"lat": round(c["centre_lat"], 6), "lng": round(c["centre_lng"], 6)},
            "count": c["n"],
            "previous": c["n_previous"],
            "growth": c["growth"],
            "ticket_ids": ids.get((c["category"], c["cell_x"], c["cell_y"]), []),
            "cell": f"{c['category']}|{c['cell_x']}|{c['cell_y']}",
            "topic": c["topic"],
        }
        for c in clusters
    ]


def with_topics(spots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept hot spots (dashboard.periods.cached_hotspots) with each one's topic as it is now: the largest topic id
    among its listed tickets, as query 1's Max. One query by primary key, none when there are no spots."""
    ids = {pk for spot in spots for pk in spot["ticket_ids"]}
    if not ids:
        return spots
    topics = dict(Ticket.objects.filter(pk__in=ids, topic__isnull=False).values_list("pk", "topic_id"))
    return [
        {**spot, "topic": max((topics[pk] for pk in spot["ticket_ids"] if pk in topics), default=None)}
        for spot in spots
    ]
