"""`manage.py audit_export --from YYYY-MM-DD --to YYYY-MM-DD [--out file.csv]`: the audit trail for inspectors.

CSV in UTF-8 with a BOM (Excel opens it in Chinese without an import dialog), one row per event of the days from
--from to --to inclusive (Asia/Shanghai days), oldest first; values as stored, that is masked. A cell that Excel
would read as a formula is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from campaign.days import day_start
from campaign.exports import looks_like_formula
from campaign.models import AuditEvent

HEADERS = ["时间", "操作", "账号", "用户ID", "对象类型", "对象编号", "来源地址", "内容"]


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def _row(event: AuditEvent) -> list[str]:
    values = [
        timezone.localtime(event.at).isoformat(timespec="seconds"),
        event.action,
        event.actor_name,
        event.actor_id,
        event.object_type,
        event.object_id,
        event.client_address,
        json.dumps(event.changes, ensure_ascii=False, sort_keys=True),
    ]
    return [_cell(v) for v in values]


class Command(BaseCommand):
    help = "Write the audit trail of a range of days as CSV (UTF-8 with BOM) for inspectors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--out", help="the CSV file to write (default: standard output)")

    def handle(self, *args: Any, start: str, end: str, out: str | None = None, **options: Any) -> None:
        first, last = _day(start), _day(end)
        if last < first:
            raise CommandError("--to is before --from")
        events = AuditEvent.objects.filter(at__gte=day_start(first), at__lt=day_start(last + dt.timedelta(days=1)))
        rows = events.order_by("at", "id").iterator(chunk_size=2000)
        if out:
            with open(out, "w", encoding="utf-8-sig", newline="") as handle:
                count = self._write(handle, rows)
            self.stderr.write(f"{count} audit events written to {out}")
        else:
            self.stdout.write("\ufeff", ending="")
            self._write(self.stdout, rows)

    def _write(self, handle: Any, rows: Any) -> int:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        count = 0
        for event in rows:
            writer.writerow(_row(event))
            count += 1
        return count
