"""`manage.py rollup --from YYYY-MM-DD --to YYYY-MM-DD`: recompute the statistics of a range of days (backfill).

Safe to run any time, and again: it recomputes and replaces (dashboard.rollups.rollup_range). Interrupted, it
leaves the remaining days marked dirty; the minute sweep (or a rerun) finishes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from campaign.days import today
from dashboard.rollups import rollup_range


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Recompute the daily statistics rollups of every day from --from to --to (inclusive)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="date_from", type=_day, required=True)
        parser.add_argument("--to", dest="date_to", type=_day, default=None, help="default: today")

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = options["date_from"], options["date_to"] or today()
        if date_from > date_to:
            raise CommandError("--from is after --to")
        total = (date_to - date_from).days + 1
        with tqdm(total=total, unit="day", desc="rollup", disable=options["verbosity"] == 0) as bar:
            rollup_range(date_from=date_from, date_to=date_to, progress=bar.update)
        self.stdout.write(f"recomputed {total} day(s): {date_from} .. {date_to}")
