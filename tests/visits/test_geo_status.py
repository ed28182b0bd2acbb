"""geo_status (SPEC §4), first match wins: no_fix, poor_accuracy, no_reference, verified (≤ 200 m + accuracy), far;
and the plausibility flags."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.geo import METRES_PER_DEGREE_LAT
from tests.factories import HouseholdFactory
from tests.visits.conftest import visit_body
from visits.geo import geo_status_for, is_impossible_speed


@pytest.mark.parametrize(
    ("has_fix", "accuracy", "distance", "expected"),
    [
        (False, None, None, "no_fix"),
        (False, 500, 10, "no_fix"),  # no coordinates wins over everything
        (True, 100, 50, "verified"),  # accuracy exactly 100 m is still good enough
        (True, 100.1, 50, "poor_accuracy"),
        (True, 100.1, None, "poor_accuracy"),  # poor accuracy wins over no reference
        (True, 20, None, "no_reference"),
        (True, 20, 220.0, "verified"),  # exactly 200 m + accuracy
        (True, 20, 220.01, "far"),
        (True, 0, 200.0, "verified"),
        (True, 0, 200.01, "far"),
    ],
)
def test_geo_status_boundaries(has_fix, accuracy, distance, expected):
    assert geo_status_for(has_fix=has_fix, accuracy_m=accuracy, distance_m=distance) == expected


def _north_of(lat: float, metres: float) -> float:
    return lat + metres / METRES_PER_DEGREE_LAT


def _post(api, user, body):
    response = api.as_user(user).post("/api/v1/visits/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_point_just_inside_radius_is_verified_and_just_outside_is_far(api, cadre, household, campaign_obj):
    inside = _post(
        api, cadre, visit_body(household, lat=_north_of(household.lat, 215), lng=household.lng, accuracy_m=20)
    )
    outside = _post(
        api, cadre, visit_body(household, lat=_north_of(household.lat, 226), lng=household.lng, accuracy_m=20)
    )

    assert inside["geo_status"] == "verified" and 214 < inside["distance_m"] < 216
    assert outside["geo_status"] == "far" and 225 < outside["distance_m"] < 227


def test_visit_without_coordinates_is_no_fix(api, cadre, household, campaign_obj):
    data = _post(api, cadre, visit_body(household, lat=None, lng=None, accuracy_m=None))

    assert data["geo_status"] == "no_fix" and data["distance_m"] is None and data["point_unit"] is None


def test_visit_with_poor_accuracy_is_poor_accuracy(api, cadre, household, campaign_obj):
    assert _post(api, cadre, visit_body(household, accuracy_m=100.1))["geo_status"] == "poor_accuracy"
    assert _post(api, cadre, visit_body(household, accuracy_m=100))["geo_status"] == "verified"


def test_household_without_location_gives_no_reference(api, cadre, org, campaign_obj):
    household = HouseholdFactory(unit=org.grid1, lat=None, lng=None)

    assert _post(api, cadre, visit_body(household))["geo_status"] == "no_reference"


@pytest.mark.parametrize(
    ("metres", "minutes", "expected"),
    [
        (5000, 1, True),  # 300 km/h
        (5000, 3, False),  # 100 km/h
        (900, 0, False),  # under 1 km: GPS noise, not travel
        (1500, 0, True),
    ],
)
def test_impossible_speed_rule(metres, minutes, expected):
    assert is_impossible_speed(distance_m=metres, elapsed=dt.timedelta(minutes=minutes)) is expected


def test_a_jump_of_5_km_in_one_minute_flags_impossible_speed(api, cadre, org, campaign_obj):
    # given a first visit at grid1, and a household 5 km north (still the cadre's grid on the register)
    near = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    far_away = HouseholdFactory(unit=org.grid1, lat=_north_of(34.19, 5000), lng=108.88)
    first_at = timezone.localtime().replace(microsecond=0) - dt.timedelta(hours=3)
    _post(api, cadre, visit_body(near, lat=34.19, lng=108.88, visited_at=first_at.isoformat()))

    # when the next visit is logged one minute later at the far household
    second_at = first_at + dt.timedelta(minutes=1)
    data = _post(api, cadre, visit_body(far_away, lat=far_away.lat, lng=108.88, visited_at=second_at.isoformat()))

    # then it is flagged (and still verified against its own target)
    assert "impossible_speed" in data["flags"]
    assert data["geo_status"] == "verified"
    # and an hour later it would have been plausible
    later = first_at + dt.timedelta(hours=1)
    data = _post(api, cadre, visit_body(far_away, lat=far_away.lat, lng=108.88, visited_at=later.isoformat()))
    assert "impossible_speed" not in data["flags"]


def test_point_in_another_grid_is_flagged_outside_grid(api, cadre, household, org, campaign_obj):
    data = _post(api, cadre, visit_body(household, lat=34.23, lng=108.85, accuracy_m=10))

    assert data["point_unit"]["id"] == org.grid2.id
    assert data["unit"]["id"] == org.grid1.id  # the visit belongs to its target's unit
    assert "outside_grid" in data["flags"] and data["geo_status"] == "far"
