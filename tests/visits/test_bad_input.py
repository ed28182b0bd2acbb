"""Bad input is refused with a 400 naming the field, and nothing is stored (SPEC §4, §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.visits.conftest import visit_body
from visits.models import Visit


def _now() -> dt.datetime:
    return timezone.localtime().replace(microsecond=0)


BAD = [
    # Times relative to now are computed when the test runs (callables), not when the suite is collected.
    ("future visited_at", {"visited_at": lambda: (_now() + dt.timedelta(minutes=6)).isoformat()}, "visited_at"),
    ("missing offset", {"visited_at": lambda: _now().replace(tzinfo=None).isoformat()}, "visited_at"),
    ("not a date", {"visited_at": "yesterday"}, "visited_at"),
    ("before the campaign", {"visited_at": "2025-12-31T23:59:00+08:00"}, "visited_at"),
    ("unknown checklist key", {"checklist": {"family": "好", "horoscope": "吉"}}, "checklist"),
    ("checklist value too long", {"checklist": {"family": "好" * 501}}, "checklist"),
    ("checklist value not text", {"checklist": {"family": {"a": 1}}}, "checklist"),
    ("notes too long", {"notes": "记" * 2001}, "notes"),
    ("people_met negative", {"people_met": -1}, "people_met"),
    ("people_met too many", {"people_met": 1000}, "people_met"),
    ("bad crs", {"crs": "bd09"}, "crs"),
    ("lat out of range", {"lat": 91}, "lat"),
    ("lng out of range", {"lng": -181}, "lng"),
    ("lat without lng", {"lng": None}, "lng"),
    ("coordinates without accuracy", {"accuracy_m": None}, "accuracy_m"),
    ("negative accuracy", {"accuracy_m": -5}, "accuracy_m"),
    ("bad id", {"id": "not-a-uuid"}, "id"),
    ("bad target_type", {"target_type": "shop"}, "target_type"),
    ("target_type without target_id", {"target_id": None}, "target_id"),
    ("target_id without target_type", {"target_type": ""}, "target_type"),
    ("unknown campaign", {"campaign": 999999}, "campaign"),
    ("issues not a list", {"issues": {"kind": "request"}}, "issues"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[case for case, _c, _f in BAD])
def test_bad_visit_is_refused_naming_the_field(api, cadre, household, campaign_obj, case, change, field):
    body = visit_body(household, **{name: value() if callable(value) else value for name, value in change.items()})

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert Visit.objects.count() == 0


def test_neither_target_nor_ticket_is_refused(api, cadre, campaign_obj):
    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(), format="json")

    assert response.status_code == 400 and "target_type" in response.json()
    assert Visit.objects.count() == 0


def test_database_refuses_a_visit_with_both_targets(cadre, household, org):
    from django.db import IntegrityError, transaction

    from tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory(unit=org.grid1)
    visit = Visit(
        id="00000000-0000-0000-0000-000000000001",
        cadre=cadre,
        target_type="household",
        household=household,
        enterprise=enterprise,
        unit=org.grid1,
        visited_at=timezone.now(),
        geo_status="no_fix",
        body_hash="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        visit.save(force_insert=True)


def test_visit_five_minutes_ahead_is_accepted(api, cadre, household, campaign_obj):
    body = visit_body(household, visited_at=(_now() + dt.timedelta(minutes=4)).isoformat())

    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 201


def test_utc_offset_is_accepted_and_stored_as_the_same_instant(api, cadre, household, campaign_obj):
    instant = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    body = visit_body(household, visited_at=instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"))

    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 201
    assert Visit.objects.get().visited_at == instant
