"""Excel / CSV import of assignments (包户名单, issue 16 item 1): all or nothing, with a row-by-row error report, as the
registry import (campaign/importer.py) whose reading (campaign/tabular.py) and report (RowError, ImportResult) it
shares. Used by the admin's import page (campaign/admin_assignments.py).

An assignment list is short (a district's cadres times their doors: tens of thousands of rows at most), so it is
read whole: every row checked, every name resolved in one query per kind in the assigner's scope, and only when no
row has an error are the pairs written, in one transaction (campaign.assignments.assign_many: idempotent, so a file
imported twice adds nothing the second time).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from campaign.assignments import (
    ASSIGNEE_ROLES,
    BATCH_MAX,
    TargetRow,
    assign_many,
    assignees_visible_to,
    check_assigner,
    targets_visible_to,
)
from campaign.audit import audit_record
from campaign.errors import Invalid
from campaign.fields import text_error
from campaign.import_rows import (
    HEADER_SEARCH_ROWS,
    ImportResult,
    RowError,
    Rows,
    data_rows,
    headers_in,
    read_source,
    text_of,
)
from campaign.models import AssignmentTarget, AuditAction, User
from campaign.tabular import UnreadableFile

MAX_ROWS = 50_000  # a district's whole list; a bigger file is a mistake, refused as a whole
COLUMNS: dict[str, tuple[str, ...]] = {
    "user": ("包联人账号", "账号", "用户名", "username", "user"),
    "target_type": ("对象类型", "类型", "target_type"),
    "target_id": ("对象编号", "编号", "target_id", "id"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "batch": ("包联清单", "清单", "batch"),
}
TYPE_NAMES = {
    "住户": AssignmentTarget.HOUSEHOLD,
    "household": AssignmentTarget.HOUSEHOLD,
    "企业": AssignmentTarget.ENTERPRISE,
    "enterprise": AssignmentTarget.ENTERPRISE,
    "重点项目": AssignmentTarget.PROJECT,
    "项目": AssignmentTarget.PROJECT,
    "project": AssignmentTarget.PROJECT,
}


@dataclass
class Line:
    number: int
    username: str
    target_type: str
    target_id: int | None
    credit_code: str
    batch: str


def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> dict[str, tuple[int, str]]:
    for number, values in rows:
        headers = headers_in(COLUMNS, values)
        if {"user", "target_type"} <= set(headers) and {"target_id", "credit_code"} & set(headers):
            return headers
        if number >= HEADER_SEARCH_ROWS:
            break
    raise UnreadableFile(
        _("未找到表头：前 %(n)d 行中应有列 包联人账号、对象类型、对象编号") % {"n": HEADER_SEARCH_ROWS}
    )


class Reader:
    """Pass 1 over the rows: each cleaned into a Line, or its errors recorded."""

    def __init__(self, headers: dict[str, tuple[int, str]], errors: list[RowError]) -> None:
        self.headers, self.errors = headers, errors

    def header(self, name: str) -> str:
        return self.headers[name][1] if name in self.headers else COLUMNS[name][0]

    def line(self, number: int, values: list[Any]) -> Line | None:
        raw = {name: text_of(values[i]) if i < len(values) else "" for name, (i, _h) in self.headers.items()}
        before = len(self.errors)

        def fail(name: str, message: str) -> None:
            self.errors.append(RowError(number, self.header(name), message))

        for name, value in raw.items():
            if error := text_error(value):
                fail(name, error)
        if len(self.errors) > before:
            return None
        if not raw.get("user"):
            fail("user", _("必填"))
        target_type = TYPE_NAMES.get(raw.get("target_type", "").lower(), "")
        if not target_type:
            fail("target_type", _("应为 住户、企业 或 重点项目"))
        target_id = self._target_id(raw, target_type, fail)
        if len(raw.get("batch", "")) > BATCH_MAX:
            fail("batch", _("不能超过 %(n)d 个字符") % {"n": BATCH_MAX})
        if len(self.errors) > before:
            return None
        code = raw.get("credit_code", "").upper()
        return Line(number, raw["user"], target_type, target_id, code, raw.get("batch", ""))

    def _target_id(self, raw: dict[str, str], target_type: str, fail: Any) -> int | None:
        text = raw.get("target_id", "")
        if not text:
            if not (target_type == AssignmentTarget.ENTERPRISE and raw.get("credit_code")):
                fail("target_id", _("必填（企业也可填统一社会信用代码）"))
            return None
        if not text.isdigit() or len(text) > 18:
            fail("target_id", _("应为正整数编号"))
            return None
        return int(text)


class Resolver:
    """Pass 2: users and targets named by the lines, each kind in one query inside the assigner's scope."""

    def __init__(self, actor: User, lines: list[Line]) -> None:
        names = {line.username for line in lines}
        self.users = {u.username: u for u in assignees_visible_to(actor).filter(username__in=names)}
        self.by_id: dict[str, dict[int, tuple[int, str]]] = {}
        for target_type in AssignmentTarget.values:
            ids = {line.target_id for line in lines if line.target_type == target_type and line.target_id}
            qs = targets_visible_to(actor, target_type).filter(pk__in=ids)
            self.by_id[target_type] = {pk: (unit_id, path) for pk, unit_id, path in _unit_rows(qs)}
        codes = {line.credit_code for line in lines if line.target_id is None and line.credit_code}
        qs = targets_visible_to(actor, AssignmentTarget.ENTERPRISE).filter(credit_code__in=codes)
        self.by_code = {code: (pk, unit_id, path) for pk, code, unit_id, path in _code_rows(qs)}

    def resolve(self, line: Line, reader: Reader) -> tuple[User, TargetRow] | None:
        user = self.users.get(line.username)
        if user is None:
            reader.errors.append(RowError(line.number, reader.header("user"), _("账号不存在或不在您的管辖范围内")))
            return None
        if user.role not in ASSIGNEE_ROLES:
            reader.errors.append(RowError(line.number, reader.header("user"), _("只能包联给走访干部或领导")))
            return None
        row = self._target(line)
        column = reader.header("target_id" if line.target_id is not None else "credit_code")
        if row is None:
            reader.errors.append(RowError(line.number, column, _("对象不存在或不在您的管辖范围内")))
            return None
        if not user.is_superuser and (user.unit is None or not row[3].startswith(user.unit.path)):
            reader.errors.append(RowError(line.number, column, _("该对象不在被包联人的管辖范围内")))
            return None
        return user, row

    def _target(self, line: Line) -> TargetRow | None:
        if line.target_id is not None:
            found = self.by_id[line.target_type].get(line.target_id)
            return (line.target_type, line.target_id, *found) if found else None
        hit = self.by_code.get(line.credit_code)
        return (AssignmentTarget.ENTERPRISE, *hit) if hit else None


