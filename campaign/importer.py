"""Bulk import of the registries from .xlsx / .csv (SPEC §2): all or nothing, with a row-by-row error report.

Used by the `import_registry` command, the admin import page (campaign/admin_import.py) and bench/import_registry.py.

Two passes, so memory stays bounded by a batch however long the file is:
1. read and validate every row (outside any transaction: parsing a big workbook is slow), collecting every error
   as (row number as Excel shows it, column header, message); clean rows are spilled in batches to a temporary
   file as plain tuples, never as ORM objects;
2. only if there was no error at all: read the spilled batches back and bulk_create them in one transaction.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.geo import GridIndex
from campaign.models import Enterprise, Household, OrgUnit, UnitKind, User
from campaign.scope import units_visible_to
from campaign.signals import registry_changed
from campaign.tabular import UnreadableFile, rows_of
from campaign.validators import validate_credit_code, validate_mobile

log = logging.getLogger(__name__)

KINDS = ("households", "enterprises")
# Rows per bulk_create and per spilled batch: ~2,000 households is ~1 MB of SQL, one round trip each.
BATCH_SIZE = 2000
# A header row may sit under a title row or two (Chinese ledger templates often start with a merged title).
HEADER_SEARCH_ROWS = 5
TAG_SEPARATORS = re.compile(r"[,，、;；/|\s]+")

# field -> accepted headers (Chinese first, then the English field name); the first is used in reports.
HOUSEHOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "address": ("地址", "住址", "address"),
    "unit": ("网格", "所属网格", "unit", "grid"),
    "head_name": ("户主姓名", "户主", "head_name"),
    "phone": ("联系电话", "手机号", "phone"),
    "members": ("人口数", "家庭人口", "members"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "longitude", "lon"),
    "tags": ("标签", "tags"),
}
ENTERPRISE_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "名称", "name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "industry": ("行业", "industry"),
    "size": ("规模", "企业规模", "size"),
    "address": ("地址", "企业地址", "address"),
    "unit": ("网格", "所属网格", "unit", "grid"),
    "contact_name": ("联系人", "contact_name"),
    "contact_phone": ("联系电话", "手机号", "contact_phone"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "longitude", "lon"),
}
REQUIRED = {"households": ("address", "head_name"), "enterprises": ("name", "credit_code", "address")}
MAX_LENGTHS = {
    "households": {"address": 200, "head_name": 50},
    "enterprises": {"name": 200, "industry": 50, "size": 20, "address": 200, "contact_name": 50},
}
# The order of the spilled tuples and of the model fields they fill.
FIELDS = {
    "households": ("address", "unit", "head_name", "phone", "members", "lat", "lng", "tags"),
    "enterprises": (
        "name",
        "credit_code",
        "industry",
        "size",
        "address",
        "unit",
        "contact_name",
        "contact_phone",
        "lat",
        "lng",
    ),
}

BLANK_VALUES: dict[str, Any] = {"members": 1, "unit": None, "lat": None, "lng": None}  # else ""

Progress = Callable[[str, int], None]  # (phase "validate" | "insert", rows just done)


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in Excel (the header is row 1 unless a title sits above it)
    column: str  # the header as written in the file, or "" for a whole-row/whole-file problem
    message: str


@dataclass
class ImportResult:
    kind: str
    rows: int = 0  # data rows read (blank rows skipped)
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Cleaning --------------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """Cell value as text: Excel turns phone numbers and ids into numbers (13812345678.0), undo that."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise_header(value: Any) -> str:
    return _text(value).replace("*", "").replace("＊", "").strip().lower()


def _float(raw: str, low: float, high: float) -> float:
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(_("应为数字")) from None
    if not low <= number <= high:
        raise ValueError(_("应在 %(lo)s 到 %(hi)s 之间") % {"lo": low, "hi": high})
    return number


def _members(raw: str) -> int:
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(_("应为整数")) from None
    if not number.is_integer() or not 1 <= number <= 99:
        raise ValueError(_("应为 1 到 99 之间的整数"))
    return int(number)


def _first_message(exc: ValidationError) -> str:
    return str(exc.messages[0]) if exc.messages else str(exc)


