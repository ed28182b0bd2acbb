"""Query-parameter readers: one validated reader per kind of value (a day, an integer, a boolean, a bbox, a point,
a comma-separated choice of values).

Each kind has one `read_*` function, wrapped as a form field for the FilterSets (campaign/filters.py,
issues/filters.py, visits/filters.py) and as `*_param` for the few views that read a parameter directly (stats, the
ticket map).
Either way a bad value is a 400 naming the parameter, never a 500 and never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping
from typing import Any, ClassVar, overload

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.errors import Invalid

# Dates outside these are typos (20226-05-01, 1900-01-01), not campaign days: refused rather than queried.
DAY_MIN = dt.date(2000, 1, 1)
DAY_MAX = dt.date(2100, 12, 31)
_DAY_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
INT_MAX = 2**63 - 1  # a bigint: beyond it PostgreSQL refuses the query


def read_day(raw: str) -> dt.date:
    """An Asia/Shanghai day given as YYYY-MM-DD, between 2000-01-01 and 2100-12-31. ValueError says what is wrong."""
    text = raw.strip()
    try:
        if not _DAY_SHAPE.fullmatch(text):
            raise ValueError
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("日期格式应为 YYYY-MM-DD。")) from None
    if not DAY_MIN <= day <= DAY_MAX:
        raise ValueError(_("日期应在 %(min)s 到 %(max)s 之间。") % {"min": DAY_MIN, "max": DAY_MAX})
    return day


def read_int(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(_("应为整数。")) from None
    if abs(value) > INT_MAX:
        raise ValueError(_("数值过大。"))
    return value


_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def read_bool(raw: str) -> bool:
    """true/1/yes or false/0/no; anything else is an error (never silently "no filter")."""
    text = raw.strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("应为 true 或 false。"))


def read_choices(raw: str, values: Collection[str]) -> list[str]:
    """One value or several separated by commas, each one of `values`: `status=reported,dispatched`."""
    chosen = [v for v in raw.strip().split(",") if v]
    bad = [v for v in chosen if v not in values]
    if bad:
        raise ValueError(_("取值无效：%(v)s") % {"v": ", ".join(bad)})
    return chosen


def _floats(raw: str, count: int) -> tuple[float, ...]:
    """`count` comma-separated finite numbers (NaN and infinity are not coordinates)."""
    parts = raw.split(",")
    if len(parts) != count:
        raise ValueError
    values = tuple(float(part) for part in parts)
    if not all(math.isfinite(v) for v in values):
        raise ValueError
    return values


def read_bbox(raw: str) -> tuple[float, float, float, float]:
    """`minLng,minLat,maxLng,maxLat` in WGS-84 (a map viewport)."""
    try:
        min_lng, min_lat, max_lng, max_lat = _floats(raw, 4)
    except ValueError:
        raise ValueError(_("bbox 应为四个数字：最小经度,最小纬度,最大经度,最大纬度。")) from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValueError(_("bbox 超出范围，或最小值大于最大值。"))
    return min_lng, min_lat, max_lng, max_lat


def read_point(raw: str) -> tuple[float, float]:
    """`lat,lng` in WGS-84 (where the phone stands)."""
    try:
        lat, lng = _floats(raw, 2)
    except ValueError:
        raise ValueError(_("格式应为 near=纬度,经度")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(_("坐标超出范围。"))
    return lat, lng


# --- as form fields (what the FilterSets declare) ----------------------------------------------------------------
class _ReaderField(forms.Field):
    """A form field whose value is read by one of the readers above; its ValueError becomes the field's error."""

    def read(self, raw: str) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return self.read(str(value))
        except ValueError as exc:
            # The message may quote the value sent ("%H:%M"): pass it as a parameter, never as the format itself
            # (django-filter formats `message % params` and a bare "%" made that a 500).
            raise forms.ValidationError("%(reason)s", code="invalid", params={"reason": str(exc)}) from None


class DayField(_ReaderField):
    def read(self, raw: str) -> dt.date:
        return read_day(raw)


class IntField(_ReaderField):
    def read(self, raw: str) -> int:
        return read_int(raw)


class BoolField(_ReaderField):
    def read(self, raw: str) -> bool:
        return read_bool(raw)


class ChoicesField(_ReaderField):
    """A list of `values` (read_choices); an empty list when the parameter names none (`status=,`)."""

    def __init__(self, *, values: Collection[str], **kwargs: Any) -> None:
        self.values = tuple(values)
        super().__init__(**kwargs)

    def read(self, raw: str) -> list[str]:
        return read_choices(raw, self.values)


class BBoxField(_ReaderField):
    default_error_messages: ClassVar[dict[str, Any]] = {
        "required": gettext_lazy("请提供 bbox=最小经度,最小纬度,最大经度,最大纬度。")
    }

    def read(self, raw: str) -> tuple[float, float, float, float]:
        return read_bbox(raw)


class PointField(_ReaderField):
    def read(self, raw: str) -> tuple[float, float]:
        return read_point(raw)


# --- one parameter read directly (views without a FilterSet) -----------------------------------------------------
def _param(params: Mapping[str, Any], name: str, field: _ReaderField) -> Any:
    try:
        return field.clean(params.get(name))
    except forms.ValidationError as exc:
        raise Invalid.field(name, exc.messages[0]) from None


@overload
def day_param(params: Mapping[str, Any], name: str) -> dt.date | None: ...
@overload
def day_param(params: Mapping[str, Any], name: str, default: dt.date) -> dt.date: ...
def day_param(params: Mapping[str, Any], name: str, default: dt.date | None = None) -> dt.date | None:
    """An Asia/Shanghai day given as YYYY-MM-DD; `default` when absent or empty."""
    day = _param(params, name, DayField(required=False))
    return default if day is None else day


def int_param(params: Mapping[str, Any], name: str) -> int | None:
    """An integer (an id); None when absent or empty."""
    value: int | None = _param(params, name, IntField(required=False))
    return value


def bbox_param(params: Mapping[str, Any], name: str = "bbox") -> tuple[float, float, float, float]:
    """Required `minLng,minLat,maxLng,maxLat` in WGS-84, validated (the map layers' viewport)."""
    bbox: tuple[float, float, float, float] = _param(params, name, BBoxField())
    return bbox
