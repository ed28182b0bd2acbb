"""bench/load_fixture.py, the preparation of the mixed load (bench/load.py), on the small demo: every simulated user
gets a login that works and only work it may do, and no two users share a ticket (else a 409 in the load test
would be the test's own race, not the app's)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from bench import load_fixture
from campaign.models import OrgUnit, Role, UnitKind, User
from issues.models import Mode, Status, Ticket


@pytest.mark.django_db
def test_load_fixture_on_the_small_demo(settings) -> None:
    """One seed (tens of seconds on a loaded machine) for the three checks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", size="small", verbosity=0)
    handlers_get_disjoint_tickets_they_can_finish()
    dispatchers_get_reported_tickets_and_lead_units_in_their_scope()
    tokens_and_sessions_log_in()


def handlers_get_disjoint_tickets_they_can_finish() -> None:
    handlers = load_fixture.handlers(4)
    assert handlers
    seen: set[int] = set()
    for person in handlers:
        user = User.objects.get(username=person["username"])
        assert user.role == Role.HANDLER
        tickets = Ticket.objects.filter(pk__in=person["tickets"])
        assert tickets.count() == len(person["tickets"])
        assert all(t.lead_unit_id == user.unit_id for t in tickets)
        assert not tickets.filter(mode=Mode.DOOR_TO_DOOR).exists()
        assert not tickets.filter(co_unit_links__isnull=False).exists()
        assert set(tickets.values_list("status", flat=True)) <= {Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS}
        assert seen.isdisjoint(person["tickets"])
        seen.update(person["tickets"])
    assert seen, "the small demo has open tickets led by departments"


def dispatchers_get_reported_tickets_and_lead_units_in_their_scope() -> None:
    people = load_fixture.dispatchers()
    kinds = [User.objects.get(username=p["username"]).unit.kind for p in people]
    assert kinds == [UnitKind.DISTRICT, UnitKind.STREET]
    seen: set[int] = set()
    for person in people:
        home = User.objects.get(username=person["username"]).unit
        tickets = Ticket.objects.filter(pk__in=person["tickets"])
        assert all(t.status == Status.REPORTED and home.contains(t.unit) for t in tickets)
        assert person["lead_units"] and all(home.contains(OrgUnit.objects.get(pk=u)) for u in person["lead_units"])
        assert seen.isdisjoint(person["tickets"])
        seen.update(person["tickets"])


def tokens_and_sessions_log_in() -> None:
    leader = load_fixture.leaders()[0]
    cadre = load_fixture.cadres(1)[0]
    assert cadre["homes"] and len(cadre["homes"][0]) == 3
    api = Client(HTTP_AUTHORIZATION=f"Token {leader['token']}")
    assert api.get("/api/v1/me/").json()["username"] == leader["username"]
    page = Client()
    page.cookies["sessionid"] = leader["session"]
    assert page.get("/dashboard/").status_code == 200
    assert Client().get("/dashboard/").status_code == 302  # without the session: the login page
