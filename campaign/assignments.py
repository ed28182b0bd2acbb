"""Assignments (包户/包企/挂点, issue 16 item 1): writes and the scoped reads they start from.

Who may: an admin, a leader or a dispatcher assigns; the assignee is a cadre or a leader. Every lookup starts from the
assigner's scope, so a target, a unit or a user out of it is 404 (SPEC §1), before the role's 403; a target must also
lie in the assignee's scope (a 400 naming the field), so nobody is made responsible for a door they cannot log.

Every write is idempotent: an assignment is unique per (user, target) in the database, a bulk assign inserts only
the pairs not there yet (ON CONFLICT DO NOTHING behind it for a concurrent twin), so running it twice adds nothing.
The Excel import is campaign/assignment_import.py; the coverage and the phone page's list are visits/assignments.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.fields import text_error
from campaign.models import (
    Assignment,
    AssignmentTarget,
    AuditAction,
    Enterprise,
    Household,
    KeyProject,
    OrgUnit,
    Role,
    User,
)
from campaign.models.assignments import TARGET_FIELDS
from campaign.models.org import PATH_STEP
from campaign.scope import (
    enterprises_visible_to,
    households_visible_to,
    in_subtree,
    sees_everything,
    unit_in_scope,
    within,
)

ASSIGNER_ROLES = {Role.ADMIN, Role.LEADER, Role.DISPATCHER}
ASSIGNEE_ROLES = {Role.CADRE, Role.LEADER}
# A bulk assignment names at most this many targets: a large grid holds ~2,000 doors; a street's 30,000 is a typo
# (choose its grids), and one insert of that size would hold the table's locks for seconds.
BULK_MAX = 5000
BATCH_MAX = 100  # Assignment.batch
TAG_MAX = 20

Target = Household | Enterprise | KeyProject


@dataclass(frozen=True)
class BulkResult:
    batch: str
    created: int  # pairs inserted now
    existing: int  # pairs that were there already (a second run: all of them)


# --- reads ------------------------------------------------------------------------------------------------------
def key_projects_visible_to(user: User) -> QuerySet[KeyProject]:
    return within(KeyProject.objects.select_related("unit"), user)


def assignments_visible_to(user: User) -> QuerySet[Assignment]:
    """Assignments whose target lies in the user's scope, and the user's own (a cadre moved to another grid still
    sees what is assigned to them until it is reassigned)."""
    base = Assignment.objects.all()
    if not user.is_authenticated:
        return base.none()
    if sees_everything(user):
        return base
    return within(base, user) | base.filter(user=user)


def targets_visible_to(user: User, target_type: str) -> QuerySet[Any]:
    """The registry of one target type, in the user's scope; Invalid for an unknown type."""
    if target_type == AssignmentTarget.HOUSEHOLD:
        return households_visible_to(user)
    if target_type == AssignmentTarget.ENTERPRISE:
        return enterprises_visible_to(user)
    if target_type == AssignmentTarget.PROJECT:
        return key_projects_visible_to(user)
    raise Invalid.field("target_type", _("对象类型应为 household、enterprise 或 project。"))


def target_in_scope(user: User, target_type: str, target_id: Any) -> Target:
    """The target named by (type, id), if the user sees it; OutOfScope (404) otherwise, malformed ids included."""
    qs = targets_visible_to(user, target_type)
    try:
        target: Target = qs.get(pk=int(target_id))
    except (TypeError, ValueError, OverflowError, qs.model.DoesNotExist):
        raise OutOfScope(_("对象不存在或不在您的管辖范围内。")) from None
    return target


def assignees_visible_to(actor: User) -> QuerySet[User]:
    """Active users whose home unit lies in the actor's scope: those the actor may name as an assignee."""
    return within(User.objects.filter(is_active=True).select_related("unit"), actor)


def assignee_in_scope(actor: User, user_id: Any) -> User:
    """The user named as assignee: out of the actor's scope is 404; a role that takes no assignment is 400."""
    try:
        user = assignees_visible_to(actor).get(pk=int(user_id))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        raise OutOfScope(_("用户不存在或不在您的管辖范围内。")) from None
    if user.role not in ASSIGNEE_ROLES:
        raise Invalid.field("user", _("只能包联给走访干部或领导。"))
    return user


