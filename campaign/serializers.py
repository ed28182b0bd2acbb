"""Serializers other apps reuse: the caller as GET /api/v1/me/ shows them, which the phone page's bootstrap
(visits.page_api) embeds; the `crs` of a point a client sends (registries here, tickets in issues.inputs, visits in
visits.api). A module of its own because no app may import another app's `api`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaign.geo import Crs, to_wgs84
from campaign.models import OrgUnit, User

CRS_HELP = (
    "the coordinate system of lat/lng: wgs84 (GPS, the default) or gcj02 (AMap, Tencent, WeChat); stored as WGS-84"
)


def crs_field(**kwargs: Any) -> serializers.ChoiceField:
    """`crs` of the point a client sends (SPEC §4); a bad value is a 400 naming `crs`, and nothing is stored."""
    message = _("坐标系无效，取值之一：%(c)s") % {"c": ", ".join(Crs.values)}
    kwargs.setdefault("help_text", CRS_HELP)
    return serializers.ChoiceField(
        choices=Crs.choices, error_messages={"invalid_choice": message, "null": message}, **kwargs
    )


def point_as_wgs84(attrs: dict[str, Any], crs: str | None) -> dict[str, Any]:
    """Validated `attrs` with their lat/lng in WGS-84, the one system points are stored in. A GCJ-02 point converts
    only as a pair, so a PATCH that moves it sends both coordinates (else a 400 naming the missing one)."""
    if crs != Crs.GCJ02 or ("lat" not in attrs and "lng" not in attrs):
        return attrs
    missing = [name for name in ("lat", "lng") if name not in attrs]
    if missing:
        raise serializers.ValidationError({missing[0]: [_("GCJ-02 坐标须同时提供纬度和经度。")]})
    if attrs["lat"] is None or attrs["lng"] is None:
        return attrs  # no point: nothing to convert (a half-empty pair is the service's 400)
    lat, lng = to_wgs84(attrs["lat"], attrs["lng"], crs)
    return {**attrs, "lat": lat, "lng": lng}


class WGS84PointMixin:
    """For a serializer with `lat`/`lng` and `crs = crs_field(...)` (a mixin's fields are not collected): the point
    stored as WGS-84 (point_as_wgs84), `crs` gone from the validated data."""

    def validate(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        values = dict(super().validate(attrs))
        return point_as_wgs84(values, values.pop("crs", None))


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind"]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "unit"]
