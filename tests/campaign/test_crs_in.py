"""One coordinate system in, WGS-84 stored (issue 13 item 10): every point a client sends may say its `crs` (wgs84 |
gcj02) — tickets, households and enterprises (POST and PATCH), visits and their inline issues (an issue's own `crs`
wins over the visit's) — and every stored point is WGS-84; a bad `crs` is a 400 naming it, and nothing is stored."""

from __future__ import annotations

import pytest

from campaign.geo import haversine_m
from campaign.models import Enterprise, Household
from issues.models import Ticket
from tests.factories import EnterpriseFactory, HouseholdFactory, valid_credit_code
from tests.visits.conftest import visit_body
from visits.models import Visit

# A point in grid1 (WGS-84) and the same place as AMap / Tencent / WeChat report it (GCJ-02), 459 m apart.
WGS = (34.1910, 108.8810)
GCJ = (34.189360, 108.885579)  # campaign.geo.wgs84_to_gcj02(*WGS), rounded to 6 decimals (≈ 0.1 m)
ONE_METRE = 1.0


def near(row, point=WGS) -> float:
    return haversine_m(row.lat, row.lng, *point)


def test_the_known_pair_is_hundreds_of_metres_apart():
    assert haversine_m(*WGS, *GCJ) > 400  # sent unconverted, a point would land this far off


# --- tickets (POST /api/v1/tickets/) ----------------------------------------------------------------------------
def ticket_body(**extra):
    return {"source": "self_found", "kind": "request", "description": "路灯不亮", "lat": GCJ[0], "lng": GCJ[1], **extra}


def test_a_gcj02_ticket_point_is_stored_as_wgs84(api, cadre, campaign_obj):
    response = api.as_user(cadre).post("/api/v1/tickets/", ticket_body(crs="gcj02"), format="json")

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get()
    assert near(ticket) < ONE_METRE
    assert haversine_m(response.json()["lat"], response.json()["lng"], *WGS) < ONE_METRE  # and answered in WGS-84


def test_a_ticket_point_without_crs_is_wgs84(api, cadre, campaign_obj):
    body = ticket_body(lat=WGS[0], lng=WGS[1])

    assert api.as_user(cadre).post("/api/v1/tickets/", body, format="json").status_code == 201
    assert (Ticket.objects.get().lat, Ticket.objects.get().lng) == WGS


@pytest.mark.parametrize("crs", ["bd09", "", None, 4326])
def test_a_bad_crs_on_a_ticket_is_a_400_naming_it(api, cadre, campaign_obj, crs):
    response = api.as_user(cadre).post("/api/v1/tickets/", ticket_body(crs=crs), format="json")

    assert response.status_code == 400
    assert "crs" in response.json()
    assert not Ticket.objects.exists()


# --- households and enterprises (POST and PATCH) ----------------------------------------------------------------
REGISTRIES = {
    "households": (Household, {"address": "丈八一路8号", "head_name": "王五", "members": 2}),
    "enterprises": (Enterprise, {"name": "某公司", "address": "锦业路1号", "credit_code": valid_credit_code(7)}),
}


@pytest.mark.parametrize("path", REGISTRIES)
def test_a_gcj02_registry_point_is_stored_as_wgs84(api, cadre, path, org):
    model, fields = REGISTRIES[path]

    response = api.as_user(cadre).post(
        f"/api/v1/{path}/", {**fields, "lat": GCJ[0], "lng": GCJ[1], "crs": "gcj02"}, format="json"
    )

    assert response.status_code == 201, response.json()
    row = model.objects.get()
    assert near(row) < ONE_METRE and row.unit == org.grid1
    assert "crs" not in response.json()  # write-only: what is stored and answered is WGS-84


