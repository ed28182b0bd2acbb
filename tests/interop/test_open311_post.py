"""Open311 POST requests (issue 17 item 1), as the spec shows it: a form-encoded body with the partner's api_key.
A request becomes a `partner` ticket of the partner's district through the project's own intake (code, place,
report event); the requester's name and phone are kept as a hotline ticket's and never answered; every hostile
input is the spec's 400 list with nothing stored; the same body posted again answers the same request."""

from __future__ import annotations

import pytest
from django.db import connection

from campaign.models import User
from issues.models import Source, Status, Ticket, TicketEvent
from tests.interop.open311_fixtures import (  # noqa: F401  fixtures
    KEY,
    OTHER_POINT,
    REQUESTER_NAME,
    REQUESTER_PHONE,
    elsewhere_fixture,
    fast_password_hashing_fixture,
    partner_fixture,
    tickets_fixture,
)

URL = "/open311/v2/requests.json"
pytestmark = pytest.mark.django_db

BODY = {
    "api_key": KEY,
    "service_code": "urban",
    "lat": "34.19",
    "long": "108.88",
    "description": "小区门口的井盖缺失，夜里很危险",
    "address_string": "丈八街道科技路 1 号",
    "first_name": "秀英",
    "last_name": "欧阳",
    "phone": "139-1234-5678",
    "email": "resident@example.com",
    "attribute[kind]": "complaint",
    "jurisdiction_id": "xian.gaoxin",
}


def post(client, body: dict, url: str = URL):
    return client.post(url, body)  # Django's test client form-encodes a dict (multipart); see _form


def form(client, body: dict, url: str = URL):
    from urllib.parse import urlencode

    return client.post(url, urlencode(body), content_type="application/x-www-form-urlencoded")


def test_post_files_a_partner_ticket_in_the_partners_district(client, org, partner, campaign_obj):
    response = form(client, BODY)
    assert response.status_code == 201, response.content
    [answer] = response.json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    ticket = Ticket.objects.get(code=answer["service_request_id"])
    assert ticket.code.startswith("GX-")
    assert (ticket.source, ticket.kind, ticket.category, ticket.status) == (
        Source.PARTNER, "complaint", "城市管理", Status.REPORTED,
    )  # fmt: skip
    assert (ticket.unit, ticket.district, ticket.campaign) == (org.grid1, org.district, campaign_obj)
    assert ticket.description == "小区门口的井盖缺失，夜里很危险\n地址：丈八街道科技路 1 号"
    assert (ticket.requester_name, ticket.requester_phone) == ("欧阳秀英", "139-1234-5678")
    [event] = TicketEvent.objects.filter(ticket=ticket)
    assert (event.action, event.payload) == ("report", {"source": "partner"})
    account = User.objects.get(pk=ticket.created_by_id)
    assert account.username == f"open311-{partner.pk}" and str(account) == "Open311：市12345热线"
    assert not account.is_active and not account.has_usable_password() and account.unit == org.district
    # the partner reads it back: its own words and point, no requester
    [row] = client.get(f"/open311/v2/requests/{ticket.code}.json", {"api_key": KEY}).json()
    assert row["description"] == ticket.description and (row["lat"], row["long"]) == (34.19, 108.88)
    assert "欧阳" not in response.content.decode() and "1234" not in str(row)


def test_post_answers_xml(client, partner, campaign_obj):
    response = form(client, BODY, url="/open311/v2/requests.xml")
    assert response.status_code == 201
    assert b"<service_requests><request><service_request_id>GX-" in response.content


def test_the_same_body_again_answers_the_same_request(client, partner, campaign_obj):
    first = form(client, BODY)
    again = form(client, BODY)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Ticket.objects.count() == 1
    other = form(client, {**BODY, "description": "另一件事"})
    assert other.status_code == 201 and Ticket.objects.count() == 2


