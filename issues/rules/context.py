"""What a rule or an effect of the machine works on: the locked ticket, the request's data, the errors found so far,
what changed, the event's payload and the notices to send after commit (issues/machine.py ticket_apply)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from campaign.models import User
from issues.models import Ticket
from issues.notices import Notice

NOTE_LIMIT = 4000


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
                at=self.now.isoformat(),
                unit_ids=[u for u in unit_ids if u],
                user_ids=[u for u in user_ids if u],
                exclude_user_id=self.actor.pk if self.actor else None,
            )
        )

    def notify_requesters(self, kind: str, text: str, ticket_ids: Iterable[int]) -> None:
        """A notice to the requesters of `ticket_ids` (this ticket's and the ones merged into it), after commit."""
        ids = sorted({pk for pk in ticket_ids if pk})
        if ids:
            self.notices.append(
                Notice(
                    ticket_id=self.ticket.pk, kind=kind, text=text, at=self.now.isoformat(), requester_ticket_ids=ids
                )
            )
