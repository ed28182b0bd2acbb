"""Household groups (户区, issue 16 item 4): writes and the reporter's scope.

A group is about ten households of one grid under a 户长 (`head`) and perhaps a 楼长 (`second_head`), both users of
the light role `reporter`. A reporter reads and reports for the households of the groups they head and nothing else
(SPEC §1): campaign.scope.households_visible_to gives them their groups' households, issues.selectors gives them the
tickets they raised only (campaign.scope.is_reporter), and campaign.fence keeps them off every other page and endpoint.

Used by the admin (campaign/admin_household_groups.py) and the Excel import (campaign/household_group_import.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.errors import Invalid, NotAllowed
from campaign.models import AuditAction, Household, HouseholdGroup, OrgUnit, Role, UnitKind, User
from campaign.scope import unit_in_scope

GROUP_MAX = 50  # households in one group: about ten in practice (十户联治); a larger group is a mistake
GROUP_WRITERS = {Role.ADMIN}


def groups_of(user: User) -> QuerySet[HouseholdGroup]:
    """The groups a reporter heads, as 户长 or as 楼长 (two indexed arms)."""
    return HouseholdGroup.objects.filter(Q(head=user) | Q(second_head=user))


def check_group_writer(actor: User) -> None:
    if not (actor.is_superuser or actor.role in GROUP_WRITERS):
        raise NotAllowed(_("只有管理员可以维护户区。"))


def check_head(user: User | None, field: str) -> None:
    """A group's head (户长) or second head (楼长) is a user of the role `reporter`."""
    if user is not None and user.role != Role.REPORTER:
        raise Invalid.field(field, _("户长、楼长须为“户长/楼长”角色的账号。"))


def check_members(group: HouseholdGroup, households: Iterable[Household]) -> None:
    """Every member in the group's grid, in no other group, and not too many (400 on `households`)."""
    rows = list(households)
    if len(rows) > GROUP_MAX:
        raise Invalid.field("households", _("一个户区最多 %(n)d 户。") % {"n": GROUP_MAX})
    for household in rows:
        if household.unit_id != group.unit_id:
            message = _("住户“%(a)s”不在户区所在网格内。") % {"a": household.address}
            raise Invalid.field("households", message)
        if household.group_id not in (None, group.pk):
            message = _("住户“%(a)s”已属于其他户区。") % {"a": household.address}
            raise Invalid.field("households", message)


def _check_group(actor: User, group: HouseholdGroup) -> OrgUnit:
    grid = unit_in_scope(actor, group.unit_id)
    if grid.kind != UnitKind.GRID:
        raise Invalid.field("unit", _("户区应归属到网格。"))
    check_head(group.head, "head")
    check_head(group.second_head, "second_head")
    if group.second_head_id is not None and group.second_head_id == group.head_id:
        raise Invalid.field("second_head", _("楼长与户长不能是同一账号。"))
    return grid


def household_group_save(
    *, actor: User, group: HouseholdGroup, households: Iterable[Household] | None = None
) -> HouseholdGroup:
    """Create or update a group and, when `households` is given, set its members to exactly those. The grid must be
    in the actor's scope (404), the heads reporters, the members of the group's grid (400). A group's grid cannot
    change while it has members (their grid is theirs). Nothing is stored if a rule fails."""
    check_group_writer(actor)
    _check_group(actor, group)
    members = list(households) if households is not None else None
    with transaction.atomic():
        if group.pk is not None:
            old_unit = HouseholdGroup.objects.filter(pk=group.pk).values_list("unit_id", flat=True).first()
            if old_unit not in (None, group.unit_id) and group.households.exists():
                raise Invalid.field("unit", _("户区已有住户，不能改到其他网格。"))
        if members is not None:
            check_members(group, members)
        group.save()
        if members is not None:
            _set_members(group, members)
    audit_record(
        action=AuditAction.REGISTRY_UPDATE,
        actor=actor,
        obj=group,
        changes={"group": group.name, "members": len(members) if members is not None else None},
    )
    return group


def _set_members(group: HouseholdGroup, members: list[Household]) -> None:
    ids = [household.pk for household in members]
    Household.objects.filter(group=group).exclude(pk__in=ids).update(group=None)
    Household.objects.filter(pk__in=ids).update(group=group)
