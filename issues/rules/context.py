"""What a rule or an effect of the machine works on: the locked ticket, the request's data, the errors found so far,
what changed, the event's payload and the notices to send after commit (issues/machine.py ticket_apply)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from campaign.models import User
from issues.models import Notification, Ticket

NOTE_LIMIT = 4000


@dataclass
class Notice:
    """An in-app notification to send after commit: to the users of `unit_ids` and to `user_ids`."""

    ticket_id: int
    kind: str
    text: str
    unit_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    exclude_user_id: int | None = None

    def send(self) -> None:
        """Run on commit by the machine: one in-app notification per recipient, never the actor."""
        notices_send([self])


def notices_send(notices: list[Notice]) -> None:
    """Send notices at once (Notice.send is one; the escalation job sends its batches): one query for the users
    of all their units, one INSERT; never to a notice's actor."""
    unit_ids = {unit_id for notice in notices for unit_id in notice.unit_ids}
    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in User.objects.filter(unit_id__in=unit_ids, is_active=True).values_list("pk", "unit_id"):
        by_unit.setdefault(unit_id, []).append(pk)
    rows = []
    for notice in notices:
        recipients = set(notice.user_ids).union(*(by_unit.get(u, []) for u in notice.unit_ids))
        recipients.discard(notice.exclude_user_id)  # type: ignore[arg-type]
        text = notice.text[:300]
        rows += [
            Notification(user_id=uid, ticket_id=notice.ticket_id, kind=notice.kind, text=text) for uid in recipients
        ]
    Notification.objects.bulk_create(rows, batch_size=500)


@dataclass
class Ctx:
    ticket: Ticket
    actor: User | None
    data: dict[str, Any]
    now: dt.datetime
    errors: dict[str, list[str]]
    clean: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    payload: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.ticket, name, value)
            self.changed.add(name)

    def note(self) -> str:
        value = self.data.get("note") or self.data.get("reason") or ""
        return str(value).strip()[:NOTE_LIMIT]

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def notify(self, kind: str, text: str, *, unit_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        self.notices.append(
            Notice(
                ticket_id=self.ticket.pk,
                kind=kind,
                text=text,
                unit_ids=[u for u in unit_ids if u],
                user_ids=[u for u in user_ids if u],
                exclude_user_id=self.actor.pk if self.actor else None,
            )
        )
