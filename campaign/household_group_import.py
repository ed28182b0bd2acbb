"""Excel / CSV import of household groups and their heads (户区、户长, issue 16 item 4): all or nothing, with a
row-by-row error report, as the registry and assignment imports, whose reading (campaign/tabular.py), grids
(import_rows.Grids) and report (RowError, ImportResult) it shares. Used by the admin's import page
(campaign/admin_household_groups.py).

One row is one household of one group; the group's columns repeat on its rows and must agree:

    户区名称* | 所在网格* | 户长账号* | 户长姓名 | 户长手机 | 楼长账号 | 住户编号 | 住户地址

A group is found again by (grid, name) and its households are added to those it has. A head's account that does not
exist is created with the role `reporter` in the group's grid, without a usable password (the admin sets one); an
existing account must have that role and lie in the importer's scope. A household is named by its number (住户编号)
or by its exact address in the grid (住户地址). Only when no row has an error is anything written, in one transaction
through campaign.household_groups.household_group_save (which checks every rule again).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.errors import DomainError
from campaign.fields import text_error
from campaign.household_groups import check_group_writer
from campaign.household_groups import household_group_save as group_save
from campaign.import_rows import (
    HEADER_SEARCH_ROWS,
    Grids,
    ImportResult,
    RowError,
    Rows,
    data_rows,
    headers_in,
    read_source,
    text_of,
)
from campaign.models import AuditAction, Household, HouseholdGroup, Role, User
from campaign.scope import sees_everything
from campaign.tabular import UnreadableFile
from campaign.validators import validate_mobile

MAX_ROWS = 20_000  # a district's groups (about ten households each); a bigger file is a mistake, refused whole
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("户区名称", "户区", "group"),
    "grid": ("所在网格", "网格", "grid"),
    "head": ("户长账号", "户长", "head"),
    "head_name": ("户长姓名", "head_name"),
    "head_phone": ("户长手机", "户长电话", "head_phone"),
    "second_head": ("楼长账号", "楼长", "second_head"),
    "household_id": ("住户编号", "household_id"),
    "address": ("住户地址", "地址", "address"),
}
REQUIRED = ("name", "grid", "head")


@dataclass
class Line:
    number: int
    raw: dict[str, str]
    grid_id: int = 0


@dataclass
class Plan:
    """What the file asks for, resolved: per (grid, name) the heads and the households."""

    heads: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)  # key → (head, second head)
    members: dict[tuple[int, str], list[Household]] = field(default_factory=dict)
    new_heads: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # username → (grid, name, phone)


def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> dict[str, tuple[int, str]]:
    for number, values in rows:
        headers = headers_in(COLUMNS, values)
        if set(REQUIRED) <= set(headers) and {"household_id", "address"} & set(headers):
            return headers
        if number >= HEADER_SEARCH_ROWS:
            break
    raise UnreadableFile(
        _("未找到表头：前 %(n)d 行中应有列 户区名称、所在网格、户长账号，以及 住户编号 或 住户地址")
        % {"n": HEADER_SEARCH_ROWS}
    )


class Reader:
    """Every row checked on its own, then against the rows before it and the database; errors collected."""

    def __init__(self, actor: User, headers: dict[str, tuple[int, str]], errors: list[RowError]) -> None:
        self.actor, self.headers, self.errors = actor, headers, errors
        self.grids = Grids(actor)
        self.lines: list[Line] = []

    def header(self, name: str) -> str:
        return self.headers[name][1] if name in self.headers else COLUMNS[name][0]

    def fail(self, number: int, name: str, message: str) -> None:
        self.errors.append(RowError(number, self.header(name), message))

    def read(self, number: int, values: list[Any]) -> None:
        raw = {name: text_of(values[i]) if i < len(values) else "" for name, (i, _h) in self.headers.items()}
        before = len(self.errors)
        for name, value in raw.items():
            if error := text_error(value):
                self.fail(number, name, error)
        for name in REQUIRED:
            if not raw.get(name):
                self.fail(number, name, _("必填"))
        if not (raw.get("household_id") or raw.get("address")):
            self.fail(number, "household_id", _("请填写住户编号或住户地址"))
        self._check_shapes(number, raw)
        if len(self.errors) > before:
            return
        try:
            grid_id = self.grids.resolve(raw["grid"])
        except ValueError as exc:
            self.fail(number, "grid", str(exc))
            return
        self.lines.append(Line(number, raw, grid_id))

    def _check_shapes(self, number: int, raw: dict[str, str]) -> None:
        if len(raw.get("name", "")) > 100:
            self.fail(number, "name", _("不能超过 %(n)d 个字符") % {"n": 100})
        for name in ("head", "second_head"):
            if len(raw.get(name, "")) > 150:
                self.fail(number, name, _("不能超过 %(n)d 个字符") % {"n": 150})
        if len(raw.get("head_name", "")) > 50:
            self.fail(number, "head_name", _("不能超过 %(n)d 个字符") % {"n": 50})
        text = raw.get("household_id", "")
        if text and (not text.isdigit() or len(text) > 18):
            self.fail(number, "household_id", _("应为正整数编号"))
        if phone := raw.get("head_phone", ""):
            try:
                validate_mobile(phone)
            except Exception:  # noqa: BLE001  a ValidationError: its message is the same for every bad number
                self.fail(number, "head_phone", _("应为11位手机号"))


def _users(lines: list[Line]) -> dict[str, User]:
    names = {line.raw[n] for line in lines for n in ("head", "second_head") if line.raw.get(n)}
    return {user.username: user for user in User.objects.select_related("unit").filter(username__in=names)}


def _check_user(reader: Reader, line: Line, name: str, user: User) -> None:
    if user.role != Role.REPORTER or user.is_superuser:
        reader.fail(line.number, name, _("账号“%(u)s”不是户长/楼长角色") % {"u": user.username})
        return
    actor = reader.actor
    if not sees_everything(actor) and (
        user.unit is None or actor.unit is None or not user.unit.path.startswith(actor.unit.path)
    ):
        reader.fail(line.number, name, _("账号“%(u)s”不在您的管辖范围内") % {"u": user.username})


def _households(lines: list[Line]) -> tuple[dict[int, Household], dict[tuple[int, str], list[Household]]]:
    ids = {int(line.raw["household_id"]) for line in lines if line.raw.get("household_id")}
    addresses = {line.raw["address"] for line in lines if not line.raw.get("household_id")}
    grids = {line.grid_id for line in lines}
    by_id = {h.pk: h for h in Household.objects.filter(pk__in=ids)}
    by_address: dict[tuple[int, str], list[Household]] = {}
    for household in Household.objects.filter(unit_id__in=grids, address__in=addresses).order_by("pk"):
        by_address.setdefault((household.unit_id, household.address), []).append(household)
    return by_id, by_address


def _household(reader: Reader, line: Line, found: tuple[dict[int, Household], Any]) -> Household | None:
    by_id, by_address = found
    if text := line.raw.get("household_id"):
        household = by_id.get(int(text))
        if household is None or household.unit_id != line.grid_id:
            reader.fail(line.number, "household_id", _("住户不存在或不在该网格内"))
            return None
        return household
    matches = by_address.get((line.grid_id, line.raw["address"]), [])
    if len(matches) != 1:
        message = _("该网格内没有此地址的住户") if not matches else _("该地址对应多户，请填写住户编号")
        reader.fail(line.number, "address", message)
        return None
    return matches[0]


def _plan(reader: Reader) -> Plan:
    """Pass 2: heads and households resolved (one query each), groups' columns compared across their rows."""
    plan, users = Plan(), _users(reader.lines)
    found = _households(reader.lines)
    groups = dict((((unit_id, name), pk) for pk, unit_id, name in _groups_in({line.grid_id for line in reader.lines})))
    taken: dict[int, int] = {}  # household → first row naming it
    for line in reader.lines:
        key = (line.grid_id, line.raw["name"])
        heads = (line.raw["head"], line.raw.get("second_head", ""))
        if plan.heads.setdefault(key, heads) != heads:
            reader.fail(line.number, "head", _("同一户区各行的户长、楼长应一致"))
        if heads[0] == heads[1]:
            reader.fail(line.number, "second_head", _("楼长与户长不能是同一账号"))
        for name, username in (("head", heads[0]), ("second_head", heads[1])):
            if username and username in users:
                _check_user(reader, line, name, users[username])
            elif username:
                phone = line.raw.get("head_phone", "") if name == "head" else ""
                plan.new_heads.setdefault(username, (line.grid_id, line.raw.get("head_name", ""), phone))
        household = _household(reader, line, found)
        if household is None:
            continue
        if household.group_id is not None and household.group_id != groups.get(key):
            reader.fail(line.number, "household_id", _("住户已属于其他户区"))
            continue
        if household.pk in taken:
            reader.fail(line.number, "household_id", _("与第 %(n)d 行重复") % {"n": taken[household.pk]})
            continue
        taken[household.pk] = line.number
        plan.members.setdefault(key, []).append(household)
    return plan