class _Grids:
    """Every grid the actor may import into, loaded in one query; names, ids and points resolved in memory."""

    def __init__(self, actor: User | None) -> None:
        units = units_visible_to(actor) if actor is not None else OrgUnit.objects.all()
        grids = list(units.filter(kind=UnitKind.GRID).order_by("path").values_list("id", "name", "boundary"))
        self.ids = {gid for gid, _name, _b in grids}
        self.by_name: dict[str, list[int]] = {}
        for gid, name, _b in grids:
            self.by_name.setdefault(name.strip(), []).append(gid)
        self.points = GridIndex([(gid, boundary) for gid, _name, boundary in grids])

    def resolve(self, raw: str) -> int:
        ids = self.by_name.get(raw)
        if ids and len(ids) == 1:
            return ids[0]
        if ids:
            raise ValueError(_("网格名称“%(n)s”不唯一，请填写网格编号") % {"n": raw})
        if raw.isdigit() and int(raw) in self.ids:
            return int(raw)
        raise ValueError(_("网格“%(n)s”不存在或不在您的管辖范围内") % {"n": raw})

    def for_point(self, lat: float, lng: float) -> int | None:
        return self.points.grid_id_for(lat, lng)


# --- Validation ------------------------------------------------------------------------------------------------
@dataclass
class _Validator:
    kind: str
    headers: dict[str, tuple[int, str]]  # field -> (column index, header as written)
    grids: _Grids
    errors: list[RowError]
    seen_codes: dict[str, int] = field(default_factory=dict)  # credit code -> first row in the file
    pending_codes: dict[str, tuple[int, str]] = field(default_factory=dict)  # to check against the DB, batched

    def header(self, name: str) -> str:
        return self.headers[name][1] if name in self.headers else COLUMNS[self.kind][name][0]

    def clean(self, number: int, values: list[Any]) -> tuple[Any, ...] | None:
        raw = {name: _text(values[i]) if i < len(values) else "" for name, (i, _h) in self.headers.items()}
        row: dict[str, Any] = {}
        before = len(self.errors)

        def fail(name: str, message: str) -> None:
            self.errors.append(RowError(number, self.header(name), message))

        for name in FIELDS[self.kind]:
            value = raw.get(name, "")
            try:
                row[name] = self._field(name, value)
            except ValueError as exc:
                fail(name, str(exc))
            except ValidationError as exc:
                fail(name, _first_message(exc))
        if (row.get("lat") is None) != (row.get("lng") is None) and "lat" in row and "lng" in row:
            fail("lng" if row.get("lng") is None else "lat", _("经纬度应同时填写"))
        if "unit" in row and row["unit"] is None and "lat" in row and "lng" in row:  # no error on them already
            self._unit_from_point(row, fail)
        if self.kind == "enterprises" and row.get("credit_code"):
            self._check_duplicate(number, row["credit_code"], fail)
        if len(self.errors) > before:
            return None
        return tuple(row[name] for name in FIELDS[self.kind])

    def _field(self, name: str, value: str) -> Any:
        if not value:
            if name in REQUIRED[self.kind]:
                raise ValueError(_("必填"))
            return [] if name == "tags" else BLANK_VALUES.get(name, "")
        limit = MAX_LENGTHS[self.kind].get(name)
        if limit and len(value) > limit:
            raise ValueError(_("不能超过 %(n)d 个字符") % {"n": limit})
        if name == "unit":
            return self.grids.resolve(value)
        if name in ("phone", "contact_phone"):
            validate_mobile(value)
        elif name == "credit_code":
            value = value.upper()
            validate_credit_code(value)
        elif name == "members":
            return _members(value)
        elif name == "lat":
            return _float(value, -90, 90)
        elif name == "lng":
            return _float(value, -180, 180)
        elif name == "tags":
            return [tag for tag in TAG_SEPARATORS.split(value) if tag][:10]
        return value

    def _unit_from_point(self, row: dict[str, Any], fail: Callable[[str, str], None]) -> None:
        lat, lng = row.get("lat"), row.get("lng")
        grid = self.grids.for_point(lat, lng) if lat is not None and lng is not None else None
        if grid is None:
            fail("unit", _("请填写网格，或填写位于某个网格内的经纬度"))
        row["unit"] = grid

    def _check_duplicate(self, number: int, code: str, fail: Callable[[str, str], None]) -> None:
        first = self.seen_codes.setdefault(code, number)
        if first != number:
            fail("credit_code", _("与第 %(r)d 行的统一社会信用代码重复") % {"r": first})
            return
        self.pending_codes[code] = (number, self.header("credit_code"))
        if len(self.pending_codes) >= BATCH_SIZE:
            self.flush_codes()

    def flush_codes(self) -> None:
        """Credit codes already registered: one query per batch of the file's codes."""
        if not self.pending_codes:
            return
        taken = Enterprise.objects.filter(credit_code__in=list(self.pending_codes)).values_list(
            "credit_code", flat=True
        )
        for code in sorted(taken):
            number, header = self.pending_codes[code]
            self.errors.append(RowError(number, header, _("统一社会信用代码已登记（系统中已有该企业）")))
        self.pending_codes.clear()