@pytest.mark.parametrize("path", REGISTRIES)
def test_a_bad_crs_on_a_registry_post_is_a_400_and_stores_nothing(api, cadre, path):
    model, fields = REGISTRIES[path]

    response = api.as_user(cadre).post(
        f"/api/v1/{path}/", {**fields, "lat": GCJ[0], "lng": GCJ[1], "crs": "wgs-84"}, format="json"
    )

    assert response.status_code == 400 and "crs" in response.json()
    assert not model.objects.exists()


def registry_row(path, org):
    factory = HouseholdFactory if path == "households" else EnterpriseFactory
    return factory(unit=org.grid1, lat=34.19, lng=108.88)


@pytest.mark.parametrize("path", REGISTRIES)
def test_a_patch_moves_a_registry_point_given_in_gcj02(api, cadre, path, org):
    row = registry_row(path, org)

    response = api.as_user(cadre).patch(
        f"/api/v1/{path}/{row.pk}/", {"lat": GCJ[0], "lng": GCJ[1], "crs": "gcj02"}, format="json"
    )

    assert response.status_code == 200, response.json()
    row.refresh_from_db()
    assert near(row) < ONE_METRE


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("households", {"lat": GCJ[0], "lng": GCJ[1], "crs": "bd09"}, "crs"),
        ("enterprises", {"lat": GCJ[0], "lng": GCJ[1], "crs": "bd09"}, "crs"),
        ("households", {"lat": GCJ[0], "crs": "gcj02"}, "lng"),  # a GCJ-02 point converts only as a pair
        ("enterprises", {"lng": GCJ[1], "crs": "gcj02"}, "lat"),
    ],
)
def test_a_bad_crs_patch_is_a_400_naming_the_field_and_changes_nothing(api, cadre, org, path, body, field):
    row = registry_row(path, org)

    response = api.as_user(cadre).patch(f"/api/v1/{path}/{row.pk}/", body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    row.refresh_from_db()
    assert (row.lat, row.lng) == (34.19, 108.88)


# --- visits and their inline issues -----------------------------------------------------------------------------
@pytest.fixture
def household(org):
    return HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)


def issue(**extra):
    return {"kind": "request", "description": "井盖松动", "lat": GCJ[0], "lng": GCJ[1], **extra}


def test_an_issue_naming_gcj02_in_a_wgs84_visit_is_converted_with_its_own_crs(api, cadre, household, campaign_obj):
    body = visit_body(household, crs="wgs84", issues=[issue(crs="gcj02")])

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201, response.json()
    assert near(Ticket.objects.get()) < ONE_METRE
    assert (Visit.objects.get().lat, Visit.objects.get().lng) == (34.1901, 108.8801)  # the visit's own stays WGS-84


def test_an_issue_without_crs_in_a_gcj02_visit_takes_the_visits(api, cadre, household, campaign_obj):
    body = visit_body(household, lat=GCJ[0], lng=GCJ[1], crs="gcj02", issues=[issue()])

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201, response.json()
    assert near(Ticket.objects.get()) < ONE_METRE and near(Visit.objects.get()) < ONE_METRE


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"crs": "bd09"}, "crs"), ({"issues": [issue(crs="bd09")]}, "issues[0].crs")],
)
def test_a_bad_crs_on_a_visit_or_its_issue_is_a_400_and_stores_nothing(
    api, cadre, household, campaign_obj, overrides, field
):
    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household, **overrides), format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Visit.objects.exists() and not Ticket.objects.exists()


# --- the schema -------------------------------------------------------------------------------------------------
def test_the_openapi_schema_documents_crs_on_every_point_a_client_sends(api, admin_user):
    schemas = api.as_user(admin_user).get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    for name in (
        "TicketInputRequest",
        "HouseholdRequest",
        "EnterpriseRequest",
        "VisitInputRequest",
        "IssueInputRequest",
    ):
        assert schemas[name]["properties"]["crs"]["allOf"] == [{"$ref": "#/components/schemas/CrsEnum"}], name
    assert schemas["CrsEnum"]["enum"] == ["wgs84", "gcj02"]
    assert "crs" not in schemas["Household"]["properties"]  # answers are WGS-84: no crs on the way out