def _groups_in(grids: set[int]) -> Any:
    return HouseholdGroup.objects.filter(unit_id__in=grids).values_list("pk", "unit_id", "name")


def _messages(exc: DomainError) -> str:
    values = exc.payload().values()
    return "; ".join(str(m) for ms in values for m in (ms if isinstance(ms, list) else [ms]))


def _read(rows: Rows, *, actor: User, result: ImportResult) -> Plan | None:
    reader = Reader(actor, _find_header(rows), result.errors)
    for number, values in data_rows(
        rows, result, limit=MAX_ROWS, too_many=_("文件超过 %(n)d 行，请分批导入。") % {"n": MAX_ROWS}
    ):
        reader.read(number, values)
    return _plan(reader) if reader.lines else None


def _head(username: str, plan: Plan) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    grid_id, name, phone = plan.new_heads[username]
    user = User(username=username, role=Role.REPORTER, unit_id=grid_id, display_name=name, phone=phone)
    user.set_unusable_password()  # the admin gives the 户长 a password; nobody signs in with a guessed one
    user.save()
    return user


def _write(*, actor: User, plan: Plan) -> int:
    """Every group in one transaction; a rule failing on the way (a race) undoes them all."""
    added = 0
    with transaction.atomic():
        for (grid_id, name), (head, second) in plan.heads.items():
            group = HouseholdGroup.objects.filter(unit_id=grid_id, name=name).first()
            group = group or HouseholdGroup(unit_id=grid_id, name=name)
            group.head = _head(head, plan)
            group.second_head = _head(second, plan) if second else None
            members = list(group.households.all()) if group.pk else []
            new = [h for h in plan.members.get((grid_id, name), []) if h.group_id != group.pk or group.pk is None]
            group_save(actor=actor, group=group, households=[*members, *new])
            added += len(new)
    return added


def household_groups_import(*, actor: User, rows_or_file: Any) -> ImportResult:
    """Import household groups, their heads and households from a path, an open binary file / UploadedFile (.xlsx
    or .csv) or an iterable of dicts keyed by header. All or nothing: with any error nothing is stored and
    `result.errors` lists every one. NotAllowed (403) for a role that does not keep groups. `created` counts the
    households added to a group."""
    check_group_writer(actor)
    result = ImportResult(kind="household_groups")
    plan = read_source(rows_or_file, result, lambda rows: _read(rows, actor=actor, result=result))
    if not result.errors and plan is not None:
        try:
            result.created = _write(actor=actor, plan=plan)
        except DomainError as exc:
            result.errors.append(RowError(0, "", _messages(exc)))
    result.errors.sort(key=lambda error: error.row)  # the report reads down the sheet
    counts = {"rows": result.rows, "created": result.created, "errors": len(result.errors)}
    audit_record(action=AuditAction.REGISTRY_IMPORT, actor=actor, obj="household_groups", changes=counts)
    return result