COLUMNS = {"households": HOUSEHOLD_COLUMNS, "enterprises": ENTERPRISE_COLUMNS}


def _match_headers(kind: str, values: list[Any], unit_column: str | None) -> dict[str, tuple[int, str]]:
    accepted = {alias.lower(): name for name, aliases in COLUMNS[kind].items() for alias in aliases}
    if unit_column:
        accepted[_normalise_header(unit_column)] = "unit"
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(values):
        name = accepted.get(_normalise_header(value))
        if name and name not in found:
            found[name] = (index, _text(value))
    return found


def _find_header(
    kind: str, rows: Iterator[tuple[int, list[Any]]], unit_column: str | None
) -> tuple[int, dict[str, tuple[int, str]]]:
    for number, values in rows:
        headers = _match_headers(kind, values, unit_column)
        if all(name in headers for name in REQUIRED[kind]):
            return number, headers
        if number >= HEADER_SEARCH_ROWS:
            break
    required = "、".join(COLUMNS[kind][name][0] for name in REQUIRED[kind])
    raise UnreadableFile(_("未找到表头：前 %(n)d 行中应有列 %(cols)s") % {"n": HEADER_SEARCH_ROWS, "cols": required})


def _header_errors(
    kind: str, header_row: int, headers: dict[str, tuple[int, str]], unit_column: str | None
) -> list[RowError]:
    if "unit" in headers or ("lat" in headers and "lng" in headers):
        return []
    name = unit_column or COLUMNS[kind]["unit"][0]
    return [RowError(header_row, name, _("缺少网格列（或经度、纬度列）"))]


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
    header_row, headers = _find_header(kind, rows, unit_column)
    if unit_column and "unit" not in headers:
        raise UnreadableFile(_("未找到网格列“%(c)s”") % {"c": unit_column})
    result.errors.extend(_header_errors(kind, header_row, headers, unit_column))
    if result.errors:
        return
    validator = _Validator(kind=kind, headers=headers, grids=_Grids(actor), errors=result.errors)
    batch: list[tuple[Any, ...]] = []
    for number, values in rows:
        if not any(_text(v) for v in values):
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


def _insert(*, kind: str, spill: IO[bytes], actor: User | None, progress: Progress | None) -> int:
    """Pass 2: the spilled batches written in the caller's transaction: COPY on PostgreSQL, else bulk_create."""
    model: type[Household] | type[Enterprise] = Household if kind == "households" else Enterprise
    names = FIELDS[kind]
    extra: dict[str, Any] = {"created_at": timezone.now()}  # COPY bypasses auto_now_add
    if kind == "households":
        extra.update(created_by_id=actor.pk if actor else None, confirmed=True)
    copy = connection.vendor == "postgresql"
    created, units = 0, set()
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
            units.add(row["unit_id"])
        if copy:
            _copy_rows(model, rows)
        else:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        created += len(rows)
        if progress:
            progress("insert", len(rows))
    if model is Household and units:
        registry_changed.send(sender=Household, unit_ids=units)  # coverage's denominator (dashboard.signals)
    return created


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
    opened: list[IO[bytes]] = []
    try:
        with tempfile.TemporaryFile(prefix="zoufang-import-") as spill:
            try:
                rows = rows_of(rows_or_file, opened)
                _validate(
                    kind=kind,
                    rows=rows,
                    actor=actor,
                    unit_column=unit_column,
                    spill=spill,
                    result=result,
                    progress=progress,
                )
            except UnreadableFile as exc:
                result.errors.append(RowError(0, "", str(exc)))
            if result.errors:
                return result
            try:
                with transaction.atomic():
                    result.created = _insert(kind=kind, spill=spill, actor=actor, progress=progress)
            except IntegrityError:
                # Another import registered one of these credit codes since we checked: nothing was stored.
                result.errors.append(
                    RowError(0, "", _("导入时与其他导入冲突（统一社会信用代码重复），未导入任何数据，请重试。"))
                )
                result.created = 0
    finally:
        for stream in opened:
            stream.close()
    log.info(
        "registry import kind=%s rows=%d created=%d errors=%d", kind, result.rows, result.created, len(result.errors)
    )
    return result
