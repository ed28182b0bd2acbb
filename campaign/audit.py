"""The audit trail (issue 12 item 5): `audit_record`, the one writer of campaign.AuditEvent, and its upkeep.

Every audited act goes through `audit_record`: logins (Django's login signals, connected in `connect()`), reveals
(campaign.reveal.record), exports (exports.ledger_response), registry writes (services, importer) and admin
changes (a post_save on Django admin's LogEntry). Personal values are masked here, once, by the name of the field
they come under, whoever the caller: names and phones with campaign.validators' masks, ID numbers with theirs (never
in clear), passwords and keyed hashes not at all. The client address is the request's (campaign.clients), taken
from the request being served when the caller has none at hand (`AuditRequestMiddleware`).

On PostgreSQL the table is partitioned by month (migration 0004_audit): `audit_partitions` creates this month's and
the next two months' partitions, `audit_retention` drops whole partitions older than AUDIT_RETENTION_DAYS (at least
180) — never a DELETE, which the table's trigger refuses anyway. Both run daily (CELERY_BEAT_SCHEDULE).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from celery import shared_task
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.signals import post_save, pre_delete
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from campaign import partitions as monthly
from campaign.clients import client_address
from campaign.models import AuditAction, AuditEvent, Enterprise, Household, User
from campaign.validators import mask_id_number, mask_name, mask_phone

log = logging.getLogger(__name__)

MIN_RETENTION_DAYS = 180  # 等保 2.0 / 网络安全法 §21: logs kept at least six months
TABLE = "campaign_auditevent"


# --- masking ------------------------------------------------------------------------------------------------------
def _mask_search(value: str) -> str:
    """A free search term may be a name or a phone: masked as whichever it looks like."""
    return mask_phone(value) if any(c.isdigit() for c in value) else mask_name(value)


# Keys whose values are personal: stored masked, whatever structure of `changes` they appear in.
PERSONAL: dict[str, Callable[[str], str]] = {
    "head_name": mask_name,
    "contact_name": mask_name,
    "display_name": mask_name,
    "first_name": mask_name,
    "last_name": mask_name,
    "phone": mask_phone,
    "contact_phone": mask_phone,
    "q": _mask_search,
    "search": _mask_search,
}


def _is_sensitive(key: str) -> bool:
    return "id_number" in key


def _is_secret(key: str) -> bool:
    """Never stored in any form: passwords, and keyed hashes (they find a person by an exact value)."""
    return "password" in key or key.endswith("_hash") or key.endswith("_digest")


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a value (model rows by primary key, dates in ISO form)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [_plain(v) for v in value]
    return str(value)


def masked(value: Any, key: str = "") -> Any:
    """`value` as the audit table may hold it: personal values masked by the key they come under, recursively."""
    if isinstance(value, dict):
        return {str(k): masked(v, str(k)) for k, v in value.items() if not _is_secret(str(k))}
    if isinstance(value, list | tuple):
        return [masked(v, key) for v in value]
    value = _plain(value)
    if not isinstance(value, str) or not value:
        return value
    if _is_sensitive(key):
        return mask_id_number(value)
    mask = PERSONAL.get(key)
    return mask(value) if mask else value


# --- recording ----------------------------------------------------------------------------------------------------
_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)


class AuditRequestMiddleware:
    """Keeps the request being served at hand, so services deep below a view record its client address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def audit_record(
    *,
    action: str,
    actor: User | str | None,
    obj: models.Model | str | tuple[str, str] | None = None,
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit event. `actor` is a user, or the account name typed at a failed login; `obj` a row or a
    kind of object ("households" for an import) or (kind, id); `changes` is masked here (see PERSONAL)."""
    request = request if request is not None else _current_request.get()
    user = actor if isinstance(actor, User) and actor.pk is not None else None
    if isinstance(obj, models.Model):
        object_type, object_id = obj._meta.model_name or "", str(obj.pk or "")
    elif isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj or "", ""
    return AuditEvent.objects.create(
        action=action,
        actor=user,
        actor_name=(user.get_username() if user else str(actor or ""))[:150],
        object_type=object_type[:50],
        object_id=object_id[:64],
        client_address=client_address(request) if request is not None else None,
        changes=masked(changes or {}),
    )


def registry_values(obj: models.Model, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The row's own values (foreign keys by id) for a registry change: all fields, or those named."""
    wanted = set(names) if names is not None else None
    values = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or (wanted is not None and field.name not in wanted):
            continue
        values[field.name] = getattr(obj, field.attname)
    return values


def registry_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """{"old": …, "new": …} of the values that changed."""
    changed = [name for name in new if old.get(name) != new[name]]
    return {"old": {n: old.get(n) for n in changed}, "new": {n: new[n] for n in changed}}


# --- signals: logins and admin changes ----------------------------------------------------------------------------
def _via(request: HttpRequest | None) -> str:
    path = getattr(request, "path", "") or ""
    return "token" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "page"


def _login_ok(sender: Any, request: HttpRequest | None = None, user: User | None = None, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN_OK, actor=user, request=request, changes={"via": _via(request)})


def _login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    name = str((credentials or {}).get("username") or "")
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        action=AuditAction.LOGIN_FAILED, actor=name, request=request, changes={"via": _via(request), "locked": locked}
    )


