"""The registries' and the unit list's declared filters (campaign/filters.py): a bad value is a 400 naming the
parameter, good filters give the expected rows, and the schema documents them."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

from tests.factories import EnterpriseFactory, HouseholdFactory


@pytest.fixture
def homes(org):
    return {
        "grid1": HouseholdFactory(unit=org.grid1, address="丈八一路1号", lat=34.19, lng=108.88),
        "grid2": HouseholdFactory(unit=org.grid2, address="鱼化二路2号", lat=34.23, lng=108.85),
    }


BAD = [
    ("near=abc", "near"),
    ("near=34.19", "near"),
    ("near=nan,nan", "near"),
    ("near=34.19,inf", "near"),
    ("near=95,1", "near"),
    ("near=34.19,108.88&radius_m=NaN", "radius_m"),
    ("near=34.19,108.88&radius_m=0", "radius_m"),
    ("near=34.19,108.88&radius_m=-1", "radius_m"),
    ("near=34.19,108.88&radius_m=5001", "radius_m"),
    ("radius_m=abc", "radius_m"),
    ("unit=abc", "unit"),
    ("cursor=%%%", "cursor"),
    ("page_size=abc", "page_size"),
    ("near=34.19,108.88&page_size=0", "page_size"),
]


@pytest.mark.parametrize("path", ["households", "enterprises"])
@pytest.mark.parametrize(("query", "field"), BAD)
def test_bad_registry_filter_is_a_400_naming_it(api, dispatcher, homes, path, query, field):
    response = api.as_user(dispatcher).get(f"/api/v1/{path}/?{query}")

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(("query", "field"), [("kind=planet", "kind"), ("parent=abc", "parent"), ("unit=1.5", "unit")])
def test_bad_unit_list_filter_is_a_400_naming_it(api, leader, org, query, field):
    response = api.as_user(leader).get(f"/api/v1/units/?{query}")

    assert response.status_code == 400 and field in response.json()


def test_registry_filters_give_the_expected_rows(api, org, dispatcher, homes):
    client = api.as_user(dispatcher)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/v1/households/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"unit={org.street1.id}") == {homes["grid1"].id}
    assert ids("q=鱼化") == {homes["grid2"].id}
    assert ids(f"q=路&unit={org.district.id}") == {homes["grid1"].id, homes["grid2"].id}
    assert ids("near=34.23,108.85&radius_m=100") == {homes["grid2"].id}
    assert ids("near=34.23,108.85") == {homes["grid2"].id}  # the default radius, 500 m
    assert ids("q=  ") == {homes["grid1"].id, homes["grid2"].id}


def test_enterprise_search_reads_name_address_and_credit_code(api, org, dispatcher):
    shop = EnterpriseFactory(unit=org.grid1, name="丈八食品厂")
    EnterpriseFactory(unit=org.grid2, name="鱼化物流")

    rows = api.as_user(dispatcher).get("/api/v1/enterprises/?q=食品").json()["results"]

    assert [row["id"] for row in rows] == [shop.id]


def test_unit_list_filters(api, org, leader):
    client = api.as_user(leader)

    def ids(query: str) -> set[int]:
        return {row["id"] for row in client.get(f"/api/v1/units/?{query}").json()["results"]}

    assert ids(f"parent={org.district.id}") == {org.street1.id, org.street2.id, org.dept1.id, org.dept2.id}
    assert ids("kind=grid") == {org.grid1.id, org.grid2.id}
    assert ids(f"unit={org.street1.id}") == {org.street1.id, org.community1.id, org.grid1.id}


def test_unit_filter_outside_the_scope_is_404(api, org, street_leader):
    assert api.as_user(street_leader).get(f"/api/v1/units/?parent={org.street2.id}").status_code == 404
    assert api.as_user(street_leader).get(f"/api/v1/enterprises/?unit={org.street2.id}&near=abc").status_code == 404


def test_filtered_household_list_query_count_is_flat(api, org, dispatcher, django_assert_max_num_queries):
    HouseholdFactory.create_batch(3, unit=org.grid1)
    api.as_user(dispatcher)
    query = f"/api/v1/households/?page_size=200&unit={org.street1.id}&q=小区"
    with django_assert_max_num_queries(5) as small:
        api.get(query)
    HouseholdFactory.create_batch(60, unit=org.grid1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get(query)
    assert len(response.json()["results"]) == 63


def test_schema_documents_the_registry_filters():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]

    for path in ("/api/v1/households/", "/api/v1/enterprises/"):
        params = {p["name"]: p["schema"] for p in paths[path]["get"]["parameters"]}
        assert {"unit", "q", "near", "radius_m", "cursor", "page_size"} <= set(params)
        assert params["radius_m"]["type"] == "number" and params["unit"]["type"] == "integer"
    units = {p["name"] for p in paths["/api/v1/units/"]["get"]["parameters"]}
    assert {"parent", "kind", "unit", "page_size"} <= units


@pytest.mark.parametrize("path", ["households", "enterprises"])
def test_an_unknown_reveal_value_is_a_400_naming_it(api, org, dispatcher, homes, path):
    row = homes["grid1"] if path == "households" else EnterpriseFactory(unit=org.grid1)

    response = api.as_user(dispatcher).get(f"/api/v1/{path}/{row.id}/?reveal=yes")

    assert response.status_code == 400 and "reveal" in response.json()
