"""TargetSpan's visit-day bits (dashboard.models): the rebuild that sets them and the SQL that tests a range.

Day n = days since DAY_EPOCH sits in block n // BLOCK_DAYS, column d{(n % BLOCK_DAYS) // 64}, bit n % 64. Columns are
signed 64-bit integers on every backend, so a mask with bit 63 set is negative, and masks are always passed as
parameters wrapped in CAST(… AS BIGINT) (PostgreSQL reads the literal -9223372036854775808 as numeric otherwise).
The SQL here is run with parameters (possibly none), so a modulo is written `%%`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from dashboard.models import BLOCK_DAYS, DAY_BITS, DAY_EPOCH, SharedTarget, TargetSpan, VisitTargetDay

WORD = 64
# A span row's target as one number (SharedTarget.target; the expression of TargetSpan's target_span_target_idx).
TARGET_SQL = "COALESCE({a}.household_id * 2, {a}.enterprise_id * 2 + 1)"
# shared_mark's transaction-scoped advisory lock (PostgreSQL), far from the rollups' lock keys.
_SHARED_LOCK = -(1 << 44)


def day_number(day: dt.date) -> int:
    return (day - DAY_EPOCH).days


def day_number_sql(column: str) -> str:
    """SQL for day_number(column) on this connection's backend (a date column)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '{DAY_EPOCH.isoformat()}')"
    # SQLite stores dates as 'YYYY-MM-DD' text; julianday of a date is exact (x.5), so the difference is whole.
    return f"CAST(julianday({column}) - julianday('{DAY_EPOCH.isoformat()}') AS INTEGER)"


def bits_select_sql(column: str) -> str:
    """`block, d0, …, d5` aggregated over the rows of a GROUP BY, each row one visit day in `column`.

    A target has at most one row per day in VisitTargetDay's (day, unit, campaign, target) key, so the bits summed
    are distinct and their SUM is their OR (no aggregate for OR exists on SQLite); the sum never overflows: the
    positive bits add up to less than 2**63 and the sign bit only lowers it.
    """
    n = day_number_sql(column)
    words = ", ".join(
        f"SUM(CASE WHEN ({n} %% {BLOCK_DAYS}) / {WORD} = {i} THEN CAST(1 AS BIGINT) << ({n} %% {WORD}) ELSE 0 END)"
        for i in range(len(DAY_BITS))
    )
    return words


def block_sql(column: str) -> str:
    return f"({day_number_sql(column)} / {BLOCK_DAYS})"


def block_of(day: dt.date) -> int:
    return day_number(day) // BLOCK_DAYS


def block_days(block: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a block."""
    first = DAY_EPOCH + dt.timedelta(days=block * BLOCK_DAYS)
    return first, first + dt.timedelta(days=BLOCK_DAYS - 1)


def spans_rebuild(block: int, unit_id: int | None) -> None:
    """The TargetSpan rows of one leaf unit (None: every unit) in one 384-day block, rebuilt from that unit's
    VisitTargetDay rows of the block: delete, then INSERT … SELECT, one row per target with a bit per visit day.

    Called by the recompute (dashboard.rollups) in its transaction, under its lock of (block, unit), after it
    rewrote the day's VisitTargetDay rows: a grid's block is a few thousand target-days, a whole city block millions.
    """
    first, last = block_days(block)
    key: dict[str, Any] = {"block": block} if unit_id is None else {"block": block, "unit_id": unit_id}
    TargetSpan.objects.filter(**key).delete()
    unit_filter = "" if unit_id is None else " AND unit_id = %s"
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {TargetSpan._meta.db_table} (unit_id, campaign_id, household_id, enterprise_id, block, "  # noqa: S608
        f"members, first_day, {', '.join(DAY_BITS)}) "
        f"SELECT unit_id, campaign_id, household_id, enterprise_id, %s, MAX(members), MIN(day), "
        f"{bits_select_sql('day')} FROM {VisitTargetDay._meta.db_table} WHERE day >= %s AND day <= %s{unit_filter} "
        f"GROUP BY unit_id, campaign_id, household_id, enterprise_id"
    )
    params: list[Any] = [block, first.isoformat(), last.isoformat()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params if unit_id is None else [*params, unit_id])
    shared_mark(block, unit_id)


def shared_mark(block: int, unit_id: int | None) -> None:
    """Mark (SharedTarget) the targets of the rows just written that have another TargetSpan row anywhere.

    Under one advisory lock held to the end of the caller's transaction: checks run one at a time, each after its
    own rows are written, so of two transactions writing rows of one target, the second to check sees the first's
    rows committed (READ COMMITTED: each statement sees what committed before it began).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SHARED_LOCK])
    spans, n, o = TargetSpan._meta.db_table, TARGET_SQL.format(a="n"), TARGET_SQL.format(a="o")
    unit_filter = "" if unit_id is None else " AND n.unit_id = %s"
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {SharedTarget._meta.db_table} (target) SELECT DISTINCT {n} FROM {spans} n "  # noqa: S608
        f"WHERE n.block = %s{unit_filter} AND EXISTS (SELECT 1 FROM {spans} o WHERE {o} = {n} AND "
        f"(o.unit_id <> n.unit_id OR o.block <> n.block OR COALESCE(o.campaign_id, 0) <> COALESCE(n.campaign_id, 0))) "
        f"ON CONFLICT (target) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [block] if unit_id is None else [block, unit_id])


def _signed(value: int) -> int:
    return value - (1 << WORD) if value >= 1 << (WORD - 1) else value


def range_masks(date_from: dt.date, date_to: dt.date) -> dict[int, list[int] | None]:
    """{block: [mask of d0 … d5]} of the days in [date_from, date_to]; None for a block the range covers whole."""
    first, last = day_number(date_from), day_number(date_to)
    result: dict[int, list[int] | None] = {}
    for block in range(first // BLOCK_DAYS, last // BLOCK_DAYS + 1):
        lo, hi = max(first, block * BLOCK_DAYS), min(last, block * BLOCK_DAYS + BLOCK_DAYS - 1)
        if lo == block * BLOCK_DAYS and hi == block * BLOCK_DAYS + BLOCK_DAYS - 1:
            result[block] = None
            continue
        masks = []
        for word in range(len(DAY_BITS)):
            start = block * BLOCK_DAYS + word * WORD
            a, b = max(lo, start), min(hi, start + WORD - 1)
            masks.append(_signed(((1 << (b - a + 1)) - 1) << (a - start)) if a <= b else 0)
        result[block] = masks
    return result


def hit_sql(alias: str, date_from: dt.date, date_to: dt.date) -> tuple[str, list[Any]]:
    """A condition true for a TargetSpan row (`alias`) visited on some day of [date_from, date_to]; empty → false."""
    if date_from > date_to:
        return "1 = 0", []
    parts, params = [], []
    for block, masks in range_masks(date_from, date_to).items():
        if masks is None:
            parts.append(f"{alias}.block = %s")
            params.append(block)
            continue
        words = [(name, mask) for name, mask in zip(DAY_BITS, masks, strict=True) if mask]
        tests = " OR ".join(f"({alias}.{name} & CAST(%s AS BIGINT)) <> 0" for name, _ in words)
        parts.append(f"({alias}.block = %s AND ({tests}))")
        params += [block, *(mask for _, mask in words)]
    return "(" + " OR ".join(parts) + ")", params
