"""Figures the Chinese way, for the dashboard templates: `{{ n|zf_num }}` → 16.3万, `{{ r|zf_pct }}` → 99.2%.

`zf_change` shows a change against the previous period: counts in per cent, rates in percentage points.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()
DASH = "—"


@register.filter
def zf_num(value: Any) -> str:
    """12345 → 1.2万, 163000 → 16.3万, 1.11e8 → 1.1亿; below 10,000 as it is, with no separators."""
    if value is None or value == "":
        return DASH
    n = float(value)
    for size, unit in ((100_000_000, "亿"), (10_000, "万")):
        if abs(n) >= size:
            text = f"{n / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return str(int(n)) if n == int(n) else f"{n:.1f}"


@register.filter
def zf_pct(value: Any) -> str:
    """A fraction 0..1 as a percentage with one decimal: 0.9923 → 99.2%; null → —."""
    if value is None or value == "":
        return DASH
    return f"{float(value) * 100:.1f}%"


@register.filter
def zf_change(value: Any, kind: str = "count") -> str:
    """+12.3% / −4.0% for counts, +1.2个百分点 for rates; — when there is nothing to compare."""
    if value is None or value == "":
        return DASH
    v = float(value) * 100
    sign = "+" if v > 0.05 else ("−" if v < -0.05 else "±")
    if kind == "rate":
        return _("%(sign)s%(v).1f个百分点") % {"sign": sign, "v": abs(v)}
    return f"{sign}{abs(v):.1f}%"


@register.filter
def zf_trend(value: Any, lower_better: Any = False) -> str:
    """A CSS class for a change: up (shown green), down (red) or flat; for a figure where lower is better, the
    other way round."""
    if value is None or value == "":
        return "flat"
    change = -float(value) if lower_better else float(value)
    return "up" if change > 0.0005 else ("down" if change < -0.0005 else "flat")
