"""REST API of tickets (SPEC §7), one module per seam: tickets (list/create, detail, counters, map), actions (one
endpoint per action of the machine), notifications, exports (the ledger export), serializers.
The names issues/urls.py routes are re-exported here."""

from issues.api.actions import ACTION_VIEWS
from issues.api.exports import TicketExport
from issues.api.notifications import NotificationList, NotificationRead
from issues.api.suggest import TicketSuggest
from issues.api.tickets import TicketCounters, TicketDetail, TicketGeo, TicketList

__all__ = [
    "ACTION_VIEWS",
    "NotificationList",
    "NotificationRead",
    "TicketCounters",
    "TicketDetail",
    "TicketExport",
    "TicketGeo",
    "TicketList",
    "TicketSuggest",
]
