"""Query-parameter readers shared by every list and stats view: a bad value is a 400 naming the parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from django.utils.translation import gettext as _

from campaign.errors import Invalid


@overload
def day_param(params: Any, name: str) -> dt.date | None: ...
@overload
def day_param(params: Any, name: str, default: dt.date) -> dt.date: ...
def day_param(params: Any, name: str, default: dt.date | None = None) -> dt.date | None:
    """An Asia/Shanghai day given as YYYY-MM-DD; `default` when absent or empty."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise Invalid.field(name, _("日期格式应为 YYYY-MM-DD。")) from None


def int_param(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid.field(name, _("应为整数。")) from None


def bbox_param(params: Any, name: str = "bbox") -> tuple[float, float, float, float]:
    """Required `minLng,minLat,maxLng,maxLat` in WGS-84, validated (the map layers' viewport)."""
    raw = params.get(name)
    if not raw:
        raise Invalid.field(name, _("请提供 bbox=最小经度,最小纬度,最大经度,最大纬度。"))
    try:
        min_lng, min_lat, max_lng, max_lat = (float(part) for part in str(raw).split(","))
    except ValueError:
        raise Invalid.field(name, _("bbox 应为四个数字：最小经度,最小纬度,最大经度,最大纬度。")) from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise Invalid.field(name, _("bbox 超出范围，或最小值大于最大值。"))
    return min_lng, min_lat, max_lng, max_lat
