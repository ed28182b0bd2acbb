"""Pass 2 of a registry import (campaign/importer.py): the spilled batches of clean rows written in the caller's
transaction — COPY on PostgreSQL, bulk_create elsewhere (coverage's denominator, the registry count, is read live).
"""

from __future__ import annotations

import io
import json
import pickle
from datetime import datetime
from typing import IO, Any

from django.db import connection
from django.utils import timezone

from campaign import crypto
from campaign.import_rows import BATCH_SIZE, FIELDS, Progress
from campaign.models import Enterprise, Household, User


def _copy_value(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list):
        value = json.dumps(value, ensure_ascii=False)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """COPY FROM STDIN: on PostgreSQL about ten times faster than INSERT through the ORM (no per-value field
    preparation, no statement to build); the database still checks every constraint."""
    columns = list(rows[0])
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    buffer = io.StringIO("".join("\t".join(_copy_value(row[c]) for c in columns) + "\n" for row in rows))
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.copy_expert(sql, buffer)


def _protect_id_number(row: dict[str, Any], *, encrypt: bool) -> None:
    """The ID number's lookup hash (bulk_create and COPY skip Household.save), and for COPY, which bypasses the
    model field, its encryption."""
    number = row.get("head_id_number") or ""
    row["head_id_number_hash"] = crypto.lookup_hash(number)
    if encrypt and number:
        row["head_id_number"] = crypto.encrypt(number)


def insert_spilled(*, kind: str, spill: IO[bytes], actor: User | None, progress: Progress | None) -> int:
    """Pass 2: the spilled batches written in the caller's transaction: COPY on PostgreSQL, else bulk_create."""
    model: type[Household] | type[Enterprise] = Household if kind == "households" else Enterprise
    names = FIELDS[kind]
    extra: dict[str, Any] = {"created_at": timezone.now()}  # COPY bypasses auto_now_add
    if kind == "households":
        extra.update(created_by_id=actor.pk if actor else None, confirmed=True)
    copy = connection.vendor == "postgresql"
    created = 0
    spill.seek(0)
    while True:
        try:
            batch = pickle.load(spill)  # our own temporary file, written just above
        except EOFError:
            break
        rows = [dict(zip(names, values, strict=True)) for values in batch]
        for row in rows:
            row["unit_id"] = row.pop("unit")
            row.update(extra)
            if model is Household:
                _protect_id_number(row, encrypt=copy)
        if copy:
            _copy_rows(model, rows)
        else:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        created += len(rows)
        if progress:
            progress("insert", len(rows))
    return created
