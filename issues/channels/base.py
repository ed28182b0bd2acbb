"""What every channel adapter is: enabled or not (by settings), and `send` one message to one address, returning the
provider's reference or raising SendError, transient (try again later) or not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from issues.models.channels import ERROR_MAX

HTTP_TIMEOUT = (3.05, 5)  # connect, read (seconds): a slow provider holds one worker slot at most this long
_DIGITS = re.compile(r"\d{5,}")


@dataclass(frozen=True)
class Message:
    """One message: the notice's kind (which template) and its parameters (the ticket's code and status)."""

    kind: str
    params: dict[str, str]


class SendError(Exception):
    """The provider did not take the message. `transient`: a network error, a 5xx or the provider's throttling, worth
    another attempt; otherwise (a bad number, a wrong signature, an unknown template) retrying changes nothing."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = safe_error(reason)
        self.transient = transient


def safe_error(text: str) -> str:
    """An error for the row and the log: bounded, runs of 5+ digits masked (a provider may echo the phone number)."""
    return _DIGITS.sub("…", text)[:ERROR_MAX]


class Adapter(Protocol):
    name: str

    def enabled(self) -> bool: ...

    def send(self, *, address: str, message: Message, reference: str) -> str: ...
