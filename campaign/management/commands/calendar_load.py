"""manage.py calendar_load [--year Y ...]: load China's official holidays and make-up working days from the installed
chinese-calendar into CalendarDay / CalendarYear (campaign/holidays.py).

Run after upgrading chinese-calendar (docs/operations.md): without --year it loads only the years the package knows
and the database does not, so corrections made in the admin stay; --year Y reloads Y from the package, replacing
its rows. The data migration 0009_calendar_official runs the same load on a fresh database.
"""

from __future__ import annotations

from typing import Any

import chinese_calendar
from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaign.holidays import calendar_load, package_years


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # not the check zoufang.I002 that asks to run this very command
    help = (
        "从 chinese-calendar 载入法定节假日和调休上班日。不加 --year：只载入数据包有而数据库还没有的年份（后台的修改保留）；"
        "--year Y：用数据包的数据重新载入 Y 年（替换该年已有记录）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, action="append", dest="years", help="重新载入的年份，可重复")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = calendar_load(years=options["years"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        years = package_years()
        self.stdout.write(f"chinese-calendar {chinese_calendar.__version__}：{years[0]}–{years[-1]} 年")
        for year, rows in loaded.items():
            self.stdout.write(f"{year} 年：{rows} 天")
        if not loaded:
            self.stdout.write("没有需要载入的年份（已有年份不变；重新载入用 --year）。")
