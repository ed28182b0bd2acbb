"""Likely duplicates of a new matter (issue 15 item 3): in the suggestion at intake and on a ticket's page.

A candidate is a ticket the caller may see, not cancelled, either open or resolved in the last RESOLVED_DAYS days,
within TEXT_RADIUS_M of the point. It is listed when it has the same category within SAME_RADIUS_M and
SAME_CATEGORY_DAYS, or a similar text (character-bigram overlap ≥ TEXT_MIN) within TEXT_RADIUS_M. Ranked by a score
in 0..1 that weighs nearness, recency and text similarity (each shown, docs/decisions.md "Likely duplicates").

One query through ticket_place_idx (district, lat, lng): a band of latitude of one district, whatever its size.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from campaign.geo import bbox_around, haversine_m
from campaign.models import User
from issues.models import OPEN_STATUSES, Status, Ticket
from issues.selectors import tickets_visible_to

SAME_RADIUS_M = 100.0
SAME_CATEGORY_DAYS = 7
TEXT_RADIUS_M = 300.0
TEXT_MIN = 0.35
RESOLVED_DAYS = 30
CANDIDATES = 300  # the nearest tickets of a band are few; a cap keeps a crowded square's cost bounded
LIMIT = 5
# The score: nearness counts most (the same place is the strongest sign), then the text, then recency.
W_NEAR, W_TEXT, W_RECENT = 0.45, 0.35, 0.20

_HAN_OR_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


@dataclass(frozen=True)
class Duplicate:
    id: int
    code: str
    status: str
    category: str
    distance_m: float
    days: float  # since the candidate was created
    similarity: float  # character-bigram overlap of the two texts, 0..1
    score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "code": self.code,
            "status": self.status,
            "category": self.category,
            "distance_m": round(self.distance_m, 1),
            "days": round(self.days, 1),
            "similarity": round(self.similarity, 3),
            "score": round(self.score, 3),
        }


def bigrams(text: str) -> frozenset[str]:
    tokens = _HAN_OR_WORD.findall(text.lower())
    return frozenset(a + b for a, b in zip(tokens, tokens[1:], strict=False))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient of two bigram sets: a short report inside a longer one counts as similar."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _candidates(
    user: User, district_id: int, lat: float, lng: float, now: dt.datetime, exclude: int | None
) -> list[Ticket]:
    min_lat, max_lat, min_lng, max_lng = bbox_around(lat, lng, TEXT_RADIUS_M)
    recent = Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=now - dt.timedelta(days=RESOLVED_DAYS))
    rows = (
        tickets_visible_to(user)
        .filter(district_id=district_id)
        .filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
        .filter(Q(status__in=[s.value for s in OPEN_STATUSES]) | recent)
        .only("pk", "code", "status", "category", "description", "lat", "lng", "created_at")
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return list(rows[:CANDIDATES])


def likely_duplicates(
    user: User,
    *,
    district_id: int,
    lat: float | None,
    lng: float | None,
    category: str,
    text: str,
    now: dt.datetime | None = None,
    exclude: int | None = None,
    limit: int = LIMIT,
) -> list[Duplicate]:
    """The likely duplicates of a matter at (lat, lng) in the district `district_id`, best first; [] without a
    point."""
    if lat is None or lng is None:
        return []
    now = now or timezone.now()
    words = bigrams(text)
    found = []
    for t in _candidates(user, district_id, lat, lng, now, exclude):
        if t.lat is None or t.lng is None:  # the bounding box keeps these out; for the type checker
            continue
        distance = haversine_m(lat, lng, t.lat, t.lng)
        days = max(0.0, (now - t.created_at).total_seconds() / 86400)
        similar = similarity(words, bigrams(t.description))
        same = bool(category) and t.category == category and distance <= SAME_RADIUS_M and days <= SAME_CATEGORY_DAYS
        if not (same or (similar >= TEXT_MIN and distance <= TEXT_RADIUS_M)):
            continue
        score = (
            W_NEAR * (1 - distance / TEXT_RADIUS_M) + W_TEXT * similar + W_RECENT * max(0.0, 1 - days / RESOLVED_DAYS)
        )
        found.append(Duplicate(t.pk, t.code, t.status, t.category, distance, days, similar, min(1.0, score)))
    found.sort(key=lambda d: (-d.score, d.distance_m, d.id))
    return found[:limit]
