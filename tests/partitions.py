"""Helpers of the partitioning tests (issue 14 item 3): which partitions a query's plan reads."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign import partitions

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="tables are partitioned on PostgreSQL only"
)


def months_ready(table: str, *months: tuple[int, int]) -> None:
    for year, month in months:
        partitions.ensure_partition(table, year, month)


def in_plan(table: str, plan: str) -> set[str]:
    """The partitions of `table` named in a plan: the ones it reads (pruned ones do not appear)."""
    return set(re.findall(rf"\b({table}_(?:p\d{{6}}|default))\b", plan))


def scanned(table: str, sql: str) -> set[str]:
    """The partitions of `table` that the plan of `sql` reads."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return in_plan(table, "\n".join(row[0] for row in cursor.fetchall()))


def sql_reading(table: str, queries: CaptureQueriesContext) -> list[str]:
    """The captured statements that read `table` (FROM or JOIN)."""
    return [q["sql"] for q in queries.captured_queries if re.search(rf'(FROM|JOIN) "{table}"', q["sql"])]
