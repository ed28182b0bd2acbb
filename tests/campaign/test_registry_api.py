import pytest

from campaign.models import AccessLog, Household
from tests.factories import EnterpriseFactory, HouseholdFactory


@pytest.fixture
def homes(org):
    return {
        "grid1": HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88),
        "grid2": HouseholdFactory(unit=org.grid2, lat=34.23, lng=108.85),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("cadre", {"grid1"}),
        ("cadre2", {"grid2"}),
        ("street_leader", {"grid1"}),
        ("leader", {"grid1", "grid2"}),
        ("dispatcher", {"grid1", "grid2"}),
        ("admin_user", {"grid1", "grid2"}),
        ("handler", set()),  # a department's handler has no households under the department
    ],
)
def test_each_role_lists_the_households_of_its_scope(request, api, homes, who, sees):
    user = request.getfixturevalue(who)

    ids = {h["id"] for h in api.as_user(user).get("/api/v1/households/").json()["results"]}

    assert ids == {homes[name].id for name in sees}


@pytest.mark.parametrize("path", ["households", "enterprises"])
def test_out_of_scope_detail_is_404(api, org, cadre, homes, path):
    other = homes["grid2"] if path == "households" else EnterpriseFactory(unit=org.grid2)

    response = api.as_user(cadre).get(f"/api/v1/{path}/{other.id}/")

    assert response.status_code == 404


def test_units_in_scope_only(api, org, street_leader):
    ids = {u["id"] for u in api.as_user(street_leader).get("/api/v1/units/").json()["results"]}

    assert ids == {org.street1.id, org.community1.id, org.grid1.id}
    assert api.get(f"/api/v1/units/{org.street2.id}/").status_code == 404


def test_unit_filter_out_of_scope_is_404(api, org, cadre, homes):
    assert api.as_user(cadre).get(f"/api/v1/households/?unit={org.grid2.id}").status_code == 404


def test_personal_data_is_masked_by_default(api, cadre, homes):
    row = api.as_user(cadre).get(f"/api/v1/households/{homes['grid1'].id}/").json()

    assert row["phone"] == "138******78"
    assert row["head_name"] == "张**"


def test_full_read_is_given_to_roles_that_need_it_and_logged(api, dispatcher, homes):
    home = homes["grid1"]

    row = api.as_user(dispatcher).get(f"/api/v1/households/{home.id}/?reveal=1&reason=核实").json()

    assert row["phone"] == "13812345678"
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id) == (dispatcher, "household", str(home.id))
    assert "13812345678" not in log.fields


def test_leaders_read_masked_even_when_asking(api, leader, homes):
    row = api.as_user(leader).get(f"/api/v1/households/{homes['grid1'].id}/?reveal=1&reason=核实").json()

    assert row["phone"] == "138******78"
    assert not AccessLog.objects.exists()


def test_near_answers_nearest_first_within_the_radius(api, org, cadre):
    far = HouseholdFactory(unit=org.grid1, lat=34.1930, lng=108.8800)  # ~330 m north
    near = HouseholdFactory(unit=org.grid1, lat=34.1905, lng=108.8800)  # ~55 m
    mid = HouseholdFactory(unit=org.grid1, lat=34.1900, lng=108.8820)  # ~185 m east
    HouseholdFactory(unit=org.grid1, lat=34.1990, lng=108.8800)  # ~1 km: outside

    rows = api.as_user(cadre).get("/api/v1/households/?near=34.19,108.88&radius_m=500").json()["results"]

    assert [r["id"] for r in rows] == [near.id, mid.id, far.id]
    assert rows[0]["distance_m"] == pytest.approx(55.6, abs=1)


@pytest.mark.parametrize(
    ("query", "field"), [("near=abc", "near"), ("near=34.19,108.88&radius_m=99999", "radius_m"), ("near=95,1", "near")]
)
def test_bad_near_is_a_400_naming_the_field(api, cadre, query, field):
    response = api.as_user(cadre).get(f"/api/v1/households/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_household_list_query_count_is_flat(api, org, dispatcher, django_assert_max_num_queries):
    HouseholdFactory.create_batch(3, unit=org.grid1)
    api.as_user(dispatcher)
    with django_assert_max_num_queries(4) as small:
        api.get("/api/v1/households/?page_size=200")
    HouseholdFactory.create_batch(60, unit=org.grid2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get("/api/v1/households/?page_size=200")
    assert len(response.json()["results"]) == 63


def test_cadre_adds_an_unconfirmed_household_found_on_the_spot(api, org, cadre):
    response = api.as_user(cadre).post(
        "/api/v1/households/",
        {
            "address": "丈八一路8号",
            "head_name": "王五",
            "phone": "13700001111",
            "members": 2,
            "lat": 34.191,
            "lng": 108.881,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    home = Household.objects.get(pk=response.json()["id"])
    assert (home.unit, home.confirmed, home.created_by) == (org.grid1, False, cadre)


def test_household_outside_the_cadres_scope_is_refused(api, org, cadre):
    response = api.as_user(cadre).post(
        "/api/v1/households/",
        {"address": "鱼化一路", "head_name": "王五", "members": 2, "lat": 34.231, "lng": 108.851},
        format="json",
    )

    assert response.status_code == 404
    assert not Household.objects.exists()


def test_bad_credit_code_is_a_400_naming_it(api, org, admin_user):
    response = api.as_user(admin_user).post(
        "/api/v1/enterprises/",
        {"name": "某公司", "credit_code": "91350100M000100Y44", "address": "锦业路", "unit": org.grid1.id},
        format="json",
    )

    assert response.status_code == 400
    assert "校验位" in response.json()["credit_code"][0]


def test_leader_may_not_write_registries(api, org, leader):
    response = api.as_user(leader).post(
        "/api/v1/households/", {"address": "x", "head_name": "王五", "members": 1, "unit": org.grid1.id}, format="json"
    )

    assert response.status_code == 403