def test_kind_defaults_to_request(client, partner, campaign_obj):
    body = {k: v for k, v in BODY.items() if k != "attribute[kind]"}
    code = form(client, body).json()[0]["service_request_id"]
    assert Ticket.objects.get(code=code).kind == "request"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"api_key": None}, 403),
        ({"api_key": "wrong"}, 403),
        ({"service_code": None}, 400),
        ({"service_code": "no-such-service"}, 400),
        ({"service_code": "urban\x00"}, 400),
        ({"lat": None}, 400),
        ({"long": ""}, 400),
        ({"lat": "NaN"}, 400),
        ({"lat": "inf"}, 400),
        ({"lat": "1e999"}, 400),
        ({"lat": "91"}, 400),
        ({"long": "-180.5"}, 400),
        ({"lat": "north"}, 400),
        ({"lat": "3_4.19"}, 400),
        ({"long": "0x6c"}, 400),
        ({"lat": "infinity"}, 400),
        ({"lat": str(OTHER_POINT["lat"]), "long": str(OTHER_POINT["lng"])}, 400),  # outside the partner's district
        ({"description": None}, 400),
        ({"description": "   "}, 400),
        ({"description": "x" * 4001}, 400),
        ({"description": "井盖\x00缺失"}, 400),
        ({"description": "井盖\x1b[31m缺失"}, 400),
        ({"address_string": "x" * 201}, 400),
        ({"address_string": "路\x07"}, 400),
        ({"first_name": "张" * 30, "last_name": "李" * 30}, 400),
        ({"phone": "call me maybe"}, 400),
        ({"phone": "123"}, 400),
        ({"phone": "١٣٩١٢٣٤٥٦٧٨"}, 400),  # Arabic-Indic digits
        ({"lat": "٣٤.١٩"}, 400),
        ({"email": "not-an-email"}, 400),
        ({"attribute[kind]": "praise"}, 400),
        ({"attribute[colour]": "red"}, 400),
        ({"requester_household": "1"}, 400),  # not a parameter of the spec
        ({"jurisdiction_id": "j" * 201}, 400),
        ({"media_url": "x\x00"}, 400),
    ],
)
def test_hostile_input_is_the_spec_error_list_and_nothing_stored(client, partner, campaign_obj, change, status):
    body = {**BODY, **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = form(client, body)
    assert response.status_code == status, response.content
    errors = response.json()  # one per problem: a point outside the district names lat and long
    assert errors and all(e["code"] == status and e["description"] for e in errors)
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_repeated_parameter_and_other_content_types_are_refused(client, partner, campaign_obj):
    response = client.post(
        URL, f"api_key={KEY}&service_code=urban&service_code=traffic&lat=34.19&long=108.88&description=x",
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()[0]["description"] == "service_code: given more than once"
    assert client.post(URL, BODY, content_type="application/json").status_code == 400
    assert post(client, BODY).status_code == 400  # multipart
    assert not Ticket.objects.exists()


def test_a_category_the_campaign_does_not_allow_is_refused(client, partner, campaign_obj):
    from campaign.models import Category

    campaign_obj.categories.set([Category.objects.get(code="traffic")])
    response = form(client, BODY)
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("service_code: ")
    assert not Ticket.objects.exists()


def test_the_key_is_throttled_per_partner(client, partner, campaign_obj, monkeypatch):
    from interop.open311.throttles import PartnerThrottle

    monkeypatch.setattr(PartnerThrottle, "rate", "2/min")
    assert client.get("/open311/v2/requests.json", {"api_key": KEY}).status_code == 200
    assert client.get("/open311/v2/requests.json", {"api_key": KEY}).status_code == 200
    response = client.get("/open311/v2/requests.json", {"api_key": KEY})
    assert response.status_code == 429
    assert response.json()[0]["code"] == 429
    assert form(client, BODY).status_code == 429 and not Ticket.objects.exists()


def test_dispatchers_cannot_file_partner_tickets_through_the_api(api, dispatcher, campaign_obj):
    api.force_authenticate(dispatcher)
    body = {"source": "partner", "kind": "complaint", "description": "x", "lat": 34.19, "lng": 108.88}
    response = api.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400 and "source" in response.json()
    assert not Ticket.objects.exists()
    assert REQUESTER_NAME and REQUESTER_PHONE  # the shared fixture constants are the reads' concern


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_body_posted_twice_at_once_files_one_ticket(org, partner, campaign_obj, monkeypatch):
    """Two deliveries of one request racing (a client's retry while the first is still being answered): the advisory
    lock on (partner, body) makes the second wait for the first's commit and answer its ticket. The insert is slowed
    so that the two surely overlap (without the lock, both find no earlier ticket and both file one)."""
    import threading
    import time
    from urllib.parse import urlencode

    from django.test import Client

    from interop.open311 import services

    real_create = services.ticket_create

    def slow_create(**kwargs):
        time.sleep(0.5)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "ticket_create", slow_create)
    services.intake_account(partner)  # made before: its creation alone would serialise the two
    start, answers = threading.Barrier(2), []

    def deliver() -> None:
        try:
            start.wait()
            response = Client().post(URL, urlencode(BODY), content_type="application/x-www-form-urlencoded")
            answers.append((response.status_code, response.json()[0]["service_request_id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in answers) == [200, 201]
    assert len({code for _, code in answers}) == 1
    assert Ticket.objects.count() == 1


FIELDS = ["service_code", "lat", "long", "description", "address_string", "first_name", "last_name", "phone", "email"]


def test_no_body_is_a_server_error_and_a_refusal_stores_nothing(client, partner, campaign_obj):
    """Any text in any field (control characters, surrogates escaped by the form encoding, huge numbers): the answer
    is 201, 200 or the spec's 400 list, and a 400 leaves the tickets as they were."""
    from urllib.parse import urlencode

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    texts = st.one_of(st.text(max_size=60), st.sampled_from(["NaN", "-0", "90.0000001", "34.19", "108.88", "urban"]))

    @settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(FIELDS), texts, max_size=len(FIELDS)))
    def check(change: dict[str, str]) -> None:
        before = Ticket.objects.count()
        body = {**BODY, **change}
        response = client.post(
            URL, urlencode(body, errors="surrogatepass"), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code in (200, 201, 400), response.content
        if response.status_code == 400:
            assert all(e["code"] == 400 for e in response.json())
            assert Ticket.objects.count() == before

    check()


def test_a_partners_request_may_be_answered_directly_and_reads_closed(client, partner, campaign_obj, dispatcher):
    """直办: a consultation from the 12345 platform is answered at intake, like an online one; the partner then
    reads it closed with the public reply."""
    from issues.machine import ticket_apply

    code = form(client, {**BODY, "attribute[kind]": "consultation"}).json()[0]["service_request_id"]
    ticket = Ticket.objects.get(code=code)
    answer = {"result": "已电话解释政策", "public_reply": "已答复：该路段井盖属自来水公司，已转告。"}
    ticket_apply(ticket_id=ticket.pk, action="answer_directly", actor=dispatcher, version=ticket.version, data=answer)
    [row] = client.get(f"/open311/v2/requests/{code}.json", {"api_key": KEY}).json()
    assert (row["status"], row["status_notes"]) == ("closed", answer["public_reply"])
