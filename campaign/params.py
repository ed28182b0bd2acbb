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
