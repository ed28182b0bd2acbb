"""The ticket filters (issues.filters.TicketFilter): every bad value answers 400 naming its parameter, on every
endpoint that reads them; never a 500, never silently ignored."""

from __future__ import annotations

import pytest

from campaign.errors import Invalid
from issues.filters import tickets_filtered

FILTERED = ["/api/v1/tickets/", "/api/v1/tickets/counters/", "/api/v1/geo/tickets/"]
BBOX = {"bbox": "108.8,34.1,108.9,34.3"}

BAD = [
    ("status", "bogus"),
    ("status", "reported,bogus"),
    ("mode", "sometime"),
    ("kind", "gossip"),
    ("source", "pigeon"),
    ("supervision", "3"),
    ("overdue", "maybe"),
    ("mine", "perhaps"),
    ("unit", "abc"),
    ("lead_unit", "1.5"),
    ("date_from", "1999-12-31"),
    ("date_to", "2101-01-01"),
    ("date_from", "12/05/2026"),
    ("date_to", "2026-02-30"),
]


@pytest.mark.parametrize("path", FILTERED)
@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, dispatcher, path, name, value):
    response = api.as_user(dispatcher).get(path, {name: value, **BBOX})

    assert response.status_code == 400, response.content
    assert list(response.json()) == [name]
    assert isinstance(response.json()[name], list) and response.json()[name][0]


def test_date_to_before_date_from_is_a_400_on_date_to(api, dispatcher):
    response = api.as_user(dispatcher).get("/api/v1/tickets/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})

    assert response.status_code == 400 and list(response.json()) == ["date_to"]


def test_several_bad_values_are_named_together(api, dispatcher):
    response = api.as_user(dispatcher).get("/api/v1/tickets/counters/", {"status": "x", "unit": "y", "overdue": "z"})

    assert response.status_code == 400 and set(response.json()) == {"status", "unit", "overdue"}


@pytest.mark.parametrize("cursor", ["not-a-cursor", "cD0yMDI2", "%%%"])
def test_a_malformed_cursor_is_a_400_naming_cursor(api, dispatcher, cursor):
    response = api.as_user(dispatcher).get("/api/v1/tickets/", {"cursor": cursor})

    assert response.status_code == 400 and list(response.json()) == ["cursor"]


@pytest.mark.parametrize("page_size", ["abc", "0", "-5"])
@pytest.mark.parametrize("ordering", [None, "priority"])
def test_a_bad_page_size_is_a_400_naming_page_size(api, dispatcher, page_size, ordering):
    params = {"page_size": page_size, **({"ordering": ordering} if ordering else {})}
    response = api.as_user(dispatcher).get("/api/v1/tickets/", params)

    assert response.status_code == 400 and list(response.json()) == ["page_size"]


def test_an_unknown_ordering_is_a_400(api, dispatcher):
    response = api.as_user(dispatcher).get("/api/v1/tickets/", {"ordering": "oldest"})

    assert response.status_code == 400 and list(response.json()) == ["ordering"]


def test_a_unit_out_of_scope_is_a_404(api, street_leader, org):
    response = api.as_user(street_leader).get("/api/v1/tickets/", {"unit": org.grid2.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("path", FILTERED)
def test_a_unit_out_of_scope_answers_404_before_a_bad_value(api, street_leader, org, path):
    params = {"unit": org.grid2.pk, "status": "bogus", **BBOX}

    response = api.as_user(street_leader).get(path, params)

    assert response.status_code == 404


def test_good_values_filter_on_every_endpoint(api, tickets, dispatcher, org):
    dispatched = tickets.at("dispatched")
    tickets.at("reported")
    client = api.as_user(dispatcher)
    params = {"status": "dispatched,accepted", "unit": org.street1.pk, "date_from": "2000-01-01", **BBOX}

    listed = client.get("/api/v1/tickets/", params).json()["results"]
    counted = client.get("/api/v1/tickets/counters/", params).json()
    mapped = client.get("/api/v1/geo/tickets/", params).json()["features"]

    assert [t["id"] for t in listed] == [dispatched.pk]
    assert counted["total"] == 1 and counted["by_status"]["dispatched"] == 1
    assert [f["properties"]["id"] for f in mapped] == [dispatched.pk]


def test_the_selector_raises_invalid_naming_each_bad_parameter(dispatcher):
    with pytest.raises(Invalid) as caught:
        tickets_filtered(dispatcher, {"status": "bogus", "date_to": "3000-01-01"})

    assert set(caught.value.detail) == {"status", "date_to"}


def test_the_inbox_page_answers_a_bad_filter_with_400_and_names_it(client, dispatcher):
    client.force_login(dispatcher)

    response = client.get("/tickets/", {"date_from": "1999-01-01"})

    assert response.status_code == 400
    assert "日期应在 2000-01-01 到 2100-12-31 之间" in response.content.decode()


def test_the_schema_documents_the_filters(api, admin_user):
    schema = api.as_user(admin_user).get("/api/schema/", {"format": "json"}).json()

    for path in [*FILTERED, "/api/v1/tickets/export.xlsx"]:
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"status", "mode", "kind", "category", "unit", "overdue", "supervision", "date_from", "q"} <= names
    listed = {p["name"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert {"ordering", "cursor", "page_size"} <= listed
    for path in FILTERED:
        types = {p["name"]: p["schema"]["type"] for p in schema["paths"][path]["get"]["parameters"]}
        assert (types["status"], types["unit"], types["overdue"], types["date_from"]) == (
            "string",
            "integer",
            "boolean",
            "string",
        )


def test_the_next_cursor_of_a_page_is_accepted(api, tickets, dispatcher):
    tickets.at("reported")
    tickets.at("reported")
    client = api.as_user(dispatcher)

    first = client.get("/api/v1/tickets/", {"page_size": 1, "status": "reported"}).json()
    second = client.get(first["next"])

    assert second.status_code == 200 and len(second.json()["results"]) == 1
    assert second.json()["results"][0]["id"] != first["results"][0]["id"]


def test_filtered_counters_cost_the_same_queries_however_many_tickets(
    api, tickets, dispatcher, org, django_assert_max_num_queries
):
    tickets.at("reported")
    client = api.as_user(dispatcher)
    params = {"unit": org.street1.pk, "status": "reported,dispatched", "overdue": "false"}
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/tickets/counters/", params).json()["total"] == 1
    for _ in range(5):
        tickets.at("dispatched")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/tickets/counters/", params).json()["total"] == 6
