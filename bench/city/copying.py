"""COPY FROM STDIN of generated rows, by column name, whatever the model's schema is on the branch.

A generator yields chunks: a dict {column: list of COPY text values | one text value for every row of the chunk},
with the number of rows. The column list comes from the model's `_meta` (concrete fields, their db columns), so a
field added by a migration this builder does not know is filled from the field's default; a column it generates
but the model lacks is an error (the schema moved: the builder must follow). Rows go through the parent table, so
a partitioned table routes them to its partitions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from django.db import models
from tqdm import tqdm

NULL = "\\N"
# A chunk may also be {COLUMNS: [...], LINES: "…\n…\n"}: COPY text already joined (rows spilled to a file).
COLUMNS, LINES = "__columns__", "__lines__"
Chunk = tuple[int, dict[str, Any]]


def text(value: Any) -> str:
    """One Python value as COPY text (the generators use it for constants; their own columns are pre-formatted)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def times(micros: np.ndarray) -> list[str]:
    """Epoch microseconds (int64, UTC) as timestamptz text, vectorised."""
    return np.datetime_as_string(micros.astype("datetime64[us]"), unit="us", timezone="UTC").tolist()


def ints(values: np.ndarray, *, null_below: int | None = None) -> list[str]:
    """int64 values as text; values below `null_below` (e.g. -1 for "no row") as NULL."""
    out = values.astype(str).tolist()
    if null_below is not None:
        for i in np.flatnonzero(values < null_below).tolist():
            out[i] = NULL
    return out


def floats(values: np.ndarray, digits: int) -> list[str]:
    """Floats rounded to `digits`; NaN as NULL."""
    out = np.round(values, digits).astype(str).tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = NULL
    return out


def _default_text(field: models.Field) -> str:
    if field.has_default():
        return text(field.get_default())
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return text(dt.datetime.now(dt.UTC))
    if field.null:
        return NULL
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return ""
    raise RuntimeError(f"{field.model.__name__}.{field.name}: a required column this builder does not generate")


def _is_generated_key(field: models.Field) -> bool:
    return field.primary_key and isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField)


def copy_model(cursor: Any, model: type[models.Model], chunks: Iterable[Chunk], *, total: int, desc: str) -> int:
    """COPY the chunks into the model's table; columns the chunks lack take the field's default (an auto primary
    key its sequence). Returns the rows written."""
    stream = iter(chunks)
    first = next(stream, None)
    if first is None:
        return 0
    fields = [
        f for f in model._meta.concrete_fields if not getattr(f, "generated", False)
    ]  # the database computes those
    given = list(first[1].get(COLUMNS, first[1]))
    unknown = set(given) - {f.column for f in fields}
    if unknown:
        raise RuntimeError(f"{model.__name__} has no column(s) {sorted(unknown)}: the schema changed under the builder")
    defaults = {f.column: _default_text(f) for f in fields if f.column not in given and not _is_generated_key(f)}
    columns = given + list(defaults)
    table = model._meta.db_table
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'COPY "{table}" ({quoted}) FROM STDIN'
    bar = tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, mininterval=2, disable=None)
    written = [0]

    def encoded() -> Iterator[bytes]:
        for n, values in _chained(first, stream):
            yield _chunk_text(n, values, columns, defaults).encode()
            written[0] += n
            bar.update(n)

    cursor.copy_expert(sql, _Reader(encoded()), size=1 << 20)
    bar.close()
    return written[0]


def _chained(first: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    yield from rest


def _chunk_text(n: int, values: dict[str, Any], columns: list[str], defaults: dict[str, str]) -> str:
    if LINES in values:  # pre-formatted lines of the given columns: the defaults go at the end of each line
        suffix = "".join("\t" + value for value in defaults.values())
        return (
            values[LINES]
            if not suffix
            else "".join(line + suffix + "\n" for line in values[LINES].rstrip("\n").split("\n"))
        )
    cols = []
    for column in columns:
        value = values.get(column, defaults.get(column))
        if isinstance(value, str):
            value = [value] * n
        if len(value) != n:
            raise RuntimeError(f"column {column}: {len(value)} values for {n} rows")
        cols.append(value)
    return "".join(line + "\n" for line in map("\t".join, zip(*cols, strict=True)))


class _Reader:
    """A file-like object over a generator of byte chunks, for copy_expert: PostgreSQL parses a chunk while the
    generator builds the next one."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return next(self.chunks, b"")

    def readline(self, size: int = -1) -> bytes:  # copy_expert never calls it; file-likes have it
        return self.read(size)


# --- Secondary indexes: dropped for the load, rebuilt after (a 10M-row COPY into 6 indexes costs ~3x the bare load) --
def drop_secondary_indexes(cursor: Any, tables: Iterable[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint (a partitioned table's index drops its partitions');
    return their definitions for restore_indexes."""
    definitions = []
    for table in tables:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
            "quote_ident(i.indexname))::regclass)",
            [table],
        )
        for name, definition in cursor.fetchall():
            definitions.append(definition)
            cursor.execute(f'DROP INDEX "{name}"')
    return definitions


def restore_indexes(cursor: Any, definitions: list[str], *, desc: str = "indexes") -> None:
    for definition in tqdm(definitions, desc=desc, unit=" index", disable=None):
        # A partitioned table's index is defined "ON ONLY" the parent: rebuilt on the parent, it spans the partitions.
        definition = definition.replace(" ON ONLY ", " ON ", 1)
        cursor.execute(re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", definition))


def reset_sequences(cursor: Any, models_: Iterable[type[models.Model]]) -> None:
    """After explicit ids: move each table's id sequence past its largest id, so the app's own inserts go on."""
    for model in models_:
        table, pk = model._meta.db_table, model._meta.pk
        if pk is None or not _is_generated_key(pk):
            continue
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk.column])
        (sequence,) = cursor.fetchone()
        if sequence:
            cursor.execute(f'SELECT setval(%s, COALESCE((SELECT max("{pk.column}") FROM "{table}"), 0) + 1, false)',  # noqa: S608  (a constant table name)
                           [sequence])  # fmt: skip
