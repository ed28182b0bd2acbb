"""The rows of a registry import (campaign/importer.py): the accepted columns, the header search, the cleaning
and checking of each row (every error collected as a RowError), and the grids a row may name or fall in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campaign.fields import NOT_FINITE, is_finite_number, validate_text
from campaign.geo import GridIndex
from campaign.models import Enterprise, OrgUnit, UnitKind, User
from campaign.scope import units_visible_to
from campaign.tabular import UnreadableFile, rows_of
from campaign.validators import normalize_id_number, validate_credit_code, validate_id_number, validate_mobile

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
    "head_id_number": ("户主身份证号", "身份证号", "head_id_number"),
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
    "households": ("address", "unit", "head_name", "phone", "head_id_number", "members", "lat", "lng", "tags"),
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


class Counted(Protocol):
    """An import's result, as the reading helpers below see it."""

    rows: int
    errors: list[RowError]


Read = TypeVar("Read")
Rows = Iterator[tuple[int, list[Any]]]


def read_source(source: Any, result: Counted, read: Callable[[Rows], Read]) -> Read | None:
    """`read` run over the rows of `source` (a path, an open binary file / UploadedFile, or dicts keyed by header):
    its answer; None, with the reason added to `result.errors` as a whole-file error, when the file cannot be read.
    The files opened on the way are closed either way. Every importer reads through this."""
    opened: list[IO[bytes]] = []
    try:
        return read(rows_of(source, opened))
    except UnreadableFile as exc:
        result.errors.append(RowError(0, "", str(exc)))
        return None
    finally:
        for stream in opened:
            stream.close()


def data_rows(rows: Rows, result: Counted, *, limit: int, too_many: str) -> Rows:
    """The rows that hold data (Excel leaves many blank ones), each counted in `result.rows`; past `limit` of them
    the file is refused whole (UnreadableFile with the message `too_many`)."""
    for number, values in rows:
        if not any(text_of(v) for v in values):
            continue
        result.rows += 1
        if result.rows > limit:
            raise UnreadableFile(too_many)
        yield number, values


# --- Cleaning --------------------------------------------------------------------------------------------------
def text_of(value: Any) -> str:
    """Cell value as text: Excel turns phone numbers and ids into numbers (13812345678.0), undo that."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise_header(value: Any) -> str:
    return text_of(value).replace("*", "").replace("＊", "").strip().lower()


def _float(raw: str, low: float, high: float) -> float:
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(_("应为数字")) from None
    if not is_finite_number(number):  # "nan", "inf" and 1e999 are numbers to float(), not to a registry
        raise ValueError(str(NOT_FINITE))
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


class Grids:
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
class Validator:
    kind: str
    headers: dict[str, tuple[int, str]]  # field -> (column index, header as written)
    grids: Grids
    errors: list[RowError]
    seen_codes: dict[str, int] = field(default_factory=dict)  # credit code -> first row in the file
    pending_codes: dict[str, tuple[int, str]] = field(default_factory=dict)  # to check against the DB, batched

    def header(self, name: str) -> str:
        return self.headers[name][1] if name in self.headers else COLUMNS[self.kind][name][0]

    def clean(self, number: int, values: list[Any]) -> tuple[Any, ...] | None:
        raw = {name: text_of(values[i]) if i < len(values) else "" for name, (i, _h) in self.headers.items()}
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
        validate_text(value)  # NUL, surrogates, control characters: the same check as the API's (campaign.fields)
        limit = MAX_LENGTHS[self.kind].get(name)
        if limit and len(value) > limit:
            raise ValueError(_("不能超过 %(n)d 个字符") % {"n": limit})
        if name == "unit":
            return self.grids.resolve(value)
        if name in ("phone", "contact_phone"):
            validate_mobile(value)
        elif name == "head_id_number":
            value = normalize_id_number(value)
            validate_id_number(value)
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


def headers_in(
    columns: Mapping[str, Sequence[str]], values: list[Any], extra: Mapping[str, str] | None = None
) -> dict[str, tuple[int, str]]:
    """{field: (column index, header as written)} of a row read as a header: each cell matched, whatever its case and
    a required-mark asterisk (* or ＊), against the accepted headers of `columns` ({field: aliases}) and of `extra`
    ({header: field}); the first column of a field wins. Every import's header search reads rows through this."""
    accepted = {alias.lower(): name for name, aliases in columns.items() for alias in aliases}
    accepted |= {_normalise_header(header): name for header, name in (extra or {}).items()}
    found: dict[str, tuple[int, str]] = {}
    for index, value in enumerate(values):
        name = accepted.get(_normalise_header(value))
        if name and name not in found:
            found[name] = (index, text_of(value))
    return found


def match_headers(kind: str, values: list[Any], unit_column: str | None) -> dict[str, tuple[int, str]]:
    return headers_in(COLUMNS[kind], values, {unit_column: "unit"} if unit_column else None)


def find_header(
    kind: str, rows: Iterator[tuple[int, list[Any]]], unit_column: str | None
) -> tuple[int, dict[str, tuple[int, str]]]:
    for number, values in rows:
        headers = match_headers(kind, values, unit_column)
        if all(name in headers for name in REQUIRED[kind]):
            return number, headers
        if number >= HEADER_SEARCH_ROWS:
            break
    required = "、".join(COLUMNS[kind][name][0] for name in REQUIRED[kind])
    raise UnreadableFile(_("未找到表头：前 %(n)d 行中应有列 %(cols)s") % {"n": HEADER_SEARCH_ROWS, "cols": required})


def header_errors(
    kind: str, header_row: int, headers: dict[str, tuple[int, str]], unit_column: str | None
) -> list[RowError]:
    if "unit" in headers or ("lat" in headers and "lng" in headers):
        return []
    name = unit_column or COLUMNS[kind]["unit"][0]
    return [RowError(header_row, name, _("缺少网格列（或经度、纬度列）"))]
