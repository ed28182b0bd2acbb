"""No personal value in any log line: the handlers configured in settings.LOGGING redact personal search parameters
in request lines, the row contents of database errors and the literals of logged SQL (campaign/logfilters.py)."""

import io
import logging

import pytest
from django.db import IntegrityError, connection, transaction

from campaign.logfilters import RedactPersonalData

PHONE, NAME = "13812345678", "张三丰"


@pytest.fixture
def log_output():
    """What the configured handlers (root console, runserver's django.server) actually write."""
    handlers = [
        handler
        for name in ("", "django.server")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    ]
    assert len(handlers) == 2, "every configured handler redacts personal data"
    buffer = io.StringIO()
    streams = [handler.setStream(buffer) for handler in handlers]
    yield buffer
    for handler, stream in zip(handlers, streams, strict=True):
        handler.setStream(stream)


def test_a_runserver_request_line_drops_the_personal_search(log_output):
    line = f"GET /api/v1/households/?q={PHONE}&page_size=20&requester_phone={PHONE} HTTP/1.1"
    logging.getLogger("django.server").info('"%s" %s %s', line, "200", "512", extra={"status_code": 200})

    out = log_output.getvalue()
    assert "/api/v1/households/?q=[redacted]&page_size=20" in out and PHONE not in out


def test_django_request_logging_of_a_personal_search_holds_no_value(client, dispatcher, log_output):
    client.force_login(dispatcher)

    client.get("/api/v1/tickets/999999/", {"q": PHONE})
    client.get("/api/v1/households/", {"q": NAME, "bbox": "x"})

    out = log_output.getvalue()
    assert "Not Found" in out and PHONE not in out and NAME not in out


@pytest.mark.django_db
def test_a_database_error_is_logged_without_the_row(log_output, org):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO campaign_household (address, unit_id, head_name, phone, head_id_number, "
                "head_id_number_hash, members, tags, confirmed, created_at) "
                "VALUES (%s, %s, %s, %s, '', '', 0, '[]', true, CURRENT_TIMESTAMP)",
                ["锦业路1号", org.grid1.pk, NAME, PHONE],
            )
    except IntegrityError:
        logging.getLogger("django.request").exception("Internal Server Error: /api/v1/households/")

    out = log_output.getvalue()
    assert "IntegrityError" in out and "household_members_range" in out
    if connection.vendor == "postgresql":  # PostgreSQL names the failing row in DETAIL
        assert "DETAIL: [redacted]" in out
    assert PHONE not in out and NAME not in out


@pytest.mark.django_db
def test_logged_sql_carries_no_values(log_output, org):
    logger = logging.getLogger("django.db.backends")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM campaign_household WHERE phone = %s OR head_name = %s", [PHONE, NAME])
    finally:
        connection.force_debug_cursor = False
        logger.setLevel(level)

    out = log_output.getvalue()
    assert "campaign_household" in out and "<2 parameters>" in out
    assert PHONE not in out and NAME not in out
