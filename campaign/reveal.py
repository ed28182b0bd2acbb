"""A reveal of full personal values: asked with a reason from a fixed list, allowed to some roles, always logged.

`?reveal=1&reason=核实` on a detail read (registry, ticket) or an admin change page. A reveal without a known
reason is refused (400 naming `reason`) whatever the role, so a client cannot learn who may reveal by probing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.clients import client_address
from campaign.errors import Invalid
from campaign.models import AccessLog, AuditAction, RevealReason, User
from campaign.scope import may_reveal_personal_data

REVEAL_VALUES = {"1": True, "true": True, "0": False, "false": False}


def requested_reason(params: Mapping[str, Any]) -> str | None:
    """The reason of a requested reveal; None when no reveal is asked. Raises Invalid for a bad `reveal`/`reason`."""
    reveal = params.get("reveal") or "0"
    if reveal not in REVEAL_VALUES:
        raise Invalid.field("reveal", _("取值应为：%(v)s") % {"v": ", ".join(REVEAL_VALUES)})
    if not REVEAL_VALUES[reveal]:
        return None
    reason = params.get("reason") or ""
    if reason not in RevealReason.values:
        raise Invalid.field(
            "reason", _("查看完整信息须说明原因，取值应为：%(v)s") % {"v": "、".join(RevealReason.values)}
        )
    return str(reason)


def record(*, request: HttpRequest, user: User, obj: Any, fields: Iterable[str], reason: str) -> None:
    """Who read the full values of `fields` of `obj`, from where, why (never the values themselves): the access log
    (its review page) and the audit trail."""
    fields = list(fields)
    AccessLog.objects.create(
        user=user,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        fields=",".join(fields),
        reason=reason,
        client=client_address(request),
    )
    audit_record(
        action=AuditAction.REVEAL, actor=user, obj=obj, changes={"fields": fields, "reason": reason}, request=request
    )


def reveal(request: HttpRequest, user: User, obj: Any, fields: Iterable[str], params: Mapping[str, Any]) -> bool:
    """True when full values of `obj` may be shown for this request (and the read is then logged)."""
    reason = requested_reason(params)
    if reason is None or not may_reveal_personal_data(user):
        return False
    record(request=request, user=user, obj=obj, fields=fields, reason=reason)
    return True
