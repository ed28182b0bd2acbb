"""Which rows may this user see: the one place every API view and page starts from (SPEC §1).

Scope = the home unit's subtree. "Unit X" in a filter always means X and its subtree.
Out-of-scope reads answer 404 because views only ever look rows up inside these querysets.
"""

from __future__ import annotations

from typing import TypeVar, cast

from django.db.models import Model, Q, QuerySet
from rest_framework.request import Request

from campaign.models import Enterprise, Household, OrgUnit, Role, User

M = TypeVar("M", bound=Model)


def sees_everything(user: User) -> bool:
    return bool(user.is_superuser and user.unit_id is None)


def is_reporter(user: User) -> bool:
    """The light role 户长/楼长 (SPEC §1): its scope is the households of the groups it heads, and the tickets it
    raised (issues.selectors), never its home unit's subtree; every other page and endpoint is fenced off
    (campaign.fence). A superuser is never one."""
    return bool(user.is_authenticated and user.role == Role.REPORTER and not user.is_superuser)


def reporter_households(user: User) -> QuerySet[Household]:
    """The households of the groups the reporter heads, as 户长 or as 楼长 (HouseholdGroup's two indexed arms)."""
    return Household.objects.filter(Q(group__head=user) | Q(group__second_head=user))


def within(qs: QuerySet[M], user: User, field: str = "unit") -> QuerySet[M]:
    """Rows of `qs` whose `field` (an OrgUnit FK) lies in the user's scope."""
    if sees_everything(user):
        return qs
    if not user.is_authenticated or user.unit is None or is_reporter(user):
        return qs.none()
    return in_subtree(qs, user.unit, field)


def subtree_q(unit: OrgUnit | None, *fields: str) -> Q:
    """Q matching rows where any of `fields` (OrgUnit FKs / M2Ms; default "unit") lies in "unit X and its subtree"
    (SPEC §1): one indexed prefix range on the materialized path. `unit` None matches everything (a superuser
    without a home unit). The one spelling of the subtree filter: every app filters through it or `in_subtree`,
    except where the row count of a join on the path misleads PostgreSQL's plan and the subtree's ids are listed
    instead (subtree_ids, among_subtree: the tickets' scope arms, the rollups' per-unit sums)."""
    if unit is None:
        return Q()
    q = Q()
    for field in fields or ("unit",):
        q |= Q(**{f"{field}__path__startswith": unit.path})
    return q


def in_subtree(qs: QuerySet[M], unit: OrgUnit | None, field: str = "unit") -> QuerySet[M]:
    """Rows of `qs` whose `field` lies in "unit X and its subtree" (None: all rows)."""
    return qs.filter(subtree_q(unit, field))


def subtree_ids(unit: OrgUnit) -> list[int]:
    """The ids of `unit` and the units below it, read once per loaded unit (the request's). A list of values, not a
    subquery: PostgreSQL estimates `lead_unit_id IN (…)` from the column's statistics, while for `= ANY(ARRAY(…))`
    it guessed a tenth of the table — a street's capped count of closed tickets then walked all 1,000,000 rows to
    find none, 1.1 s at city size (bench/README.md, session 14)."""
    cached: list[int] | None = getattr(unit, "_subtree_ids", None)
    if cached is None:
        cached = list(OrgUnit.objects.subtree_of(unit).order_by("pk").values_list("pk", flat=True))
        unit._subtree_ids = cached  # type: ignore[attr-defined]
    return cached


def among_subtree(qs: QuerySet[M], unit: OrgUnit | None, field: str = "unit") -> QuerySet[M]:
    """Rows of `qs` whose `field` is one of subtree_ids(unit) (None: all rows): the same rows as in_subtree, read
    through `field`'s own index where a join on the path misleads the plan (the dashboard's per-unit sums over the
    rollups: PostgreSQL guessed 42 units for a street's 57 and read every rollup of the city; bench/README.md,
    session 17)."""
    return qs if unit is None else qs.filter(**{f"{field}_id__in": subtree_ids(unit)})


def units_visible_to(user: User) -> QuerySet[OrgUnit]:
    if sees_everything(user):
        return OrgUnit.objects.all()
    if not user.is_authenticated or user.unit is None or is_reporter(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.subtree_of(user.unit)


def households_visible_to(user: User) -> QuerySet[Household]:
    if is_reporter(user):
        return reporter_households(user).select_related("unit")
    return within(Household.objects.select_related("unit"), user)


def enterprises_visible_to(user: User) -> QuerySet[Enterprise]:
    return within(Enterprise.objects.select_related("unit"), user)


def unit_in_scope(user: User, unit_id: int | str | None) -> OrgUnit:
    """The unit named by a filter or a payload, if the user sees it; OutOfScope otherwise."""
    from campaign.errors import OutOfScope

    try:
        return units_visible_to(user).get(pk=int(unit_id))  # type: ignore[arg-type]
    except (TypeError, ValueError, OrgUnit.DoesNotExist):
        raise OutOfScope("单位不存在或不在您的管辖范围内。") from None


# Roles that may read full personal data (recorded in AccessLog); leaders read figures, not phone numbers.
ROLES_SEEING_PERSONAL_DATA = {Role.ADMIN, Role.DISPATCHER, Role.HANDLER, Role.CADRE}


def may_reveal_personal_data(user: User) -> bool:
    return user.is_superuser or user.role in ROLES_SEEING_PERSONAL_DATA


def user_of(request: Request) -> User:
    """The authenticated caller (every view here requires authentication)."""
    return cast(User, request.user)
