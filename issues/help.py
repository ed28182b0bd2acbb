"""Help given, counted (帮扶成效, issue 16 item 8): the amounts a resolution records, checked, written and read.

`resolve` (API body `help`: {"employed": 3, "money": 12.5}; the ticket page's fields help_<key>) may record an
amount for each count of the ticket's campaign (Campaign.help_counts; a ticket without a campaign: the default
counts). The machine's rule (issues.rules.handling.resolve_rule → help_field) refuses, naming `help`, anything but
a finite number 0..HELP_AMOUNT_MAX with at most the count's decimals, for a key the campaign counts — NaN, Infinity,
negatives, strings, booleans, unknown keys — so nothing is written; the effect (help_record) then replaces the rows of
the previous resolution with these, in the action's transaction, under the ticket's row lock. A resolution without
`help` records none: the figures are always the latest resolution's, so a reopened ticket resolved again counts once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _

from campaign.models import Campaign
from campaign.models.help_counts import (
    DEFAULT_HELP_COUNTS,
    HELP_AMOUNT_MAX,
    HELP_COUNTS_MAX,
    HelpCount,
    help_counts_of,
)
from issues.models import Ticket, TicketHelp

if TYPE_CHECKING:
    from issues.rules.context import Ctx

FORM_PREFIX = "help_"  # the ticket page's resolve form: one field per count, help_<key>


def counts_of(campaign: Campaign | None) -> list[HelpCount]:
    """The counts a ticket of `campaign` may record: the campaign's (none if its stored value is of another shape:
    the admin refuses it), or the default ones for a ticket of no campaign."""
    return help_counts_of(campaign.help_counts if campaign is not None else DEFAULT_HELP_COUNTS)


def number(amount: Decimal) -> int | float:
    """An amount as JSON gives it: a whole number as an integer, else a float (money: 12.5)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _amount(value: Any, count: HelpCount) -> Decimal | str:
    """The amount, or the message saying why not."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _("%(label)s：应为数字。") % {"label": count.label}
    try:
        amount = Decimal(value) if isinstance(value, int | Decimal) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        return _("%(label)s：应为数字。") % {"label": count.label}
    if not amount.is_finite():
        return _("%(label)s：请输入有限的数字。") % {"label": count.label}
    if not 0 <= amount <= HELP_AMOUNT_MAX:
        return _("%(label)s：应在 0 到 %(max)s 之间。") % {"label": count.label, "max": f"{HELP_AMOUNT_MAX:,}"}
    if amount != amount.quantize(Decimal(1).scaleb(-count.decimals)):
        if count.decimals == 0:
            return _("%(label)s：应为整数。") % {"label": count.label}
        return _("%(label)s：最多 %(n)d 位小数。") % {"label": count.label, "n": count.decimals}
    return amount.quantize(Decimal("0.01"))


def help_field(ctx: Ctx) -> None:
    """Parse `help` into ctx.clean["help"] ({key: Decimal}); errors go to ctx.errors["help"], each naming its count."""
    raw = ctx.data.get("help")
    ctx.clean["help"] = {}
    if raw is None:
        return
    if not isinstance(raw, dict) or len(raw) > HELP_COUNTS_MAX:
        ctx.error("help", _('帮扶成效应为对象，例如 {"employed": 3, "money": 12.5}。'))
        return
    counts = {count.key: count for count in counts_of(ctx.ticket.campaign)}
    parsed: dict[str, Decimal] = {}
    for key, value in raw.items():
        count = counts.get(key) if isinstance(key, str) else None
        if count is None:
            known = ", ".join(counts) or _("无")
            ctx.error(
                "help", _("未知的统计项 %(key)s（本活动可填：%(known)s）。") % {"key": str(key)[:30], "known": known}
            )
            continue
        amount = _amount(value, count)
        if isinstance(amount, str):
            ctx.error("help", amount)
        else:
            parsed[key] = amount
    ctx.clean["help"] = parsed


def help_record(ctx: Ctx) -> None:
    """Replace the ticket's help rows with the resolution's (call inside ticket_apply: the ticket row is locked), and
    name them in the event's payload."""
    ticket, amounts = ctx.ticket, ctx.clean.get("help") or {}
    TicketHelp.objects.filter(ticket=ticket).delete()
    TicketHelp.objects.bulk_create(
        [TicketHelp(ticket=ticket, district_id=ticket.district_id, key=key, amount=a) for key, a in amounts.items()]
    )
    if hasattr(ticket, "_prefetched_objects_cache"):
        ticket._prefetched_objects_cache.pop("help_rows", None)
    if amounts:
        ctx.payload["help"] = {key: number(amount) for key, amount in amounts.items()}


