"""Help given, counted (帮扶成效, issue 16 item 8): the amounts a ticket's resolution recorded, one row per count.

The counts are the ticket's campaign's (Campaign.help_counts: employed people, projects applied for, money in 万元, …);
issues.help parses and writes them in the `resolve` action's transaction, replacing the rows of the previous
resolution (a reopened ticket resolved again records its figures once). The rollups count them while the ticket is
resolved or closed (dashboard.help), in the day the ticket was created, as every ticket figure (SPEC §6).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models.help_counts import HELP_AMOUNT_MAX
from issues.models.tickets import Ticket


class TicketHelp(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="help_rows")
    # The Citus plan's key (config/citus_plan.py): the ticket's district, written with the row (issues.help).
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    key = models.CharField(_("统计项"), max_length=30)  # a key of the campaign's help_counts (a slug)
    amount = models.DecimalField(_("数量"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("帮扶成效")
        verbose_name_plural = _("帮扶成效")
        constraints = [
            # One amount per count and ticket: a resolution replaces its rows, a retry cannot add a second.
            models.UniqueConstraint(fields=["ticket", "key"], name="ticket_help_key"),
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=HELP_AMOUNT_MAX), name="ticket_help_amount_range"
            ),
            models.CheckConstraint(condition=~Q(key=""), name="ticket_help_key_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.key}={self.amount}"
