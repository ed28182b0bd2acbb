"""Writes of the campaign app: registries, and the access log of full personal-data reads."""

from __future__ import annotations

from typing import Any

from campaign.audit import audit_record, registry_diff, registry_values
from campaign.errors import Invalid, NotAllowed
from campaign.models import AuditAction, Enterprise, Household, OrgUnit, Role, UnitKind, User
from campaign.scope import unit_in_scope
from campaign.selectors import grid_for_point

REGISTRY_WRITERS = {Role.ADMIN, Role.DISPATCHER, Role.CADRE}


def _grid_for(*, actor: User, unit: OrgUnit | None, lat: float | None, lng: float | None) -> OrgUnit:
    """The grid a registry row belongs to: the given one, else the grid holding its point; always in scope."""
    if unit is None:
        unit = grid_for_point(lat, lng)
        if unit is None:
            raise Invalid.field("unit", "请指定网格，或提供位于某个网格内的坐标。")
    unit = unit_in_scope(actor, unit.pk)
    if unit.kind != UnitKind.GRID:
        raise Invalid.field("unit", "住户和企业应归属到网格。")
    return unit


def _check_writer(actor: User) -> None:
    if not (actor.is_superuser or actor.role in REGISTRY_WRITERS):
        raise NotAllowed("您的角色不能修改台账。")


def household_create(*, actor: User, data: dict[str, Any]) -> Household:
    """A cadre's household found on the spot stays unconfirmed until an admin confirms it, and carries its point: a
    household with none makes every later visit to it unverifiable (no_reference)."""
    _check_writer(actor)
    if actor.role == Role.CADRE and (data.get("lat") is None or data.get("lng") is None):
        raise Invalid.field("lat", "现场新增住户须带位置：请等待手机定位，或在地图上点选住户位置。")
    unit = _grid_for(actor=actor, unit=data.pop("unit", None), lat=data.get("lat"), lng=data.get("lng"))
    confirmed = actor.is_admin_role and data.pop("confirmed", True)
    data.pop("confirmed", None)
    household = Household(**data, unit=unit, confirmed=confirmed, created_by=actor)
    household.full_clean()
    household.save()
    audit_record(
        action=AuditAction.REGISTRY_CREATE, actor=actor, obj=household, changes={"new": registry_values(household)}
    )
    return household


def household_update(*, actor: User, household: Household, data: dict[str, Any]) -> Household:
    _check_writer(actor)
    if "unit" in data:
        data["unit"] = _grid_for(actor=actor, unit=data["unit"], lat=None, lng=None)
    if "confirmed" in data and not actor.is_admin_role:
        raise NotAllowed("只有管理员可以确认住户。")
    old = registry_values(household, data)
    for name, value in data.items():
        setattr(household, name, value)
    fields = list(data)
    group = household.group if household.group_id is not None else None
    if group is not None and group.unit_id != household.unit_id:
        household.group = None  # moved out of its group's grid: no longer of the group (campaign.household_groups)
        fields.append("group")
    household.full_clean()
    household.save(update_fields=fields)
    diff = registry_diff(old, registry_values(household, data))
    audit_record(action=AuditAction.REGISTRY_UPDATE, actor=actor, obj=household, changes=diff)
    return household


def enterprise_create(*, actor: User, data: dict[str, Any]) -> Enterprise:
    _check_writer(actor)
    unit = _grid_for(actor=actor, unit=data.pop("unit", None), lat=data.get("lat"), lng=data.get("lng"))
    data["credit_code"] = data["credit_code"].strip().upper()
    enterprise = Enterprise(**data, unit=unit)
    enterprise.full_clean()
    enterprise.save()
    audit_record(
        action=AuditAction.REGISTRY_CREATE, actor=actor, obj=enterprise, changes={"new": registry_values(enterprise)}
    )
    return enterprise


def enterprise_update(*, actor: User, enterprise: Enterprise, data: dict[str, Any]) -> Enterprise:
    _check_writer(actor)
    if "unit" in data:
        data["unit"] = _grid_for(actor=actor, unit=data["unit"], lat=None, lng=None)
    if "credit_code" in data:
        data["credit_code"] = data["credit_code"].strip().upper()
    old = registry_values(enterprise, data)
    for name, value in data.items():
        setattr(enterprise, name, value)
    enterprise.full_clean()
    enterprise.save(update_fields=list(data))
    diff = registry_diff(old, registry_values(enterprise, data))
    audit_record(action=AuditAction.REGISTRY_UPDATE, actor=actor, obj=enterprise, changes=diff)
    return enterprise
