"""No personal value in any log line (issue 12 item 4): a filter on the handlers of config/settings.py LOGGING.

- Request lines (runserver's `django.server`, anything else that logs a URL): the values of personal search
  parameters (`q`, names, phones, ID numbers) become `[redacted]`; the rest of the URL stays for debugging.
- Database errors: PostgreSQL's `DETAIL:` (e.g. "Failing row contains (…)", "Key (phone)=(…) already exists") is
  dropped from messages and tracebacks, so a refused row's contents never reach the log.
- SQL debug records (`django.db.backends` at DEBUG): string literals and parameters are replaced by placeholders.
"""

from __future__ import annotations

import logging
import re
import traceback

PERSONAL_PARAMETERS = (
    "q",
    "search",
    "name",
    "phone",
    "head_name",
    "head_id_number",
    "id_number",
    "requester_name",
    "requester_phone",
    "contact_name",
    "contact_phone",
    "last4",
    "api_key",  # not personal but a secret: an Open311 partner's key (/open311/v2/ reads take it in the URL)
)
REDACTED = "[redacted]"
_QUERY_VALUE = re.compile(r"(?P<key>[?&](?:" + "|".join(PERSONAL_PARAMETERS) + r")=)[^&\s\"'#]*", re.IGNORECASE)
_DB_DETAIL = re.compile(r"(?P<key>DETAIL:)[^\n]*")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")


def redact(text: str) -> str:
    return _DB_DETAIL.sub(rf"\g<key> {REDACTED}", _QUERY_VALUE.sub(rf"\g<key>{REDACTED}", text))


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends") and isinstance(record.args, tuple) and len(record.args) == 4:
            self._redact_sql(record)
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted here (the formatter then reuses exc_text) so that the exception's text can be redacted.
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True

    @staticmethod
    def _redact_sql(record: logging.LogRecord) -> None:
        duration, sql, params, alias = record.args
        count = len(params) if isinstance(params, list | tuple) else "?"
        clean_sql = _SQL_STRING.sub("'?'", str(sql))
        record.args = (duration, clean_sql, f"<{count} parameters>", alias)
        record.sql, record.params = clean_sql, None