def help_figures(ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's recorded amounts with their labels, in the campaign's order (a key it no longer counts: last,
    under its key). Reads ticket.help_rows (prefetched by issues.selectors.ticket_detail)."""
    amounts = {row.key: row.amount for row in ticket.help_rows.all()}
    counts = counts_of(ticket.campaign)
    known = [c for c in counts if c.key in amounts]
    others = [HelpCount(key=key, label=key) for key in sorted(set(amounts) - {c.key for c in counts})]
    return [
        {"key": c.key, "label": c.label, "unit": c.unit, "amount": number(amounts[c.key])} for c in [*known, *others]
    ]


def help_labels() -> dict[str, HelpCount]:
    """{count key: its count} over every campaign's counts and the default ones (the first campaign naming a key
    wins): how a ledger names the amounts of tickets of many campaigns. One query."""
    values = [DEFAULT_HELP_COUNTS, *Campaign.objects.order_by("pk").values_list("help_counts", flat=True)]
    found: dict[str, HelpCount] = {}
    for value in reversed(values):  # the defaults last: a campaign's own label wins
        found.update({count.key: count for count in help_counts_of(value)})
    return found


def help_text(ticket: Ticket, labels: dict[str, HelpCount]) -> str:
    """The ticket's amounts as one cell: 解决用工 2人；帮扶资金 1.5万元 (reads the prefetched ticket.help_rows)."""
    parts = []
    for row in sorted(ticket.help_rows.all(), key=lambda r: r.key):
        count = labels.get(row.key, HelpCount(key=row.key, label=row.key))
        parts.append(f"{count.label} {number(row.amount)}{count.unit}")
    return "；".join(parts)


# --- the ticket page's resolve form ------------------------------------------------------------------------------
def add_help_fields(form: forms.Form, ticket: Ticket) -> None:
    """One optional number field per count, pre-filled with the previous resolution's amounts (a reopened ticket)."""
    current = {row.key: row.amount for row in ticket.help_rows.all()}
    for count in counts_of(ticket.campaign):
        step = "1" if count.decimals == 0 else f"{Decimal(1).scaleb(-count.decimals):f}"
        attrs = {"min": "0", "max": str(HELP_AMOUNT_MAX), "step": step, "inputmode": "decimal", "class": "help-amount"}
        label = _("%(title)s（帮扶成效，选填）") % {"title": count.title}
        name = f"{FORM_PREFIX}{count.key}"
        form.fields[name] = forms.CharField(label=label, required=False, widget=forms.NumberInput(attrs=attrs))
        if count.key in current:
            form.initial[name] = f"{current[count.key].normalize():f}"


def help_from_form(data: dict[str, Any]) -> dict[str, Any]:
    """The form's help_<key> values moved into `help`, each a Decimal where it reads as one (else left as typed, for
    the machine's rule to refuse, naming it)."""
    typed = {name.removeprefix(FORM_PREFIX): data.pop(name) for name in list(data) if name.startswith(FORM_PREFIX)}
    if typed:
        data["help"] = {key: _decimal_or_text(value) for key, value in typed.items()}
    return data


def _decimal_or_text(value: Any) -> Any:
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        return value


class HelpFields:
    """An action form of a resolution (办结, 现场解决, 直办答复; mixed in before ActionForm): one optional number field
    per count of the ticket's campaign, handed to the machine as `help`."""

    def setup(self) -> None:
        super().setup()
        add_help_fields(self, self.ticket)  # type: ignore[arg-type, attr-defined]

    def machine_data(self) -> dict[str, Any]:
        return help_from_form(super().machine_data())
