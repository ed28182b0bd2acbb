"""The one exports module: ledgers (台账) as Excel, answered within the request or written by a background job.

A `Ledger` is a kind, a title and a rows function `(user, params) -> Table` built on its app's selector; each
app registers its ledgers in its AppConfig.ready() (issues.ledgers, visits.ledgers, dashboard.ledgers). A view
calls `ledger_response()`: up to `sync_limit()` rows it answers the workbook at once; above, `export_start()`
records an Export, queues the job after commit (`export_run_task`, the one Celery task of exports, kept here beside
the function it calls so that starting and running need no import cycle) and the view answers 202 with the Export's JSON, which GET /api/v1/exports/{id}/ follows.
The job is `export_run()`. Rows are streamed through openpyxl's write-only mode (ledgers read them with
`.iterator(chunk_size=CHUNK)`), so memory stays bounded however many rows (SPEC §7).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, close_old_connections, transaction
from django.http import FileResponse, HttpResponseBase, JsonResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from rest_framework import serializers

from campaign.audit import audit_record
from campaign.fields import printable
from campaign.models import AuditAction, Export, User
from campaign.replica import replica_reads

EXPORT_SYNC_LIMIT = 10_000  # rows answered within the request (setting EXPORT_SYNC_LIMIT overrides); more: 202
CHUNK = 2_000  # rows per database round trip in a ledger's .iterator(): ~2 MB of Python objects at a time
PROGRESS_EVERY = 5_000  # rows between progress writes (one UPDATE each)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_DIR = "exports"  # background files: MEDIA_ROOT/exports/<id>.xlsx
BOLD = Font(bold=True)


# --- what a ledger is ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """A value written with a number format or in bold (plain values need no Cell)."""

    value: Any
    number_format: str = ""
    bold: bool = False


@dataclass(frozen=True)
class Sheet:
    """One worksheet: the headers, then the rows (an iterator: streamed, never held)."""

    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    title: str = ""  # "": the ledger's title
    preamble: Sequence[Sequence[Any]] = ()  # rows above the headers (the dashboard's unit and period)
    widths: Mapping[str, float] = field(default_factory=dict)  # column letter → width


@dataclass(frozen=True)
class Table:
    """What a ledger's rows function returns: the workbook's sheets and how many data rows they hold."""

    sheets: tuple[Sheet, ...]
    total: int

    @classmethod
    def one(cls, headers: Sequence[Any], rows: Iterable[Sequence[Any]], total: int) -> Table:
        return cls((Sheet(headers, rows),), total)


Rows = Callable[[User, dict[str, Any]], Table]


@dataclass(frozen=True)
class Ledger:
    """A workbook users may ask for. `rows` reads with the user's scope; params are the view's query parameters
    (stored on the Export as they are, so the background job reads the same ledger)."""

    kind: str  # Export.kind and the file name: "tickets", "visits", "dashboard"
    title: Any  # a (lazy) string: the name of a sheet without its own title
    rows: Rows


_registry: dict[str, Ledger] = {}


def register(ledger: Ledger) -> Ledger:
    """Called from an AppConfig.ready(): the background job finds the ledger of an Export by its kind."""
    known = _registry.get(ledger.kind)
    if known is not None and known != ledger:
        raise ImproperlyConfigured(f"two ledgers of kind {ledger.kind!r}")
    _registry[ledger.kind] = ledger
    return ledger


def ledger_of(kind: str) -> Ledger:
    return _registry[kind]


# --- writing ------------------------------------------------------------------------------------------------------
def sync_limit() -> int:
    return int(getattr(settings, "EXPORT_SYNC_LIMIT", EXPORT_SYNC_LIMIT))


# A text cell Excel (or LibreOffice, or a CSV made from the file) could read as a formula or a DDE call: it starts
# with one of these, possibly after whitespace or a control character (OWASP "CSV injection"). "#N/A"-like texts
# would be stored as error values.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet could read this text as a formula, a DDE call or an error value (every writer of cells
    asks this one function: the xlsx ledgers here, the audit CSV)."""
    return value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS) or value in ERROR_CODES


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """The value as written: a plain value as it is, a Cell with its format, and any text that could be read as a
    formula as a string cell (data_type "s", written as an inline string) with Excel's quote prefix, so it stays
    text even when a user edits the cell. The text itself is unchanged (but for control characters, which Excel
    refuses); numbers (negative ones too) stay numbers."""
    spec = value if isinstance(value, Cell) else None
    raw = spec.value if spec is not None else value
    if isinstance(raw, str):
        # A row stored before the text checks may hold control characters, which an Excel cell refuses: one row never
        # fails a ledger.
        raw = printable(raw)
        if spec is None:
            value = raw
    risky = isinstance(raw, str) and looks_like_formula(raw)
    if spec is None and not risky:
        return value
    cell = WriteOnlyCell(sheet, value=raw)
    if risky:
        cell.data_type = "s"
        cell.quotePrefix = True
    if spec is not None and spec.number_format:
        cell.number_format = spec.number_format
    if spec is not None and spec.bold:
        cell.font = BOLD
    return cell


def _cells(sheet: WriteOnlyWorksheet, row: Sequence[Any]) -> list[Any]:
    return [_cell(sheet, value) for value in row]