def _admin_change(sender: type[LogEntry], instance: LogEntry, created: bool = False, **kwargs: Any) -> None:
    """Every change the admin logs (add, change, delete). The object's name is left out: for a user it is a
    person's name; the change message names the fields changed, not their values. (The admin logs a deletion of
    several rows at once with bulk_create, which sends no signal: those are audited by `_registry_deleted` for the
    registries, and not otherwise.)"""
    if not created:
        return
    kinds = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}
    model = ContentType.objects.get_for_id(instance.content_type_id).model if instance.content_type_id else ""
    audit_record(
        action=AuditAction.ADMIN_CHANGE,
        actor=User.objects.filter(pk=instance.user_id).first(),
        obj=(model, str(instance.object_id or "")),  # by id alone: a deleted row is gone by now or soon
        changes={
            "flag": kinds.get(instance.action_flag, str(instance.action_flag)),
            "message": instance.get_change_message(),
        },
    )


def _registry_deleted(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    """A household or enterprise deleted by any path (the API has no delete; the admin, one or many at a time):
    its values as they were, by the user of the request being served."""
    request = _current_request.get()
    user = getattr(request, "user", None)
    actor = user if isinstance(user, User) else None
    audit_record(
        action=AuditAction.REGISTRY_DELETE, actor=actor, obj=instance, changes={"old": registry_values(instance)}
    )


def connect() -> None:
    user_logged_in.connect(_login_ok, dispatch_uid="audit-login-ok")
    user_login_failed.connect(_login_failed, dispatch_uid="audit-login-failed")
    post_save.connect(_admin_change, sender=LogEntry, dispatch_uid="audit-admin-change")
    for model in (Household, Enterprise):
        pre_delete.connect(_registry_deleted, sender=model, dispatch_uid=f"audit-delete-{model._meta.model_name}")


# --- partitions and retention (PostgreSQL) ------------------------------------------------------------------------
# The month math and the DDL are campaign.partitions' (shared with visits and ticket events); these name the table.
def partition_name(year: int, month: int) -> str:
    return monthly.partition_name(TABLE, year, month)


def ensure_partition(year: int, month: int) -> bool:
    """Create the partition of one month if missing; True when it was created."""
    return monthly.ensure_partition(TABLE, year, month)


def partitions() -> dict[str, dt.datetime]:
    """Monthly partitions of the audit table → the moment their month ends (the default partition is not one)."""
    return monthly.partitions(TABLE)


def audit_partitions(now: dt.datetime | None = None) -> list[str]:
    """This month's partition and the next monthly.MONTHS_AHEAD months': the names created."""
    return monthly.partitions_ahead_of(TABLE, now)


def retention_days() -> int:
    days = int(settings.AUDIT_RETENTION_DAYS)
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS={days} is below the minimum of {MIN_RETENTION_DAYS} days")
    return days


def audit_retention(now: dt.datetime | None = None) -> list[str]:
    """Drop the monthly partitions whose whole month ended more than AUDIT_RETENTION_DAYS ago: the names dropped.
    Refuses (ImproperlyConfigured) a retention below MIN_RETENTION_DAYS before touching anything."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=retention_days())
    dropped = monthly.drop_months_before(TABLE, cutoff)
    if dropped:
        log.info("audit retention dropped partitions %s (older than %s)", ", ".join(dropped), cutoff.date())
    return dropped


@shared_task
def audit_upkeep_task() -> None:
    """Daily: partitions ready ahead, then old ones dropped. Thin and safe to run twice (STYLE 7)."""
    audit_partitions()
    audit_retention()
