"""With Redis unreachable, nothing that matters stops (issue 12 item 7): visits and tickets are saved, the logins and
the public lookup answer; their rate limits fail open and say so in the log, without a personal value.

A real closed port stands in for a dead Redis: Django's RedisCache raises on it as it would in production.
"""

from __future__ import annotations

import logging
import socket

import pytest

from campaign.throttles import outages
from issues.models import Ticket
from issues.services import ticket_create
from tests.factories import HouseholdFactory
from tests.visits.conftest import visit_body
from visits.models import Visit

PHONE = "13912345678"
GRID1_POINT = {"lat": 34.19, "lng": 108.88}


def closed_port() -> int:
    """A port nobody listens on: bound then released, so connecting to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_down(settings, caplog):
    port = closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    outages.down.clear()
    caplog.set_level(logging.INFO, logger="campaign.throttles")
    from django.core.cache import cache

    with pytest.raises(Exception, match="(?i)connect"):  # the cache is really unreachable
        cache.get("probe")
    return caplog


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "campaign.throttles" and r.levelname == "WARNING"]


def test_token_login_works_and_its_open_limit_is_logged_once_without_personal_values(api, cadre, redis_down):
    for _ in range(3):
        response = api.post("/api/v1/auth/token/", {"username": "cadre", "password": "pw"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["token"]

    warnings = outage_warnings(redis_down)
    assert len(warnings) == 1 and "'token' not enforced" in warnings[0]
    assert "cadre" not in redis_down.text and "127.0.0.1" not in redis_down.text


def test_the_login_page_works(client, cadre, redis_down):
    response = client.post("/accounts/login/", {"username": "cadre", "password": "pw"})

    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["username"] == "cadre"


def test_the_public_lookup_answers_and_its_open_limit_is_logged_without_personal_values(
    client, cadre, campaign_obj, redis_down
):
    ticket = ticket_create(
        actor=cadre,
        source="self_found",
        kind="complaint",
        category="城市管理",
        description="占道经营",
        requester_name="王小明",
        requester_phone=PHONE,
        **GRID1_POINT,
    )

    response = client.post("/lookup/", {"code": ticket.code, "last4": PHONE[-4:]}, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    assert ticket.code in response.content.decode()
    warnings = outage_warnings(redis_down)
    assert len(warnings) == 1 and "'lookup' not enforced" in warnings[0]
    for personal in (PHONE, PHONE[-4:], "王小明", "10.1.2.3", ticket.code):
        assert personal not in redis_down.text


def test_a_visit_and_a_ticket_are_saved(api, cadre, org, campaign_obj, redis_down):
    household = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    api.as_user(cadre)

    visit = api.post("/api/v1/visits/", visit_body(household), format="json")
    ticket = api.post(
        "/api/v1/tickets/",
        {"source": "self_found", "kind": "request", "description": "楼道灯坏了", "requester_household": household.pk}
        | GRID1_POINT,
        format="json",
    )

    assert visit.status_code == 201, visit.content
    assert ticket.status_code == 201, ticket.content
    assert Visit.objects.count() == 1 and Ticket.objects.count() == 1
