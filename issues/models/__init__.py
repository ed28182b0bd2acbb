"""The issues app's rows: tickets and their timeline (tickets.py), notifications and code counters (notices.py), the
dispatch directory (directory.py), the router's stored models (router.py), monthly topics (topics.py), messages and
tasks to cadres (messages.py), the SMS and WeChat outbox (channels.py)."""

from issues.models.channels import Channel, ChannelDelivery, DeliveryStatus
from issues.models.directory import DirectoryRow, ReturnReason
from issues.models.help import TicketHelp
from issues.models.messages import CadreMessage, MessageKind, MessageReceipt
from issues.models.notices import Notification, NotificationKind, RequesterNotice, TicketSequence
from issues.models.router import RouterKind, RouterModel
from issues.models.tickets import (
    OPEN_STATUSES,
    PRIORITY,
    UNMARKED,
    Kind,
    Mode,
    Satisfaction,
    Source,
    Status,
    Ticket,
    TicketCoUnit,
    TicketEvent,
)
from issues.models.topics import Topic, TopicMilestone, TopicStatus

__all__ = [
    "OPEN_STATUSES",
    "PRIORITY",
    "UNMARKED",
    "CadreMessage",
    "Channel",
    "ChannelDelivery",
    "DeliveryStatus",
    "DirectoryRow",
    "Kind",
    "MessageKind",
    "MessageReceipt",
    "Mode",
    "Notification",
    "NotificationKind",
    "RequesterNotice",
    "ReturnReason",
    "RouterKind",
    "RouterModel",
    "Satisfaction",
    "Source",
    "Status",
    "Ticket",
    "TicketCoUnit",
    "TicketEvent",
    "TicketHelp",
    "TicketSequence",
    "Topic",
    "TopicMilestone",
    "TopicStatus",
]
