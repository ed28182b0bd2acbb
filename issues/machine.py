"""The six-handling machine (SPEC §5): ONE declarative table of actions and ONE function that applies them.

Read ACTIONS below to learn the whole workflow: each row names the states it starts from, the state it leads to,
who may take it, the fields it needs, the extra checks of its mode (issues/rules/) and what it changes.
`ticket_apply` checks, in this order (SPEC §1): scope 404 → who 403 → from-state 409 → version 409 → fields 400,
then applies the action, writes exactly one TicketEvent, saves with update_fields and bumps `version`
(except `supervise`), and sends notifications after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.errors import Invalid, NotAllowed, OutOfScope, StaleVersion, WrongState
from campaign.models import User
from issues import rules
from issues.models import OPEN_STATUSES, Status, Ticket, TicketEvent
from issues.rules import Ctx
from issues.selectors import ticket_in_scope
from issues.who import any_leader, co_unit_handler, dispatcher, lead_unit_handler, raising_cadre, supervisor

R, D, A, P = Status.REPORTED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS
WORKING = frozenset({A, P})
OPEN = frozenset(OPEN_STATUSES)

Who = Callable[[Ticket, User | None], bool]


@dataclass(frozen=True)
class Action:
    name: str
    frm: frozenset[str]
    to: str | None  # None: the status stays (or, for callback, the rating decides: see rules.callback)
    who: Who
    needs: tuple[str, ...] = ()  # fields the request body must carry, non-empty
    rule: Callable[[Ctx], None] | None = None  # mode rules and field parsing: adds to ctx.errors (→ 400)
    guard: Callable[[Ticket, Any], str | None] | None = None  # a state-like precondition: a message → 409
    effect: Callable[[Ctx], None] | None = None  # changes the ticket; lists the changed fields in ctx.changed
    checks_version: bool = True  # supervise neither checks nor bumps version (SPEC §5)
    label: str = ""


# The whole workflow, one row per action (SPEC §5). Kept one row per line on purpose: read it as a table.
# fmt: off
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("resolve_on_site", frozenset({R}), Status.RESOLVED, raising_cadre, ("result",),
               rule=rules.resolve_on_site_rule, effect=rules.resolve_on_site, label="现场解决"),
        Action("answer_directly", frozenset({R}), Status.RESOLVED, dispatcher, ("result",),
               rule=rules.answer_directly_rule, guard=rules.answer_directly_guard, effect=rules.answer_directly,
               label="直办答复"),
        Action("dispatch", frozenset({R}), D, dispatcher,
               rule=rules.dispatch_rule, effect=rules.dispatch, label="派单"),
        Action("return", frozenset({D}), R, lead_unit_handler, ("reason",),
               rule=rules.return_rule, effect=rules.return_, label="退回"),
        Action("accept", frozenset({D}), A, lead_unit_handler, effect=rules.accept, label="签收"),
        Action("reassign", frozenset({D, A, P}), D, dispatcher, ("reason",),
               rule=rules.reassign_rule, effect=rules.reassign, label="改派"),
        Action("request_extension", WORKING, None, lead_unit_handler, ("due_at", "reason"),
               rule=rules.later_due_at_rule, effect=rules.request_extension, label="申请延期"),
        Action("extend", WORKING, None, dispatcher, ("reason",),  # due_at: the pending request's by default
               rule=rules.extend_rule, effect=rules.extend, label="延期"),
        Action("refuse_extension", WORKING, None, dispatcher, ("reason",),
               guard=rules.extension_pending_guard, effect=rules.refuse_extension, label="拒绝延期"),
        Action("instruct", OPEN, None, any_leader, ("note",), effect=rules.instruct, label="领导批示"),
        Action("progress", WORKING, P, lead_unit_handler, ("note",), effect=rules.progress, label="进展"),
        Action("assist", WORKING, None, co_unit_handler, ("part",), effect=rules.assist, label="协办"),
        Action("resolve", WORKING, Status.RESOLVED, lead_unit_handler, ("result",),
               rule=rules.resolve_rule, effect=rules.resolve, label="办结"),
        Action("callback", frozenset({Status.RESOLVED}), None, dispatcher, ("rating",),
               rule=rules.callback_rule, effect=rules.callback, label="回访"),
        Action("close", frozenset({Status.RESOLVED}), Status.CLOSED, dispatcher,
               guard=rules.close_guard, effect=rules.close, label="关闭"),
        Action("supervise", OPEN, None, supervisor,
               rule=rules.supervise_rule, guard=rules.supervise_guard, effect=rules.supervise,
               checks_version=False, label="督办"),
        Action("cancel", frozenset({R, D, A, P}), Status.CANCELLED, dispatcher, ("reason",),
               rule=rules.cancel_rule, effect=rules.cancel, label="撤销"),
    ]
}
# fmt: on


def allowed_actions(ticket: Ticket, user: User | None) -> list[str]:
    """The actions `user` may take now (scope assumed: the caller read the ticket through tickets_visible_to)."""
    now = timezone.now()
    return [
        a.name
        for a in ACTIONS.values()
        if ticket.status in a.frm and a.who(ticket, user) and (a.guard is None or a.guard(ticket, now) is None)
    ]


def _missing(action: Action, data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in action.needs:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            errors[name] = [_("此项必填。")]
    return errors


def ticket_apply(*, ticket_id: int, action: str, actor: User | None, version: Any, data: dict[str, Any]) -> Ticket:
    """Apply `action` to the ticket as `actor` (None = the system's escalation job). Locks the ticket row.

    Raises OutOfScope / NotAllowed / WrongState / StaleVersion / Invalid, in that order of precedence;
    on any of them nothing changes. Nests inside an outer atomic block.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise OutOfScope(_("没有这个操作。"))
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("unit", "lead_unit", "campaign")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or (actor is not None and not ticket_in_scope(ticket, actor)):
            raise OutOfScope()
        if not spec.who(ticket, actor):
            raise NotAllowed(_("您无权对该工单执行“%(a)s”。") % {"a": spec.label})
        now = timezone.now()
        if ticket.status not in spec.frm:
            raise WrongState(
                _("工单当前状态为“%(s)s”，不能执行“%(a)s”。") % {"s": ticket.get_status_display(), "a": spec.label}
            )
        if spec.guard is not None and (message := spec.guard(ticket, now)):
            raise WrongState(message)
        if spec.checks_version:
            _check_version(ticket, version)
        ctx = Ctx(ticket=ticket, actor=actor, data=data, now=now, errors=_missing(spec, data))
        if spec.rule is not None:
            spec.rule(ctx)
        if ctx.errors:
            raise Invalid(ctx.errors)
        from_status = ticket.status
        if spec.to is not None:
            ticket.status = spec.to
            ctx.changed.add("status")
        if spec.effect is not None:
            spec.effect(ctx)
        if spec.checks_version:
            ticket.version += 1
            ctx.changed.add("version")
        ticket.save(update_fields=sorted(ctx.changed | {"updated_at"}))
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=ticket.status,
            note=ctx.note(),
            payload=ctx.payload,
            at=now,
        )
        for notice in ctx.notices:
            transaction.on_commit(notice.send)
    return ticket


def _check_version(ticket: Ticket, version: Any) -> None:
    try:
        given = int(version)
    except (TypeError, ValueError):
        raise Invalid.field("version", _("请提供工单的当前版本号 version。")) from None
    if given != ticket.version:
        raise StaleVersion(_("工单已被他人更新（当前版本 %(v)d），请刷新后重试。") % {"v": ticket.version})
