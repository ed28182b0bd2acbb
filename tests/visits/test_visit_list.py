"""GET /api/v1/visits/ and /visits/{id}/: scoped, filtered, cursor-paginated newest first, flat query count."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory
from visits.models import Visit


def make_visits(cadre, unit, n: int, *, start: dt.datetime | None = None, geo_status: str = "verified") -> list[Visit]:
    start = start or timezone.now() - dt.timedelta(days=1)
    rows = []
    for i in range(n):
        household = HouseholdFactory(unit=unit)
        rows.append(
            Visit(
                id=uuid.uuid4(),
                cadre=cadre,
                target_type="household",
                household=household,
                unit=unit,
                visited_at=start + dt.timedelta(minutes=i),
                lat=34.19,
                lng=108.88,
                accuracy_m=10,
                geo_status=geo_status,
                distance_m=5,
                body_hash="x",
            )
        )
    return Visit.objects.bulk_create(rows)


def test_list_is_newest_first_and_follows_the_cursor(api, cadre, org):
    visits = make_visits(cadre, org.grid1, 5)

    first = api.as_user(cadre).get("/api/v1/visits/?page_size=3").json()
    second = api.as_user(cadre).get(first["next"]).json()

    expected = [str(v.id) for v in sorted(visits, key=lambda v: v.visited_at, reverse=True)]
    assert [v["id"] for v in first["results"] + second["results"]] == expected
    assert second["next"] is None


def test_list_query_count_stays_flat(api, leader, cadre, org, django_assert_max_num_queries):
    make_visits(cadre, org.grid1, 3)
    with django_assert_max_num_queries(8) as small:
        api.as_user(leader).get("/api/v1/visits/")
    make_visits(cadre, org.grid1, 40)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.as_user(leader).get("/api/v1/visits/")

    assert len(response.json()["results"]) == 43


def test_filters_by_unit_cadre_geo_status_and_shanghai_days(api, leader, cadre, cadre2, org):
    # 2026-05-11 23:30 Asia/Shanghai is 15:30 UTC: it belongs to the 11th, not the 12th
    tz = timezone.get_default_timezone()
    late_on_11th = dt.datetime(2026, 5, 11, 23, 30, tzinfo=tz)
    early_on_12th = dt.datetime(2026, 5, 12, 0, 10, tzinfo=tz)
    (a,) = make_visits(cadre, org.grid1, 1, start=late_on_11th)
    (b,) = make_visits(cadre, org.grid1, 1, start=early_on_12th, geo_status="far")
    (c,) = make_visits(cadre2, org.grid2, 1, start=early_on_12th)
    client = api.as_user(leader)

    def ids(query: str) -> set[str]:
        response = client.get(f"/api/v1/visits/?{query}")
        assert response.status_code == 200, response.json()
        return {v["id"] for v in response.json()["results"]}

    assert ids(f"unit={org.street1.id}") == {str(a.id), str(b.id)}
    assert ids(f"cadre={cadre2.id}") == {str(c.id)}
    assert ids("geo_status=far") == {str(b.id)}
    assert ids("date_from=2026-05-12&date_to=2026-05-12") == {str(b.id), str(c.id)}
    assert ids("date_to=2026-05-11") == {str(a.id)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-13-01", "date_from"),
        ("geo_status=lost", "geo_status"),
        ("cadre=x", "cadre"),
        ("date_from=2026-05-12&date_to=2026-05-11", "date_to"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api, leader, org, query, field):
    response = api.as_user(leader).get(f"/api/v1/visits/?{query}")

    assert response.status_code == 400 and field in response.json()


def test_detail_masks_the_household_heads_name(api, leader, cadre, org):
    (visit,) = make_visits(cadre, org.grid1, 1)

    data = api.as_user(leader).get(f"/api/v1/visits/{visit.id}/").json()

    assert "张**" in data["target_name"] and "张三丰" not in str(data)


def test_anonymous_is_refused(api, org):
    assert api.get("/api/v1/visits/").status_code in (401, 403)
