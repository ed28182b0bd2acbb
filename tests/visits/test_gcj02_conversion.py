"""GCJ-02 (AMap, Tencent, WeChat) ↔ WGS-84: published pairs, round trips, and the conversion on the way in."""

from __future__ import annotations

import pytest

from campaign.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from tests.visits.conftest import visit_body
from visits.models import Visit

# (WGS-84 lat, lng) → (GCJ-02 lat, lng), as published (the SPEC's pair; coordTransform's README example).
PUBLISHED_PAIRS = [
    ((39.9087, 116.3975), (39.91010, 116.40374)),
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED_PAIRS)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    converted = wgs84_to_gcj02(*wgs)

    assert haversine_m(*converted, *gcj) < 1.0


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED_PAIRS)
def test_gcj02_to_wgs84_inverts_published_pairs_within_half_a_metre(wgs, gcj):
    back = gcj02_to_wgs84(*gcj)

    assert haversine_m(*back, *wgs) < 1.0  # the published GCJ value is itself rounded
    assert haversine_m(*gcj02_to_wgs84(*wgs84_to_gcj02(*wgs)), *wgs) < 0.5


@pytest.mark.parametrize("point", [(34.19, 108.88), (31.2304, 121.4737), (22.5431, 114.0579), (45.75, 126.63)])
def test_round_trip_across_china_stays_within_half_a_metre(point):
    assert haversine_m(*gcj02_to_wgs84(*wgs84_to_gcj02(*point)), *point) < 0.5


def test_a_gcj02_visit_is_stored_in_wgs84_and_keeps_its_crs(api, cadre, household, campaign_obj):
    # given a phone map SDK reporting the household's own position in GCJ-02 (≈ 460 m off in WGS-84 terms)
    gcj_lat, gcj_lng = wgs84_to_gcj02(household.lat, household.lng)
    body = visit_body(household, lat=gcj_lat, lng=gcj_lng, crs="gcj02", accuracy_m=10)

    # when it is posted
    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    # then it is converted on the way in: stored at the household, verified
    assert response.status_code == 201, response.json()
    visit = Visit.objects.get()
    assert visit.crs == "gcj02"
    assert haversine_m(visit.lat, visit.lng, household.lat, household.lng) < 0.5
    assert visit.geo_status == "verified"


def test_the_same_gcj02_point_sent_as_wgs84_is_far(api, cadre, household, campaign_obj):
    gcj_lat, gcj_lng = wgs84_to_gcj02(household.lat, household.lng)

    response = api.as_user(cadre).post(
        "/api/v1/visits/", visit_body(household, lat=gcj_lat, lng=gcj_lng, accuracy_m=10), format="json"
    )

    assert response.json()["geo_status"] == "far"
