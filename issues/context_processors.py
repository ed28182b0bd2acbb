"""The unread-notification badge in the header of every page (templates/base.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from issues.selectors import unread_count


class UnreadCount:
    """Counted on first use only (one indexed COUNT), so a page that never shows the badge pays nothing."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._value: int | None = None

    def _count(self) -> int:
        if self._value is None:
            user = getattr(self._request, "user", None)
            self._value = unread_count(user) if user is not None and user.is_authenticated else 0
        return self._value

    def __int__(self) -> int:
        return self._count()

    def __bool__(self) -> bool:
        return self._count() > 0

    def __str__(self) -> str:
        count = self._count()
        return "99+" if count > 99 else str(count)


def notifications(request: HttpRequest) -> dict[str, Any]:
    return {"unread_notifications": UnreadCount(request)}
