"""The reporter (户长/楼长, issue 16 item 4; SPEC §1): reports tickets for the households of their group and follows
them; no visits, no other reads — every other endpoint and page answers 403 (or 404 for a row out of scope)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from campaign.fence import REPORTER_VIEWS
from campaign.household_groups import household_group_save
from campaign.models import HouseholdGroup, Role
from issues.models import Ticket, TicketEvent
from issues.services import ticket_create
from tests.factories import HouseholdFactory, UserFactory


@pytest.fixture
def reporter(org, admin_user, campaign_obj):
    head = UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1)
    homes = [HouseholdFactory(unit=org.grid1, address=f"丈八路{n}号") for n in range(3)]
    group = household_group_save(actor=admin_user, group=HouseholdGroup(name="一号户区", unit=org.grid1, head=head),
                                 households=homes)  # fmt: skip
    head.home = homes[0]
    head.group = group
    return head


@pytest.fixture
def neighbour(org):
    return HouseholdFactory(unit=org.grid1, address="丈八路99号")  # same grid, no group of the reporter's


def report(**fields):
    return {"source": "self_found", "kind": "request", "description": "楼道灯坏了", **fields}


def rows():
    return Ticket.objects.count(), TicketEvent.objects.count()


def test_a_reporter_raises_a_ticket_for_a_household_of_their_group(api, reporter):
    response = api.as_user(reporter).post("/api/v1/tickets/", report(requester_household=reporter.home.pk),
                                          format="json")  # fmt: skip

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(code=response.json()["code"])
    assert (ticket.source, ticket.unit_id, ticket.requester_household_id) == ("self_found", reporter.home.unit_id,
                                                                              reporter.home.pk)  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"requester_household": "neighbour"},  # same grid, not their group: 404
        {"requester_household": 10**9},
        {"requester_enterprise": 1},
    ],
)
def test_a_household_outside_the_group_answers_404_and_stores_nothing(api, reporter, neighbour, body):
    if body.get("requester_household") == "neighbour":
        body = {"requester_household": neighbour.pk}
    before = rows()

    response = api.as_user(reporter).post("/api/v1/tickets/", report(**body), format="json")

    assert response.status_code == 404
    assert rows() == before


@pytest.mark.parametrize(
    "extra, status",
    [
        ({}, 400),  # no household named
        ({"source": "hotline", "requester_household": "home"}, 403),
        ({"requester_household": "home", "description": "x" * 5000}, 400),
        ({"requester_household": "home", "description": "<script>alert(1)</script>\x00"}, 400),
        ({"requester_household": "home", "lat": 34.23, "lng": 108.85}, 400),  # a point in another street
    ],
)
def test_hostile_or_unfit_reports_are_refused_with_nothing_stored(api, reporter, extra, status):
    body = report(**extra)
    if body.get("requester_household") == "home":
        body["requester_household"] = reporter.home.pk
    before = rows()

    response = api.as_user(reporter).post("/api/v1/tickets/", body, format="json")

    assert response.status_code in (status, 403 if status == 400 else status), response.json()
    assert rows() == before


def test_a_reporter_reads_only_the_tickets_they_raised(api, reporter, cadre):
    own = ticket_create(actor=reporter, source="self_found", kind="request", description="漏水",
                        requester_household=reporter.home.pk)  # fmt: skip
    cadres = ticket_create(actor=cadre, source="self_found", kind="request", description="占道",
                           requester_household=reporter.home.pk)  # fmt: skip
    client = api.as_user(reporter)

    listed = client.get("/api/v1/tickets/").json()["results"]

    assert [t["id"] for t in listed] == [own.pk]
    assert client.get(f"/api/v1/tickets/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/tickets/{cadres.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{own.pk}/").json()["allowed_actions"] == []


def test_a_reporter_reads_what_the_requester_may_never_the_internal_result(api, reporter):
    own = ticket_create(actor=reporter, source="self_found", kind="request", description="漏水",
                        requester_household=reporter.home.pk)  # fmt: skip
    Ticket.objects.filter(pk=own.pk).update(status="resolved", result="内部：已约谈物业经理", public_reply="已修复")
    TicketEvent.objects.create(ticket=own, action="resolve", from_status="reported", to_status="resolved",
                               note="内部备注", at=own.created_at)  # fmt: skip

    detail = api.as_user(reporter).get(f"/api/v1/tickets/{own.pk}/").json()

    assert "result" not in detail and detail["public_reply"] == "已修复"
    assert "内部" not in str(detail)
    assert [set(e) for e in detail["events"]] == [{"action", "from_status", "to_status", "at"}] * 2


def _named_urls(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else prefix
            yield from _named_urls(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, pattern


def test_the_fence_opens_only_named_views_that_exist():
    names = {name for name, _pattern in _named_urls()}
    assert REPORTER_VIEWS <= names | {"set_language"}


def test_every_api_endpoint_but_the_reporters_answers_403(api, reporter, org):
    client = api.as_user(reporter)
    refused = {}
    for name, pattern in _named_urls():
        route = str(pattern.pattern)
        if not name.startswith("api-") or name == "api-docs":  # the routes under /api/v1/ (docs: a page, below)
            continue
        if name in REPORTER_VIEWS:
            continue
        path = "/api/v1/" + _fill(route)
        refused[name] = (client.get(path).status_code, client.post(path, {}, format="json").status_code)
    assert refused, "the URL conf was not read"
    assert {name: codes for name, codes in refused.items() if set(codes) - {403, 404, 405}} == {}
    assert {name: codes for name, codes in refused.items() if 403 not in codes} == {}


def _fill(route: str) -> str:
    return route.replace("<int:pk>", "1").replace("<uuid:pk>", "00000000-0000-0000-0000-000000000001").replace(
        "<int:milestone>", "1").replace("<int:photo_id>", "1").replace("<str:token>", "x")  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/", "/tickets/1/", "/tickets/notifications/", "/tickets/topics/", "/tickets/messages/",
        "/tickets/directory/", "/dashboard/", "/dashboard/export.xlsx", "/dashboard/grids.geojson",
        "/audit/access/", "/api/schema/", "/api/docs/", "/api/v1/visits/", "/api/v1/households/",
        "/api/v1/stats/summary/", "/api/v1/visits/export.xlsx", "/api/v1/tickets/export.xlsx",
    ],
)  # fmt: skip
def test_pages_and_session_calls_outside_the_fence_answer_403(web, reporter, path):
    assert web(reporter).get(path).status_code == 403


def test_the_admin_is_closed_and_home_leads_to_the_phone_page(web, reporter):
    client = web(reporter)
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/").url == "/m/"


def test_the_phone_page_shows_the_form_and_the_progress(web, reporter, django_assert_num_queries):
    ticket = ticket_create(actor=reporter, source="self_found", kind="request", description="漏水",
                           requester_household=reporter.home.pk)  # fmt: skip
    # resolved (the machine's paths are tested elsewhere): an internal result and a public reply
    Ticket.objects.filter(pk=ticket.pk).update(status="resolved", result="内部记录", public_reply="已联系物业维修")
    client = web(reporter)
    client.get("/m/")  # warm the session and the categories' cache

    # the section: households, campaign, categories (2), tickets with their last step; the rest is every page's
    # (session read and save (3), user, the header's home unit and unread count): flat however many tickets
    with django_assert_num_queries(12):
        page = client.get("/m/").content.decode()
    for _ in range(3):
        ticket_create(actor=reporter, source="self_found", kind="request", description="又漏水",
                      requester_household=reporter.home.pk)  # fmt: skip
    with django_assert_num_queries(12):
        client.get("/m/")

    assert "上报诉求" in page and "我上报的" in page
    assert "丈八路0号" in page and "丈八路99号" not in page
    assert ticket.code in page and "已办结" in page
    assert "已联系物业维修" in page and "内部记录" not in page
    assert 'id="panel-visit"' not in page and "js/m/visit-form.js" not in page