def write_xlsx(
    out: IO[bytes] | str,
    sheets: Iterable[Sheet],
    *,
    title: str,
    on_progress: Callable[[int], object] | None = None,
) -> int:
    """Write the workbook in write-only mode (rows streamed to `out`, not held); returns the data row count.
    Every cell goes through _cell: no text is ever written as a formula (issue 12 item 6)."""
    workbook = Workbook(write_only=True)
    count = 0
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=(sheet.title or title)[:31])
        for column, width in sheet.widths.items():
            worksheet.column_dimensions[column].width = width
        for row in (*sheet.preamble, sheet.headers):
            worksheet.append(_cells(worksheet, row))
        for row in sheet.rows:
            worksheet.append(_cells(worksheet, row))
            count += 1
            if on_progress is not None and count % PROGRESS_EVERY == 0:
                on_progress(count)
    workbook.save(out)
    return count


def export_path(export: Export) -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR / f"{export.pk}.xlsx"


# --- answering a view ---------------------------------------------------------------------------------------------
class ExportSerializer(serializers.ModelSerializer):
    """The Export as GET /api/v1/exports/{id}/ and a 202 from an export.xlsx answer it."""

    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = ["id", "kind", "state", "progress", "total", "error", "created_at", "finished_at", "url",
                  "download_url"]  # fmt: skip

    def get_url(self, obj: Export) -> str:
        return f"/api/v1/exports/{obj.pk}/"

    def get_download_url(self, obj: Export) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.state == Export.State.DONE else None


def ledger_response(
    *, owner: User, ledger: Ledger, params: dict[str, Any], filename: str | None = None
) -> HttpResponseBase:
    """The ledger as .xlsx at once (≤ sync_limit() rows, written to a temporary file and streamed), else a
    background export: 202 with the Export's JSON. Call outside any transaction (STYLE 6). The ledger's rows may be
    read from the read replica (campaign.replica); the audit row and the Export are written after them."""
    handle = None
    with replica_reads(owner):
        table = ledger.rows(owner, params)
        if table.total <= sync_limit():
            handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open, closed by FileResponse
            write_xlsx(handle, table.sheets, title=str(ledger.title))
    audit_record(
        action=AuditAction.EXPORT, actor=owner, obj=ledger.kind, changes={"filters": params, "rows": table.total}
    )
    if handle is None:
        export = export_start(owner=owner, ledger=ledger, params=params, total=table.total)
        data = ExportSerializer(export).data
        return JsonResponse(data, status=202, json_dumps_params={"ensure_ascii": False})
    handle.seek(0)
    name = filename or f"{ledger.kind}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


# --- the background job -------------------------------------------------------------------------------------------
def export_start(*, owner: User, ledger: Ledger, params: dict[str, Any], total: int = 0) -> Export:
    """Record a background export and queue its job after commit (STYLE 6)."""
    export = Export.objects.create(kind=ledger.kind, owner=owner, params=params, total=total)
    transaction.on_commit(lambda: export_queue(str(export.pk)))
    return export


def export_queue(export_id: str) -> None:
    """A worker runs the job when there is a broker. The embedded default has none (Celery eager would write the whole
    file inside the request): there the job runs in a thread of this process and the request answers 202 at once
    (SPEC §9, settings.EXPORTS_IN_THREAD)."""
    if getattr(settings, "EXPORTS_IN_THREAD", False):
        threading.Thread(target=_export_in_thread, args=(export_id,), name="zoufang-export", daemon=True).start()
    else:
        export_run_task.delay(export_id)


def _export_in_thread(export_id: str) -> None:
    try:
        export_run(export_id=export_id)
    except Exception:  # export_run marked it FAILED; the log names the export, never its rows
        logging.getLogger(__name__).exception("export %s failed", export_id)
    finally:
        close_old_connections()


def export_run(*, export_id: str) -> None:
    """Write the export's workbook to MEDIA_ROOT/exports/<id>.xlsx in bounded memory, updating its progress.

    Safe to run twice: a DONE export is left alone, any other is written again whole (to a side file renamed into
    place, so a download never sees half a workbook). The ledger is read with the owner's scope as it is now (a
    user who lost scope gets less, never more). A failure marks the export FAILED with the exception's type only
    (its message may hold data) and is raised again for the log.
    """
    export = Export.objects.select_related("owner__unit").filter(pk=export_id).first()
    if export is None or export.state == Export.State.DONE:
        return
    # Written on the primary by name: progress writes inside the replica block below would otherwise turn the rest
    # of the ledger's reads to the primary (campaign.replica); these rows are never read back in the block.
    same = Export.objects.using(DEFAULT_DB_ALIAS).filter(pk=export.pk)
    path = export_path(export)
    try:
        ledger = ledger_of(export.kind)
        with replica_reads(export.owner):  # the rows may come from the read replica, once it has the owner's writes
            table = ledger.rows(export.owner, export.params)
            same.update(state=Export.State.RUNNING, total=table.total, progress=0)
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_suffix(".part")
            count = write_xlsx(
                str(part), table.sheets, title=str(ledger.title), on_progress=lambda n: same.update(progress=n)
            )
        os.replace(part, path)
    except Exception as exc:  # the owner sees that it failed, whatever failed
        same.update(state=Export.State.FAILED, error=type(exc).__name__[:500])
        raise
    same.update(
        state=Export.State.DONE,
        progress=count,
        total=count,
        file=f"{EXPORT_DIR}/{export.pk}.xlsx",
        finished_at=timezone.now(),
    )


@shared_task(acks_late=True)
def export_run_task(export_id: str) -> None:
    """Write a large ledger (any registered kind) to MEDIA_ROOT/exports/<id>.xlsx: thin, takes an id, safe to run
    twice (STYLE 7). Registered with Celery when this module is imported (every app's ready() imports it)."""
    export_run(export_id=export_id)
