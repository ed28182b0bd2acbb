"""Bad input is refused with a 400 naming the field, and nothing is stored (SPEC §4, §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.parsers import MAX_JSON_BYTES
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


# --- attacks: every hostile value answers 400 naming the field, and nothing is stored (issue 12 item 1) ----------
def _counts() -> tuple[int, ...]:
    from issues.models import Ticket, TicketEvent
    from visits.models import VisitPhoto

    return tuple(m.objects.count() for m in (Visit, Ticket, VisitPhoto, TicketEvent))


def _post_raw(api, user, text: str):
    return api.as_user(user).post("/api/v1/visits/", data=text, content_type="application/json")


ISSUE = {"kind": "request", "description": "路灯不亮"}
ATTACKS = [
    ("lat string NaN", {"lat": "NaN"}, "lat"),
    ("lng string Infinity", {"lng": "Infinity"}, "lng"),
    ("lat string -Infinity", {"lat": "-Infinity"}, "lat"),
    ("accuracy string NaN", {"accuracy_m": "NaN"}, "accuracy_m"),
    ("accuracy string inf", {"accuracy_m": "inf"}, "accuracy_m"),
    ("accuracy 1e308", {"accuracy_m": 1e308}, "accuracy_m"),
    ("lat 1e308", {"lat": 1e308}, "lat"),
    ("lat huge string", {"lat": "1" * 400}, "lat"),
    ("people_met huge", {"people_met": 10**40}, "people_met"),
    ("people_met string huge", {"people_met": "9" * 5000}, "people_met"),
    ("visited_at year 1", {"visited_at": "0001-01-01T00:00:00+08:00"}, "visited_at"),
    ("visited_at year 1 west", {"visited_at": "0001-01-01T00:00:00-08:00"}, "visited_at"),
    ("visited_at year 9999", {"visited_at": "9999-12-31T23:59:59-08:00"}, "visited_at"),
    ("visited_at offset +25:00", {"visited_at": "2026-05-12T10:30:00+25:00"}, "visited_at"),
    ("visited_at offset +24:00", {"visited_at": "2026-05-12T10:30:00+24:00"}, "visited_at"),
    ("visited_at offset -23:59", {"visited_at": "2026-05-12T10:30:00-23:59"}, "visited_at"),
    ("visited_at far past", {"visited_at": "1900-01-01T00:00:00+08:00"}, "visited_at"),
    ("visited_at not text", {"visited_at": 1715481000}, "visited_at"),
    ("visited_at huge text", {"visited_at": "2" * 100_000}, "visited_at"),
    ("notes NUL", {"notes": "a\u0000b"}, "notes"),
    ("notes lone surrogate", {"notes": "a\ud800b"}, "notes"),
    ("notes low surrogate", {"notes": "\udfff"}, "notes"),
    ("notes bell", {"notes": "a\u0007b"}, "notes"),
    ("notes escape", {"notes": "\u001b[31mred"}, "notes"),
    ("notes DEL", {"notes": "a\u007fb"}, "notes"),
    ("notes C1", {"notes": "a\u0085b"}, "notes"),
    ("notes very long", {"notes": "x" * 1_000_000}, "notes"),
    ("checklist value NUL", {"checklist": {"family": "\u0000"}}, "checklist"),
    ("checklist value surrogate", {"checklist": {"family": "\ud800"}}, "checklist"),
    ("checklist value control", {"checklist": {"family": "\u0001"}}, "checklist"),
    ("checklist key NUL", {"checklist": {"fam\u0000ily": "好"}}, "checklist"),
    ("checklist key surrogate", {"checklist": {"\ud800": "好"}}, "checklist"),
    ("checklist key long", {"checklist": {"k" * 10_000: "好"}}, "checklist"),
    ("checklist not a dict", {"checklist": ["family"]}, "checklist"),
    ("issue description NUL", {"issues": [{**ISSUE, "description": "灯\u0000"}]}, "issues[0].description"),
    ("issue description surrogate", {"issues": [{**ISSUE, "description": "\ud800"}]}, "issues[0].description"),
    ("issue description control", {"issues": [{**ISSUE, "description": "灯\u0008"}]}, "issues[0].description"),
    ("issue category control", {"issues": [{**ISSUE, "category": "\u0002"}]}, "issues[0].category"),
    ("issue requester name NUL", {"issues": [{**ISSUE, "requester_name": "张\u0000"}]}, "issues[0].requester_name"),
    (
        "issue result surrogate",
        {"issues": [{**ISSUE, "resolved_on_site": True, "result": "\udc00"}]},
        "issues[0].result",
    ),
    ("issue lat NaN", {"issues": [{**ISSUE, "lat": "NaN", "lng": 108.88}]}, "issues[0].lat"),
    ("issue lng inf", {"issues": [{**ISSUE, "lat": 34.19, "lng": "Infinity"}]}, "issues[0].lng"),
    ("issue attachment control", {"issues": [{**ISSUE, "attachments": ["a\u0003"]}]}, "issues[0].attachments"),
    (
        "issue result very long",
        {"issues": [{**ISSUE, "resolved_on_site": True, "result": "x" * 100_000}]},
        "issues[0].result",
    ),
]


@pytest.mark.parametrize(("case", "change", "field"), ATTACKS, ids=[case for case, _c, _f in ATTACKS])
def test_hostile_value_is_refused_naming_the_field_and_nothing_is_stored(
    api, cadre, household, campaign_obj, case, change, field
):
    import json

    before = _counts()
    body = visit_body(household, **change)

    response = _post_raw(api, cadre, json.dumps(body, ensure_ascii=True))

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert _counts() == before


@pytest.mark.parametrize(
    "literal", ["NaN", "Infinity", "-Infinity"], ids=["NaN literal", "Infinity literal", "-Infinity literal"]
)
def test_non_finite_json_literal_is_refused(api, cadre, household, campaign_obj, literal):
    import json

    before = _counts()
    text = json.dumps(visit_body(household, accuracy_m=0)).replace('"accuracy_m": 0', f'"accuracy_m": {literal}')

    response = _post_raw(api, cadre, text)

    assert response.status_code == 400, response.content[:300]
    assert _counts() == before


def test_minus_zero_and_tab_newline_in_notes_are_accepted(api, cadre, household, campaign_obj):
    body = visit_body(household, lat=34.1901, lng=108.8801, accuracy_m=-0.0, notes="第一行\n\t第二行\r\n")

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201, response.json()
    assert Visit.objects.get().notes == "第一行\n\t第二行\r\n"


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deeply_nested_json_is_refused(api, cadre, household, campaign_obj, depth):
    before = _counts()
    text = '{"id": "x", "checklist": ' + "[" * depth + "]" * depth + "}"

    response = _post_raw(api, cadre, text)

    assert response.status_code == 400, response.content[:300]
    assert _counts() == before


def test_huge_json_body_is_refused(api, cadre, household, campaign_obj):
    import json

    before = _counts()
    body = visit_body(household, checklist={f"k{i}": "x" * 400 for i in range(8000)})

    text = json.dumps(body)
    assert len(text) > MAX_JSON_BYTES

    response = _post_raw(api, cadre, text)

    assert response.status_code == 400, response.content[:300]
    assert _counts() == before