def covers(user: User, unit: OrgUnit) -> bool:
    """Does `unit` lie in the user's scope?"""
    if sees_everything(user):
        return True
    return user.unit is not None and user.unit.contains(unit)


# --- checks -----------------------------------------------------------------------------------------------------
def check_assigner(actor: User) -> None:
    if not (actor.is_superuser or actor.role in ASSIGNER_ROLES):
        raise NotAllowed(_("您的角色不能分配包联对象。"))


def clean_label(value: Any, *, field: str, limit: int, required: bool = False) -> str:
    """A batch label or a tag: text without control characters, bounded; Invalid naming `field` otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid.field(field, _("应为文本。"))
    text = value.strip()
    error = text_error(text)
    if error:
        raise Invalid.field(field, error)
    if len(text) > limit:
        raise Invalid.field(field, _("不能超过 %(n)d 个字符。") % {"n": limit})
    if required and not text:
        raise Invalid.field(field, _("必填。"))
    return text


def district_of(path: str) -> int:
    """The district id of a unit, read off its path (as OrgUnit.district_id): bulk inserts skip save()."""
    return int(path[: PATH_STEP - 1])


# --- writes -----------------------------------------------------------------------------------------------------
def assignment_create(
    *, actor: User, user_id: Any, target_type: str, target_id: Any, batch: Any = ""
) -> tuple[Assignment, bool]:
    """Assign one target to one user: (assignment, created). The same pair again returns the stored row."""
    target = target_in_scope(actor, target_type, target_id)
    assignee = assignee_in_scope(actor, user_id)
    check_assigner(actor)
    label = clean_label(batch, field="batch", limit=BATCH_MAX)
    if not covers(assignee, target.unit):
        raise Invalid.field("target_id", _("该对象不在被包联人的管辖范围内。"))
    field = TARGET_FIELDS[AssignmentTarget(target_type)]
    with transaction.atomic():
        assignment, created = Assignment.objects.get_or_create(
            user=assignee,
            **{field: target},
            defaults={
                "target_type": target_type,
                "district_id": target.unit.district_id,
                "unit": target.unit,
                "batch": label,
                "assigned_by": actor,
            },
        )
        if created:
            audit_record(
                action=AuditAction.REGISTRY_CREATE,
                actor=actor,
                obj=assignment,
                changes={"new": {"user": assignee.pk, "target_type": target_type, "target_id": target.pk}},
            )
    return assignment, created


def assignment_delete(*, actor: User, assignment_id: Any) -> None:
    """Remove one assignment seen in the actor's scope (404 otherwise; 403 for a role that does not assign)."""
    try:
        assignment = assignments_visible_to(actor).get(pk=int(assignment_id))
    except (TypeError, ValueError, OverflowError, Assignment.DoesNotExist):
        raise OutOfScope() from None
    check_assigner(actor)
    with transaction.atomic():
        audit_record(
            action=AuditAction.REGISTRY_DELETE,
            actor=actor,
            obj=assignment,
            changes={"old": {"user": assignment.user_id, "target_type": assignment.target_type}},
        )
        assignment.delete()


TargetRow = tuple[str, int, int, str]  # (target type, target id, unit id, unit path)


def _rows(qs: QuerySet[Any], target_type: str) -> list[TargetRow]:
    return [(target_type, pk, unit_id, path) for pk, unit_id, path in qs.values_list("pk", "unit_id", "unit__path")]


