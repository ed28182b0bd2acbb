"""The visit list's declared filters (visits/filters.py): one FilterSet behind the list, the map layer and the
ledger; a bad value is a 400 naming the parameter, never a 500 and never ignored; the schema documents them."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from campaign.errors import Invalid, OutOfScope
from tests.visits.test_visit_list import make_visits
from visits.selectors import visits_filtered

BBOX = "bbox=108.0,34.0,109.0,35.0"
FORGED_CURSOR = base64.b64encode(b"p=not-a-time").decode()

BAD = [
    ("date_from=1999-12-31", "date_from"),
    ("date_to=2101-01-01", "date_to"),
    ("date_from=2026-5-1", "date_from"),
    ("date_from=20260501", "date_from"),
    ("date_to=2026-02-30", "date_to"),
    ("date_from=2026-05-12&date_to=2026-05-11", "date_to"),
    ("geo_status=lost", "geo_status"),
    ("cadre=x", "cadre"),
    ("cadre=NaN", "cadre"),
    ("cadre=99999999999999999999", "cadre"),
    ("unit=abc", "unit"),
]
LIST_ONLY = [
    ("cursor=%%%", "cursor"),
    (f"cursor={FORGED_CURSOR}", "cursor"),
    ("page_size=abc", "page_size"),
    ("page_size=0", "page_size"),
    ("page_size=-5", "page_size"),
]
BAD_BBOX = ["bbox=nan,nan,nan,nan", "bbox=108,34,inf,35", "bbox=108,34,109", "bbox=", "cadre=1"]


@pytest.fixture
def visits(cadre, cadre2, org):
    """Three visits: two of cadre in grid1 (the 11th late, the 12th early, one far), one of cadre2 in grid2."""
    tz = timezone.get_default_timezone()
    (a,) = make_visits(cadre, org.grid1, 1, start=dt.datetime(2026, 5, 11, 23, 30, tzinfo=tz))
    (b,) = make_visits(cadre, org.grid1, 1, start=dt.datetime(2026, 5, 12, 0, 10, tzinfo=tz), geo_status="far")
    (c,) = make_visits(cadre2, org.grid2, 1, start=dt.datetime(2026, 5, 12, 0, 10, tzinfo=tz))
    return {"a": a, "b": b, "c": c}


@pytest.mark.parametrize(("query", "field"), BAD + LIST_ONLY)
def test_bad_list_filter_is_a_400_naming_it(api, leader, visits, query, field):
    response = api.as_user(leader).get(f"/api/v1/visits/?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(("query", "field"), BAD)
def test_bad_map_filter_is_a_400_naming_it(api, leader, visits, query, field):
    response = api.as_user(leader).get(f"/api/v1/geo/visits/?{BBOX}&{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("query", BAD_BBOX)
def test_bad_or_missing_bbox_is_a_400_naming_it(api, leader, visits, query):
    response = api.as_user(leader).get(f"/api/v1/geo/visits/?{query}")

    assert response.status_code == 400 and "bbox" in response.json()


@pytest.mark.parametrize(("query", "field"), BAD)
def test_ledger_selector_refuses_the_same_bad_values(leader, visits, query, field):
    params = dict(part.split("=", 1) for part in query.split("&"))

    with pytest.raises(Invalid) as refused:
        visits_filtered(leader, params)

    assert field in refused.value.detail


def test_unit_out_of_scope_answers_404_before_a_bad_field(api, street_leader, org, visits):
    response = api.as_user(street_leader).get(f"/api/v1/visits/?unit={org.street2.id}&geo_status=lost")

    assert response.status_code == 404
    with pytest.raises(OutOfScope):
        visits_filtered(street_leader, {"unit": str(org.street2.id), "date_from": "1900-01-01"})


GOOD = [
    ("unit={street1}", {"a", "b"}),
    ("cadre={cadre2}", {"c"}),
    ("geo_status=far", {"b"}),
    ("date_from=2026-05-12&date_to=2026-05-12", {"b", "c"}),
    ("date_to=2026-05-11", {"a"}),
    ("unit={district}&date_from=2026-05-12&geo_status=verified", {"c"}),
    ("", {"a", "b", "c"}),
]


@pytest.mark.parametrize(("query", "expected"), GOOD)
def test_good_filters_give_the_same_rows_in_the_list_the_map_and_the_ledger(
    api, leader, cadre2, org, visits, query, expected
):
    query = query.format(street1=org.street1.id, district=org.district.id, cadre2=cadre2.id)
    want = {str(visits[name].id) for name in expected}
    client = api.as_user(leader)

    listed = client.get(f"/api/v1/visits/?{query}").json()["results"]
    mapped = client.get(f"/api/v1/geo/visits/?{BBOX}&{query}").json()["features"]
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    ledger = visits_filtered(leader, params)

    assert {v["id"] for v in listed} == want
    assert {f["properties"]["id"] for f in mapped} == want
    assert {str(v.id) for v in ledger} == want


def test_a_page_size_above_the_bound_is_served_at_200(api, cadre, org):
    make_visits(cadre, org.grid1, 3)

    response = api.as_user(cadre).get("/api/v1/visits/?page_size=1000")

    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_filtered_list_query_count_stays_flat(api, leader, cadre, org, django_assert_max_num_queries):
    query = f"/api/v1/visits/?unit={org.street1.id}&cadre={cadre.id}&date_from=2000-01-01&geo_status=verified"
    make_visits(cadre, org.grid1, 3)
    with django_assert_max_num_queries(9) as small:
        api.as_user(leader).get(query)
    make_visits(cadre, org.grid1, 40)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.as_user(leader).get(query)

    assert len(response.json()["results"]) == 43


def test_schema_documents_the_filters():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]

    def params(path: str) -> dict[str, dict]:
        return {p["name"]: p for p in paths[path]["get"]["parameters"]}

    listed, mapped = params("/api/v1/visits/"), params("/api/v1/geo/visits/")
    filters = {"unit", "cadre", "date_from", "date_to", "geo_status"}
    assert filters | {"cursor", "page_size"} <= set(listed)
    assert filters | {"bbox"} <= set(mapped) and mapped["bbox"]["required"] is True
    assert listed["date_from"]["schema"] == {"type": "string", "format": "date"}
    assert listed["unit"]["schema"]["type"] == "integer" and listed["unit"]["description"]
    assert set(listed["geo_status"]["schema"]["enum"]) == {"no_fix", "poor_accuracy", "no_reference", "verified", "far"}
