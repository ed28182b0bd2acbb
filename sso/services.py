"""Writes of sign-on identities: the sign-in's record (`identity_seen`) and the admin's decision (`identity_link`,
`identity_refuse`). The admin's change is audited by its LogEntry (campaign.audit); a refused or pending sign-in by
`sign_in_refused`."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.audit import audit_record
from campaign.errors import Invalid
from campaign.models import AuditAction, User
from campaign.scope import within
from sso.models import IdentityStatus, SsoIdentity


def identity_seen(*, provider: str, subject: str, display_name: str) -> SsoIdentity:
    """The identity of (provider, subject), recorded as pending on its first sign-in (never an account); its last
    sign-in and the provider's current display name kept. Safe under two first sign-ins at once (the unique
    constraint decides)."""
    now = timezone.now()
    identity, created = SsoIdentity.objects.get_or_create(
        provider=provider, subject=subject, defaults={"display_name": display_name, "created_at": now}
    )
    if not created:
        identity.last_seen_at = now
        identity.display_name = display_name or identity.display_name
        identity.save(update_fields=["last_seen_at", "display_name"])
    return identity


def identity_link(*, identity: SsoIdentity, user: User, actor: User) -> SsoIdentity:
    """Link the identity to an active account the actor sees (their district's, or any for a superuser without a
    home unit); the person signs in as that account from then on. Invalid naming `user` otherwise."""
    if not user.is_active or not within(User.objects.filter(pk=user.pk), actor, "unit").exists():
        raise Invalid.field("user", _("账号不存在、已停用或不在您的管辖范围内。"))
    try:
        with transaction.atomic():
            locked = SsoIdentity.objects.select_for_update().get(pk=identity.pk)
            locked.user, locked.status = user, IdentityStatus.LINKED
            locked.decided_at, locked.decided_by = timezone.now(), actor
            locked.save(update_fields=["user", "status", "decided_at", "decided_by"])
    except IntegrityError:
        raise Invalid.field("user", _("该账号已关联此认证源的另一身份。")) from None
    return locked


def identity_refuse(*, identity: SsoIdentity, actor: User) -> SsoIdentity:
    """Refuse the identity (and unlink it if it was linked): its sign-ins are turned away."""
    with transaction.atomic():
        locked = SsoIdentity.objects.select_for_update().get(pk=identity.pk)
        locked.user, locked.status = None, IdentityStatus.REFUSED
        locked.decided_at, locked.decided_by = timezone.now(), actor
        locked.save(update_fields=["user", "status", "decided_at", "decided_by"])
    return locked


def sign_in_refused(*, provider: str, identity: SsoIdentity | None, outcome: str) -> None:
    """An SSO sign-in that logged nobody in, in the audit trail (by the identity's row, never the person's id)."""
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=f"sso:{provider}",
        obj=("ssoidentity", str(identity.pk)) if identity is not None else "ssoidentity",
        changes={"via": "sso", "outcome": outcome},
    )