def assign_many(*, actor: User, assignee: User, rows: Iterable[TargetRow], batch: str) -> BulkResult:
    """Insert the pairs (assignee, target) not there yet, in one transaction; callers have checked scope and role.

    The pairs already stored are read first (one query per type), the rest inserted with ON CONFLICT DO NOTHING, so
    a concurrent twin run adds nothing either (it may then count a pair as created that the other run inserted)."""
    rows = list(dict.fromkeys(rows))
    if len(rows) > BULK_MAX:
        raise Invalid.field("targets", _("一次最多分配 %(n)d 个对象，请缩小范围。") % {"n": BULK_MAX})
    with transaction.atomic():
        taken: set[tuple[str, int]] = set()
        for target_type in {row[0] for row in rows}:
            field = TARGET_FIELDS[AssignmentTarget(target_type)]
            ids = [row[1] for row in rows if row[0] == target_type]
            stored = Assignment.objects.filter(user=assignee, **{f"{field}_id__in": ids}).values_list(field, flat=True)
            taken.update((target_type, pk) for pk in stored)
        new = [
            Assignment(
                user=assignee,
                target_type=target_type,
                **{f"{TARGET_FIELDS[AssignmentTarget(target_type)]}_id": pk},
                unit_id=unit_id,
                district_id=district_of(path),
                batch=batch,
                assigned_by=actor,
            )
            for target_type, pk, unit_id, path in rows
            if (target_type, pk) not in taken
        ]
        Assignment.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        if new:
            counts = {"user": assignee.pk, "batch": batch, "created": len(new)}
            audit_record(action=AuditAction.REGISTRY_CREATE, actor=actor, obj="assignments", changes=counts)
    return BulkResult(batch=batch, created=len(new), existing=len(rows) - len(new))


def assignments_bulk_by_unit(
    *,
    actor: User,
    user_id: Any,
    unit_id: Any,
    target_types: Iterable[str] = ("household", "enterprise"),
    batch: Any = "",
) -> BulkResult:
    """Every household and/or enterprise of a unit (a grid, or any unit: its subtree) to one user."""
    unit = unit_in_scope(actor, unit_id)
    assignee = assignee_in_scope(actor, user_id)
    check_assigner(actor)
    # The default label is stored data, in Chinese whatever the request's language (as a unit's name is).
    label = clean_label(batch, field="batch", limit=BATCH_MAX) or f"网格：{unit.name}"
    if not covers(assignee, unit):
        raise Invalid.field("unit", _("该单位不在被包联人的管辖范围内。"))
    rows: list[TargetRow] = []
    for target_type in dict.fromkeys(target_types):
        if target_type == AssignmentTarget.PROJECT:
            raise Invalid.field("target_types", _("按网格分配只适用于住户和企业。"))
        rows += _rows(in_subtree(targets_visible_to(actor, target_type), unit).order_by("pk"), target_type)
    return assign_many(actor=actor, assignee=assignee, rows=rows, batch=label[:BATCH_MAX])


def households_tagged(qs: QuerySet[Household], tag: str) -> QuerySet[Household]:
    """Households carrying `tag`: JSON containment on PostgreSQL (jsonb @>); SQLite (the embedded demo) has no such
    lookup, so its ids are picked in Python there."""
    if connection.vendor == "postgresql":
        return qs.filter(tags__contains=[tag])
    ids = [pk for pk, tags in qs.values_list("pk", "tags") if isinstance(tags, list) and tag in tags]
    return qs.filter(pk__in=ids)


def assignments_bulk_by_tag(*, actor: User, user_id: Any, tag: Any, unit_id: Any = None, batch: Any = "") -> BulkResult:
    """Every household with the tag (e.g. 独居老人) in both scopes — the assigner's and the assignee's — and in
    `unit` when given, to one user."""
    unit = unit_in_scope(actor, unit_id) if unit_id not in (None, "") else None
    assignee = assignee_in_scope(actor, user_id)
    check_assigner(actor)
    tag_text = clean_label(tag, field="tag", limit=TAG_MAX, required=True)
    label = clean_label(batch, field="batch", limit=BATCH_MAX) or f"标签：{tag_text}"  # stored: Chinese, as above
    households = within(households_visible_to(actor), assignee)
    if unit is not None:
        households = in_subtree(households, unit)
    rows = _rows(households_tagged(households, tag_text).order_by("pk"), AssignmentTarget.HOUSEHOLD)
    return assign_many(actor=actor, assignee=assignee, rows=rows, batch=label[:BATCH_MAX])
