"""The rules and effects named in the machine's table (issues/machine.py): field parsing, mode rules, changes.

A rule adds field errors to ctx.errors (the machine answers 400 naming every one); an effect changes the locked
ticket and lists what it changed in ctx.changed; a guard returns a message for a 409. Nothing here saves the
ticket or writes the event: ticket_apply does, once.

One module per seam: context (Ctx, Notice), fields (parsing), dispatch (the five clarities and each mode's dispatch
rule, reassign, return, accept), extensions (request, grant, refuse), handling (instructions, progress, co-units, resolve and the modes' proofs),
closing (callback, close, supervise, cancel).
"""

from issues.rules.closing import (
    callback,
    callback_rule,
    cancel,
    cancel_rule,
    close,
    close_guard,
    supervise,
    supervise_guard,
    supervise_rule,
)
from issues.rules.context import Ctx, Notice
from issues.rules.dispatch import accept, dispatch, dispatch_rule, reassign, reassign_rule, return_, return_rule
from issues.rules.extensions import (
    extend,
    extend_rule,
    extension_pending_guard,
    later_due_at_rule,
    refuse_extension,
    request_extension,
)
from issues.rules.fields import parse_moment
from issues.rules.handling import (
    answer_directly,
    answer_directly_guard,
    answer_directly_rule,
    assist,
    instruct,
    progress,
    resolve,
    resolve_on_site,
    resolve_on_site_rule,
    resolve_rule,
)

__all__ = [
    "Ctx",
    "Notice",
    "accept",
    "answer_directly",
    "answer_directly_guard",
    "answer_directly_rule",
    "assist",
    "callback",
    "callback_rule",
    "cancel",
    "cancel_rule",
    "close",
    "close_guard",
    "dispatch",
    "dispatch_rule",
    "extend",
    "extend_rule",
    "extension_pending_guard",
    "instruct",
    "later_due_at_rule",
    "parse_moment",
    "progress",
    "reassign",
    "reassign_rule",
    "refuse_extension",
    "request_extension",
    "resolve",
    "resolve_on_site",
    "resolve_on_site_rule",
    "resolve_rule",
    "return_",
    "return_rule",
    "supervise",
    "supervise_guard",
    "supervise_rule",
]
