"""消息与任务 on the cadre's phone page (issue 16 item 7): the messages and tasks sent to the cadre (issues.messages),
unread first, listed in the page itself (templates/m/_messages.html) so that the copy the service worker keeps shows
them in a dead spot as last seen online; 已读 / 已完成 go to the ack API through the phone's queue
(static/js/m/messages.js)."""

from __future__ import annotations

from typing import Any

from campaign.models import User
from issues.messages import is_recipient, receipts_of

SHOWN = 30  # the newest unread first, then the newest read: a cadre's fortnight of 精神早餐 and tasks


def cadre_inbox(user: User) -> dict[str, Any] | None:
    """The cadre's messages for the page (two queries: the rows, the unread count); None for other roles."""
    if not is_recipient(user):
        return None
    receipts = receipts_of(user)
    rows = list(receipts[:SHOWN])
    unread = receipts.filter(read_at__isnull=True).count() if rows else 0
    return {"rows": rows, "unread": unread}
