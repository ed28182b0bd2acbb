"""Plain WGS-84 geometry without GDAL: distances, GCJ-02 conversion, grid boundaries and point-in-grid.

Coordinates are stored as WGS-84 lat/lng floats; polygons as GeoJSON; shapely (its wheels bundle GEOS)
answers point-in-polygon. See docs/decisions.md ("No GeoDjango").
"""

from __future__ import annotations

import math
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, box, shape
from shapely.ops import transform
from shapely.prepared import prep
from shapely.strtree import STRtree

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox_around(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a square that contains the circle: an index-friendly prefilter."""
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


# --- GCJ-02 (China's obfuscated datum: AMap, Tencent, WeChat) <-> WGS-84 -----------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lat: float, lng: float) -> tuple[float, float]:
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj_offset(lat, lng)
    return lat + dlat, lng + dlng


class Crs(models.TextChoices):
    """The coordinate system a client sends a point in (SPEC §4): phones' GPS give WGS-84, the map SDKs of AMap,
    Tencent and WeChat GCJ-02. Every stored point is WGS-84 (to_wgs84)."""

    WGS84 = "wgs84", _("WGS-84 (GPS)")
    GCJ02 = "gcj02", _("GCJ-02 (高德/腾讯/微信)")


def to_wgs84(lat: float, lng: float, crs: str | None) -> tuple[float, float]:
    """A point sent in `crs` (None: WGS-84) as WGS-84, the one system points are stored in."""
    return gcj02_to_wgs84(lat, lng) if crs == Crs.GCJ02 else (lat, lng)


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse by fixed-point iteration: converges to well under a centimetre in a few steps."""
    if _out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _step in range(10):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:
            break
    return wlat, wlng


# --- Boundaries -----------------------------------------------------------------------------------------------
def validate_boundary(geojson: Any) -> None:
    """Raise ValueError unless this is a valid GeoJSON Polygon or MultiPolygon in lng/lat order."""
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed input
        raise ValueError(f"boundary is not valid GeoJSON: {exc}") from None
    if geom.is_empty or not geom.is_valid:
        raise ValueError("boundary polygon is empty or self-intersecting")
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValueError("boundary coordinates must be [lng, lat] in WGS-84")


def boundary_bbox(geojson: dict) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat)."""
    return tuple(shape(geojson).bounds)


def boundary_contains(geojson: dict, lat: float, lng: float) -> bool:
    return bool(prep(shape(geojson)).covers(Point(lng, lat)))


def boundary_distance_m(geojson: dict, lat: float, lng: float) -> float:
    """Metres from the point to the boundary's polygon (0 inside or on the edge).

    The polygon is projected onto a local plane centred on the point (equirectangular: metres east and north), so
    the distance is in metres whatever the latitude; the error is far below a metre at the scale of a district.
    """
    scale_lng = METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat)))

    def to_local(x: Any, y: Any, z: Any = None) -> tuple[Any, Any]:
        return (x - lng) * scale_lng, (y - lat) * METRES_PER_DEGREE_LAT

    return float(transform(to_local, shape(geojson)).distance(Point(0.0, 0.0)))


class GridIndex:
    """Point-in-grid for many points at once (bulk import): the same answer as campaign.selectors.grid_for_point — the first grid by
    path whose boundary covers the point — from boundaries loaded once, with an STR-tree instead of a query per point.
    `grids` are (id, GeoJSON boundary or None) pairs in path order."""

    def __init__(self, grids: list[tuple[int, dict | None]]) -> None:
        self._shaped = [(gid, shape(boundary)) for gid, boundary in grids if boundary]
        self._tree: STRtree | None = None

    def grid_id_for(self, lat: float, lng: float) -> int | None:
        if self._tree is None:
            self._tree = STRtree([box(*geom.bounds) for _gid, geom in self._shaped])
        point = Point(lng, lat)
        for index in sorted(int(i) for i in self._tree.query(point)):
            gid, geom = self._shaped[index]
            if geom.covers(point):
                return gid
        return None
