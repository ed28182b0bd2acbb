"""System checks of the campaign app (`manage.py check`), registered in CampaignConfig.ready().

zoufang.I001: a year that deadlines can reach (this year; the next one from 2 November, see holidays.REACH) has no
official arrangement yet, so its working days are counted as Monday–Friday only.
zoufang.I002: the installed chinese-calendar knows years the database has not loaded (run calendar_load).
Both are Info: nothing is broken, an admin has something to do. Silence them with SILENCED_SYSTEM_CHECKS.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Info
from django.db import DatabaseError, connection

from campaign.holidays import package_years, unknown_years
from campaign.models import CalendarYear


def calendar_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Not tagged `database` on purpose: a plain `manage.py check` must say it. Silent before `migrate` made the
    table (the check also runs ahead of `migrate` itself)."""
    try:
        if CalendarYear._meta.db_table not in connection.introspection.table_names():
            return []
        missing = unknown_years()
        known = set(CalendarYear.objects.values_list("year", flat=True))
    except DatabaseError:  # no database to ask (e.g. a check run while it is down): nothing to say about it
        return []
    messages: list[CheckMessage] = []
    if missing:
        years = "、".join(str(year) for year in missing)
        messages.append(
            Info(
                f"{years} 年的法定节假日和调休尚未录入：按工作日计算的时限在这些年份只扣除周末。",
                hint="国务院公布安排后，在后台“节假日年份 › 增加”录入该年；或升级 chinese-calendar 后运行 "
                "manage.py calendar_load（docs/operations.md）。",
                id="zoufang.I001",
            )
        )
    new = [year for year in package_years() if year not in known]
    if new:
        messages.append(
            Info(
                f"已安装的 chinese-calendar 含有尚未载入的年份：{'、'.join(map(str, new))}。",
                hint="运行 manage.py calendar_load 载入。",
                id="zoufang.I002",
            )
        )
    return messages