def _unit_rows(qs: Any) -> Any:
    return qs.values_list("pk", "unit_id", "unit__path")


def _code_rows(qs: Any) -> Any:
    return qs.values_list("pk", "credit_code", "unit_id", "unit__path")


Pair = tuple[Line, User, TargetRow]


def _read(rows: Rows, *, actor: User, result: ImportResult) -> list[Pair]:
    """Every row checked and resolved; the (line, assignee, target) of the clean ones."""
    reader = Reader(_find_header(rows), result.errors)
    lines = []
    for number, values in data_rows(
        rows, result, limit=MAX_ROWS, too_many=_("文件超过 %(n)d 行，请分批导入。") % {"n": MAX_ROWS}
    ):
        line = reader.line(number, values)
        if line is not None:
            lines.append(line)
    resolver = Resolver(actor, lines)
    pairs = []
    for line in lines:
        found = resolver.resolve(line, reader)
        if found is not None:
            pairs.append((line, *found))
    return pairs


def _write(*, actor: User, pairs: list[Pair], batch: str) -> int:
    """All pairs in one transaction, grouped per (assignee, list); Invalid (a group over BULK_MAX) undoes them all."""
    groups: dict[tuple[User, str], list[TargetRow]] = defaultdict(list)
    for line, user, row in pairs:
        groups[(user, line.batch or batch)].append(row)
    created = 0
    with transaction.atomic():
        for (user, label), rows in groups.items():
            created += assign_many(actor=actor, assignee=user, rows=rows, batch=label).created
    return created


def assignments_import(*, actor: User, rows_or_file: Any, batch: str = "") -> ImportResult:
    """Import an assignment list from a path, an open binary file / UploadedFile (.xlsx or .csv) or an iterable of
    dicts keyed by header. All or nothing: with any error nothing is stored and `result.errors` lists every one.
    NotAllowed (403) for a role that does not assign. `batch` labels rows whose 包联清单 column is empty."""
    check_assigner(actor)
    result = ImportResult(kind="assignments")
    label = (batch or "导入").strip()[:BATCH_MAX]  # stored data: Chinese whatever the request's language
    pairs = read_source(rows_or_file, result, lambda rows: _read(rows, actor=actor, result=result))
    if pairs is not None and not result.errors:
        try:
            result.created = _write(actor=actor, pairs=pairs, batch=label)
        except Invalid as exc:
            result.errors.append(RowError(0, "", "; ".join(str(m) for ms in exc.payload().values() for m in ms)))
    result.errors.sort(key=lambda error: error.row)  # the report reads down the sheet
    counts = {"rows": result.rows, "created": result.created, "errors": len(result.errors)}
    audit_record(action=AuditAction.REGISTRY_IMPORT, actor=actor, obj="assignments", changes=counts)
    return result
