"""The demo's 帮扶成效 (issue 16 item 8): what a realistic share of the resolved tickets recorded when resolved —
jobs found for 社会保障 requests (人社局), projects applied for and funds for 企业服务, now and then funds for a
housing or social-security matter — so the dashboard's card shows the kind of figures districts publish
("解决用工79人、申报项目57项、150万元"). Amounts are written on the resolve event's payload too, as the machine does.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from issues.models import Status, Ticket, TicketHelp

# category → [(count key, chance a resolution records it, low, high, decimals)]
RECORDED: dict[str, list[tuple[str, float, float, float, int]]] = {
    "社会保障": [("employed", 0.55, 1, 4, 0), ("money", 0.15, 0.2, 3, 2)],
    "企业服务": [("projects", 0.5, 1, 3, 0), ("employed", 0.3, 1, 12, 0), ("money", 0.4, 2, 80, 2)],
    "住房物业": [("money", 0.08, 0.5, 20, 2)],
}


def plan_help(drafts: list[Any], seed: int) -> None:
    """Decide the amounts of each resolved draft (a resolve event, now resolved or closed) and note them on its
    ticket (`help_amounts`) and on its last resolve event's payload. Its own random stream: the rest of the demo
    stays as it was."""
    rng = random.Random(seed)
    for d in drafts:
        t = d.ticket
        resolves = [e for e in d.events if e.action == "resolve"]
        if t.status not in (Status.RESOLVED, Status.CLOSED) or not resolves:
            continue
        amounts: dict[str, Decimal] = {}
        for key, chance, low, high, decimals in RECORDED.get(t.category, []):
            if rng.random() < chance:
                amounts[key] = Decimal(str(round(rng.uniform(low, high), decimals))).quantize(Decimal("0.01"))
        if amounts:
            t.help_amounts = amounts
            resolves[-1].payload = {**resolves[-1].payload, "help": {k: float(v) for k, v in amounts.items()}}


def help_rows(tickets: list[Ticket]) -> list[TicketHelp]:
    """The TicketHelp rows of the saved tickets that plan_help gave amounts."""
    return [
        TicketHelp(ticket=t, district_id=t.district_id, key=key, amount=amount)
        for t in tickets
        for key, amount in getattr(t, "help_amounts", {}).items()
    ]
