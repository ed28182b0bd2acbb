"""Import of the dispatch directory (派单目录, issue 15 item 1) from .xlsx / .csv: all or nothing, with a row-by-row
error report, like the registry import (campaign/importer.py) but in one pass: a directory has hundreds to a few
thousand rows, so every clean row is kept in memory (MAX_ROWS bounds it).

Used by the admin import page (issues/admin.py, /admin/issues/directoryrow/import/). The rules a row obeys whoever
writes it — units in the row's district, no lead unit among the co-units, 积极办 with a co-unit — live in `row_errors`,
which the admin's form calls too.

A row with the (category, area) of an existing row updates it (and makes it active again: a row in the file is meant
to be used); the same (category, area) twice in the file is an error. A row whose lead unit changes starts its
"not our duty" count again: the count was about the old unit (the directory page lists rows by it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.fields import text_error
from campaign.import_rows import HEADER_SEARCH_ROWS, RowError, data_rows, headers_in, read_source, text_of
from campaign.models import AuditAction, Category, OrgUnit, User
from campaign.models.org import PATH_STEP
from campaign.scope import units_visible_to
from campaign.tabular import UnreadableFile
from issues.models import DirectoryRow, Mode

log = logging.getLogger(__name__)

# field -> accepted headers (Chinese first, then the English field name); the first is used in reports.
COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("类别", "诉求类别", "category"),
    "area": ("区域", "适用区域", "area"),
    "lead_unit": ("牵头单位", "lead_unit"),
    "co_units": ("协办单位", "默认协办单位", "co_units"),
    "mode": ("办理方式", "默认办理方式", "mode"),
    "note": ("备注", "note"),
}
# 区域 is required as a column (its cells may be empty = everywhere): a misspelt header must not turn every row into
# an "everywhere" row.
REQUIRED_COLUMNS = ("category", "area", "lead_unit")
NOTE_MAX_LENGTH = 200  # DirectoryRow.note
MAX_ROWS = 20_000  # a directory is a few thousand rows; more is a wrong file, refused before it fills the memory
CO_UNIT_SEPARATORS = re.compile(r"[、,，;；]+")


class Placed(Protocol):
    """A unit as the rules read it: an OrgUnit, or the importer's Unit."""

    @property
    def pk(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> str: ...


@dataclass(frozen=True)
class Unit:
    pk: int
    name: str
    path: str


@dataclass(frozen=True)
class CleanRow:
    number: int
    category_id: int
    area_id: int | None
    lead_unit_id: int
    co_unit_ids: tuple[int, ...]
    mode: str
    note: str


@dataclass
class DirectoryImportResult:
    rows: int = 0  # data rows read (blank rows skipped)
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- the rules of a row ---------------------------------------------------------------------------------------------
def row_errors(
    *, area: Placed | None, lead_unit: Placed, co_units: Sequence[Placed], mode: str
) -> list[tuple[str, str]]:
    """(field, message) for each rule the row breaks. Its units lie in its district — the area's, or the lead unit's
    for an "everywhere" row — since a unit of another district is never offered on a ticket (issues.directory)."""
    errors: list[tuple[str, str]] = []
    home = (area or lead_unit).path[:PATH_STEP]
    where = _("区域“%(a)s”所在的区") % {"a": area.name} if area else _("牵头单位所在的区")
    if area is not None and not lead_unit.path.startswith(home):
        errors.append(("lead_unit", _("牵头单位“%(u)s”不在%(w)s") % {"u": lead_unit.name, "w": where}))
    for unit in co_units:
        if not unit.path.startswith(home):
            errors.append(("co_units", _("协办单位“%(u)s”不在%(w)s") % {"u": unit.name, "w": where}))
    if any(unit.pk == lead_unit.pk for unit in co_units):
        errors.append(("co_units", _("协办单位不能与牵头单位相同。")))
    if mode == Mode.COORDINATED and not co_units:
        errors.append(("co_units", _("积极办须指定至少一个协办单位。")))
    return errors


# --- what a cell may name -------------------------------------------------------------------------------------------
class Units:
    """The units the actor may name (their scope; every unit for None), loaded in one query; resolved in memory."""

    def __init__(self, actor: User | None) -> None:
        units = units_visible_to(actor) if actor is not None else OrgUnit.objects.all()
        self.by_id = {pk: Unit(pk, name, path) for pk, name, path in units.values_list("id", "name", "path")}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in self.by_id.values():
            self.by_name.setdefault(unit.name.strip(), []).append(unit)

    def resolve(self, raw: str) -> Unit:
        """By name first (unambiguous only), then by id."""
        named = self.by_name.get(raw, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValueError(_("单位名称“%(n)s”不唯一，请填写单位编号") % {"n": raw})
        if raw.isdigit() and int(raw) in self.by_id:
            return self.by_id[int(raw)]
        raise ValueError(_("单位“%(n)s”不存在或不在您的管辖范围内") % {"n": raw})


class Categories:
    """Every category by name and by code (a few dozen rows: one query)."""

    def __init__(self) -> None:
        rows = list(Category.objects.values_list("id", "name", "code", "active"))
        self.by_name = {name: (pk, active) for pk, name, _code, active in rows}
        self.by_code = {code: (pk, active) for pk, _name, code, active in rows}

    def resolve(self, raw: str) -> int:
        found = self.by_name.get(raw) or self.by_code.get(raw)
        if found is None:
            raise ValueError(_("类别“%(n)s”不存在") % {"n": raw})
        pk, active = found
        if not active:
            raise ValueError(_("类别“%(n)s”已停用") % {"n": raw})
        return pk


def _modes() -> dict[str, str]:
    """A mode's value, its Chinese label, and its label in the language of the request."""
    modes = {value: value for value in Mode.values}
    with translation.override("zh-hans"):
        modes.update({str(label): value for value, label in Mode.choices})
    modes.update({str(label): value for value, label in Mode.choices})
    return modes


# --- pass 1: reading and checking -----------------------------------------------------------------------------------
def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> dict[str, tuple[int, str]]:
    """The header row, within the first rows (a title row may sit above it)."""
    for number, values in rows:
        headers = headers_in(COLUMNS, values)
        if all(name in headers for name in REQUIRED_COLUMNS):
            return headers
        if number >= HEADER_SEARCH_ROWS:
            break
    wanted = "、".join(COLUMNS[name][0] for name in REQUIRED_COLUMNS)
    raise UnreadableFile(_("未找到表头：前 %(n)d 行中应有列 %(cols)s") % {"n": HEADER_SEARCH_ROWS, "cols": wanted})


@dataclass
class Checker:
    """Checks one row at a time, every error collected; remembers each (category, area) to refuse a repeat."""

    headers: dict[str, tuple[int, str]]  # field -> (column index, header as written)
    units: Units
    categories: Categories
    errors: list[RowError]
    modes: dict[str, str] = field(default_factory=_modes)
    seen: dict[tuple[int, int | None], int] = field(default_factory=dict)  # (category, area) -> first row

    def header(self, name: str) -> str:
        return self.headers[name][1] if name in self.headers else COLUMNS[name][0]

    def clean(self, number: int, values: list[Any]) -> CleanRow | None:
        raw = {name: text_of(values[i]) if i < len(values) else "" for name, (i, _h) in self.headers.items()}
        before = len(self.errors)

        def fail(name: str, message: str) -> None:
            self.errors.append(RowError(number, self.header(name), message))

        refused: set[str] = set()
        for name, value in raw.items():
            message = text_error(value)  # NUL, surrogates, control characters: the API's check (campaign.fields)
            if message:
                fail(name, message)
                refused.add(name)
        found = self._resolve(raw, refused, fail)
        if len(self.errors) > before:
            return None
        area, lead, co_units = found["area"], found["lead_unit"], found["co_units"]
        for name, message in row_errors(area=area, lead_unit=lead, co_units=co_units, mode=found["mode"]):
            fail(name, message)
        area_id = area.pk if area else None
        self._check_repeat(number, (found["category"], area_id), fail)
        if len(self.errors) > before:
            return None
        co_ids = tuple(unit.pk for unit in co_units)
        return CleanRow(number, found["category"], area_id, lead.pk, co_ids, found["mode"], found["note"])

    def _resolve(self, raw: dict[str, str], refused: set[str], fail: Callable[[str, str], None]) -> dict[str, Any]:
        """Each cell as the row's value (but those refused already); a ValueError's message is the cell's error."""
        resolvers: dict[str, Callable[[str], Any]] = {
            "category": lambda v: self.categories.resolve(self._required(v)),
            "area": lambda v: self.units.resolve(v) if v else None,
            "lead_unit": lambda v: self.units.resolve(self._required(v)),
            "co_units": self._co_units,
            "mode": self._mode,
            "note": self._note,
        }
        found: dict[str, Any] = {}
        for name, resolve in resolvers.items():
            if name in refused:
                continue
            try:
                found[name] = resolve(raw.get(name, ""))
            except ValueError as exc:
                fail(name, str(exc))
        return found

    @staticmethod
    def _required(value: str) -> str:
        if not value:
            raise ValueError(_("必填"))
        return value

    def _co_units(self, value: str) -> list[Unit]:
        units: dict[int, Unit] = {}
        for name in CO_UNIT_SEPARATORS.split(value):
            if name.strip():
                unit = self.units.resolve(name.strip())
                units.setdefault(unit.pk, unit)  # named twice: once
        return list(units.values())

    def _mode(self, value: str) -> str:
        if not value:
            return ""
        if value not in self.modes:
            labels = "、".join(str(label) for label in Mode.labels)
            raise ValueError(_("办理方式应为 %(m)s 之一") % {"m": labels})
        return self.modes[value]

    @staticmethod
    def _note(value: str) -> str:
        if len(value) > NOTE_MAX_LENGTH:
            raise ValueError(_("不能超过 %(n)d 个字符") % {"n": NOTE_MAX_LENGTH})
        return value

    def _check_repeat(self, number: int, key: tuple[int, int | None], fail: Callable[[str, str], None]) -> None:
        first = self.seen.setdefault(key, number)
        if first != number:
            fail("area", _("与第 %(r)d 行的类别和区域相同") % {"r": first})


def _check_rows(
    rows: Iterator[tuple[int, list[Any]]], actor: User | None, result: DirectoryImportResult
) -> list[CleanRow]:
    """Pass 1: every row checked, every error collected in `result`; the clean rows (all of them only if no error)."""
    checker = Checker(headers=_find_header(rows), units=Units(actor), categories=Categories(), errors=result.errors)
    clean: list[CleanRow] = []
    too_many = _("文件超过 %(n)d 行，不像派单目录，请检查文件。") % {"n": MAX_ROWS}
    for number, values in data_rows(rows, result, limit=MAX_ROWS, too_many=too_many):
        row = checker.clean(number, values)
        if row is not None:
            clean.append(row)
    return clean


# --- pass 2: writing ------------------------------------------------------------------------------------------------
WRITE_BATCH_SIZE = 500  # rows per INSERT / UPDATE … CASE statement: a few thousand rows are a handful of statements
UPDATED_FIELDS = ["lead_unit", "mode", "note", "active", "updated_at", "not_our_duty_returns", "last_returned_at"]


def _write(clean: list[CleanRow]) -> tuple[int, int]:
    """Pass 2, in the caller's transaction: (created, updated). The file's (category, area) rows that exist are locked
    (a "not our duty" return counting at the same time waits) and updated, the others created; each row's co-units
    are the file's. A constant number of statements, however many rows."""
    now = timezone.now()
    existing = {
        (row.category_id, row.area_id): row
        for row in DirectoryRow.objects.select_for_update().filter(category_id__in={r.category_id for r in clean})
    }
    pairs: list[tuple[DirectoryRow, CleanRow]] = []
    new: list[DirectoryRow] = []
    changed: list[DirectoryRow] = []
    for row in clean:
        target = existing.get((row.category_id, row.area_id))
        if target is None:
            target = DirectoryRow(category_id=row.category_id, area_id=row.area_id)
            new.append(target)
        else:
            changed.append(target)
            if target.lead_unit_id != row.lead_unit_id:  # the count was about the old unit
                target.not_our_duty_returns, target.last_returned_at = 0, None
        target.lead_unit_id, target.mode, target.note = row.lead_unit_id, row.mode, row.note
        target.active, target.updated_at = True, now
        pairs.append((target, row))
    DirectoryRow.objects.bulk_create(new, batch_size=WRITE_BATCH_SIZE)  # primary keys returned (PostgreSQL, SQLite)
    DirectoryRow.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=WRITE_BATCH_SIZE)
    links = DirectoryRow.co_units.through
    links.objects.filter(directoryrow_id__in=[row.pk for row in changed]).delete()
    links.objects.bulk_create(
        [links(directoryrow_id=target.pk, orgunit_id=unit) for target, row in pairs for unit in row.co_unit_ids],
        batch_size=WRITE_BATCH_SIZE,
    )
    return len(new), len(changed)


# --- the service ----------------------------------------------------------------------------------------------------
def directory_import(*, rows_or_file: Any, actor: User | None = None) -> DirectoryImportResult:
    """Import directory rows from a path, an open binary file / UploadedFile (.xlsx or .csv, sniffed from the
    content) or an iterable of dicts keyed by header. All or nothing: with any error nothing is stored and
    `result.errors` lists every one. `actor` limits the units a row may name to the actor's scope (None: all)."""
    result = DirectoryImportResult()
    clean = read_source(rows_or_file, result, lambda rows: _check_rows(rows, actor, result)) or []
    if result.ok:
        try:
            with transaction.atomic():
                result.created, result.updated = _write(clean)
        except IntegrityError:
            # Another import or an admin created a row of the same category and area since we read: nothing stored.
            message = _("导入时与其他修改冲突（同一类别和区域的目录行已被新增），未导入任何数据，请重试。")
            result.errors.append(RowError(0, "", message))
            result.created = result.updated = 0
    counts = {"flag": "import", "rows": result.rows, "created": result.created, "updated": result.updated}
    audit_record(
        action=AuditAction.ADMIN_CHANGE,
        actor=actor,
        obj=("directoryrow", ""),
        changes={**counts, "errors": len(result.errors)},
    )
    log.info("directory import %s errors=%d", counts, len(result.errors))
    return result
