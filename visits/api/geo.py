"""GET /api/v1/geo/visits/: the map layer of visits (SPEC §7), a GeoJSON FeatureCollection in a bbox."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from campaign.models import User
from campaign.replica import reads_from_replica
from visits import selectors
from visits.filters import GeoVisitFilter
from visits.models import Visit


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
        "properties": {
            "id": str(row["id"]),
            "geo_status": row["geo_status"],
            "visited_at": row["visited_at"].isoformat(),
            "unit": {"id": row["unit_id"], "name": row["unit__name"]},
        },
    }


class GeoVisits(generics.GenericAPIView):
    """GeoJSON FeatureCollection of visits in a bbox (newest first, at most 5000), with the list's filters."""

    filterset_class = GeoVisitFilter
    pagination_class = None

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.visits_visible_to(cast(User, self.request.user))

    @extend_schema(filters=True, responses={200: OpenApiTypes.OBJECT})
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        rows = (
            self.filter_queryset(self.get_queryset())
            .order_by("-visited_at", "-id")
            .values("id", "lat", "lng", "geo_status", "visited_at", "unit_id", "unit__name")[
                : selectors.MAX_GEO_FEATURES
            ]
        )
        features = [_feature(row) for row in rows]
        return Response(
            {
                "type": "FeatureCollection",
                "features": features,
                "truncated": len(features) >= selectors.MAX_GEO_FEATURES,
            }
        )
