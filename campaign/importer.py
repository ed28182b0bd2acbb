"""Bulk import of the registries from .xlsx / .csv (SPEC §2): all or nothing, with a row-by-row error report.

Used by the `import_registry` command, the admin import page (campaign/admin_import.py) and bench/import_registry.py.

Two passes, so memory stays bounded by a batch however long the file is:
1. read and validate every row (outside any transaction: parsing a big workbook is slow), collecting every error
   as (row number as Excel shows it, column header, message); clean rows are spilled in batches to a temporary
   file as plain tuples, never as ORM objects;
2. only if there was no error at all: read the spilled batches back and write them in one transaction.

The columns and the checking of a row live in campaign/import_rows.py, the writing in campaign/import_write.py.
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.import_rows import (
    BATCH_SIZE,
    KINDS,
    Grids,
    ImportResult,
    Progress,
    RowError,
    Validator,
    find_header,
    header_errors,
    read_source,
    text_of,
)
from campaign.import_write import insert_spilled
from campaign.models import AuditAction, User
from campaign.tabular import UnreadableFile

log = logging.getLogger(__name__)

__all__ = ["KINDS", "ImportResult", "Progress", "RowError", "registry_import"]


# --- The service ------------------------------------------------------------------------------------------------
def _validate(
    *,
    kind: str,
    rows: Iterator[tuple[int, list[Any]]],
    actor: User | None,
    unit_column: str | None,
    spill: IO[bytes],
    result: ImportResult,
    progress: Progress | None,
) -> None:
    """Pass 1: every row checked, every error collected; clean rows pickled to `spill` in batches."""
    header_row, headers = find_header(kind, rows, unit_column)
    if unit_column and "unit" not in headers:
        raise UnreadableFile(_("未找到网格列“%(c)s”") % {"c": unit_column})
    result.errors.extend(header_errors(kind, header_row, headers, unit_column))
    if result.errors:
        return
    validator = Validator(kind=kind, headers=headers, grids=Grids(actor), errors=result.errors)
    batch: list[tuple[Any, ...]] = []
    for number, values in rows:
        if not any(text_of(v) for v in values):
            continue  # blank rows (Excel leaves many) are not data
        result.rows += 1
        clean = validator.clean(number, values)
        if clean is not None and not result.errors:
            batch.append(clean)  # once any error is found nothing will be inserted: stop keeping rows
        if len(batch) >= BATCH_SIZE:
            pickle.dump(batch, spill)
            batch = []
        if progress and result.rows % 500 == 0:
            progress("validate", 500)
    validator.flush_codes()
    if batch:
        pickle.dump(batch, spill)
    if progress:
        progress("validate", result.rows % 500)


def registry_import(
    *,
    kind: str,
    rows_or_file: Any,
    actor: User | None = None,
    unit_column: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import households or enterprises from a path, an open binary file / UploadedFile (.xlsx or .csv, sniffed
    from the content) or an iterable of dicts keyed by header. All or nothing: with any error, nothing is stored
    and `result.errors` lists every one. `actor` limits the grids to the actor's scope (None: command line, all)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    result = ImportResult(kind=kind)
    with tempfile.TemporaryFile(prefix="zoufang-import-") as spill:
        read_source(
            rows_or_file,
            result,
            lambda rows: _validate(
                kind=kind,
                rows=rows,
                actor=actor,
                unit_column=unit_column,
                spill=spill,
                result=result,
                progress=progress,
            ),
        )
        if result.errors:
            return result
        try:
            with transaction.atomic():
                result.created = insert_spilled(kind=kind, spill=spill, actor=actor, progress=progress)
        except IntegrityError:
            # Another import registered one of these credit codes since we checked: nothing was stored.
            result.errors.append(
                RowError(0, "", _("导入时与其他导入冲突（统一社会信用代码重复），未导入任何数据，请重试。"))
            )
            result.created = 0
    counts = {"rows": result.rows, "created": result.created, "errors": len(result.errors)}
    audit_record(action=AuditAction.REGISTRY_IMPORT, actor=actor, obj=kind, changes=counts)
    log.info(
        "registry import kind=%s rows=%d created=%d errors=%d", kind, result.rows, result.created, len(result.errors)
    )
    return result
