"""POST /api/v1/tickets/suggest/ (issue 15 items 2 and 3): categories of the campaign with codes and scores, lead
units from the directory and the model, likely duplicates nearby — and every bad body refused with a 400."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import Category
from issues.models import DirectoryRow
from issues.router import loading
from issues.router.store import router_train
from tests.dashboard.conftest import ticket_row
from tests.issues.router_tickets import dispatched_tickets

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/suggest/"
POINT = {"lat": 34.19, "lng": 108.88}  # grid1's centre
METRE_LAT = 1 / 111_320


@pytest.fixture(autouse=True)
def fresh_router():
    loading.forget()
    yield
    loading.forget()


def post(api, user, **body):
    return api.as_user(user).post(URL, body, format="json")


def near(metres_north: float, **fields):
    """An open ticket of grid1 `metres_north` of the point, two days old unless told."""
    now = timezone.now()
    fields.setdefault("created_at", now - dt.timedelta(days=2))
    fields.setdefault("status", "dispatched")
    return ticket_row(lat=POINT["lat"] + metres_north * METRE_LAT, lng=POINT["lng"], **fields)


def test_without_a_model_the_keywords_rank_the_campaigns_categories(api, dispatcher, org, campaign_obj):
    body = post(api, dispatcher, description="小区门口长期有人占道经营，还有违章搭建", **POINT).json()
    categories = body["categories"]
    assert categories[0] == {"category": "城市管理", "code": "urban", "score": categories[0]["score"]}
    scores = [c["score"] for c in categories]
    assert len(categories) >= 3 and all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)
    assert body["lead_units"] == [] and body["duplicates"] == []
    campaign_obj.categories.set(Category.objects.filter(code__in=["traffic", "health"]))
    limited = post(api, dispatcher, description="小区门口长期有人占道经营", **POINT).json()["categories"]
    assert {c["category"] for c in limited} == {"道路交通", "医疗卫生"}  # only the campaign's: two, both offered


def test_the_directory_and_the_model_name_lead_units(api, dispatcher, org, campaign_obj):
    DirectoryRow.objects.create(category=Category.objects.get(code="urban"), area=org.street1, lead_unit=org.dept2)
    dispatched_tickets(org, 120)
    router_train()
    units = post(api, dispatcher, description="门口有人占道经营摆摊，希望尽快处理", **POINT).json()["lead_units"]
    assert units[0]["source"] == "directory" and units[0]["unit"] == org.dept2.pk
    assert units[0]["name"] == "人社局" and units[0]["category"] == "城市管理"
    model = [u for u in units if u["source"] == "model"]
    assert model and model[0]["unit"] == org.dept1.pk  # the model learnt 城市管理 → dept1 from the tickets
    assert len({u["unit"] for u in units}) == len(units)


def test_likely_duplicates_near_in_time_and_place_are_listed(api, dispatcher, org):
    now = timezone.now()
    same = near(50, unit=org.grid1, description="门口占道经营")
    far = near(2000, unit=org.grid1, description="路灯坏了")
    similar = near(250, unit=org.grid1, category="道路交通", description="小区门口有人占道经营，影响通行")
    cancelled = near(20, unit=org.grid1, status="cancelled")
    old_resolved = near(30, unit=org.grid1, status="closed", resolved_at=now - dt.timedelta(days=40))
    new_resolved = near(30, unit=org.grid1, status="resolved", resolved_at=now - dt.timedelta(days=3))
    stale_same = near(40, unit=org.grid1, description="别的事情", created_at=now - dt.timedelta(days=10))
    rows = type(same).objects.bulk_create([same, far, similar, cancelled, old_resolved, new_resolved, stale_same])
    found = post(api, dispatcher, description="小区门口有人占道经营", **POINT).json()["duplicates"]
    ids = [d["id"] for d in found]
    assert set(ids) == {rows[0].pk, rows[2].pk, rows[5].pk}
    assert ids[0] in (rows[0].pk, rows[5].pk)  # the nearest of the same category first
    scores = [d["score"] for d in found]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    listed = {d["id"]: d for d in found}
    assert listed[rows[0].pk]["distance_m"] == pytest.approx(50, abs=1)
    assert listed[rows[2].pk]["similarity"] >= 0.35


def test_duplicates_are_read_from_the_callers_scope_only(api, cadre2, org, campaign_obj):
    # cadre2 works in grid2: a ticket of grid1 next to a point of grid2 is not theirs to see
    grid2_point = {"lat": 34.23, "lng": 108.85}
    row = ticket_row(unit=org.grid1, created_at=timezone.now(), status="reported", **grid2_point)
    type(row).objects.bulk_create([row])
    answer = post(api, cadre2, description="小区门口有人占道经营", **grid2_point)
    assert answer.status_code == 200 and answer.json()["duplicates"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": ""}, "description"),
        ({"description": "x\x00y"}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({}, "description"),
        ({"description": "x", "lat": "NaN", "lng": 108.88}, "lat"),
        ({"description": "x", "lat": 34.19}, "lat"),
        ({"description": "x", "lat": 91, "lng": 108.88}, "lat"),
        ({"description": "x", "lat": 34.19, "lng": "1e999"}, "lng"),
        ({"description": "x", "crs": "EPSG:3857", **POINT}, "crs"),
        ({"description": "x", "lat": 39.9, "lng": 116.4}, "lat"),  # Beijing: not where this cadre works
        ({"description": ["x"]}, "description"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(api, cadre, org, body, field):
    answer = api.as_user(cadre).post(URL, body, format="json")
    assert answer.status_code == 400 and field in answer.json()


def test_only_a_signed_in_user_may_ask(client, org):
    assert client.post(URL, {"description": "路灯不亮"}, content_type="application/json").status_code in (401, 403)


def test_a_suggestion_reads_a_fixed_number_of_queries(api, dispatcher, org, django_assert_max_num_queries):
    DirectoryRow.objects.create(category=Category.objects.get(code="urban"), lead_unit=org.dept1)
    rows = [near(10 * i, unit=org.grid1) for i in range(30)]
    type(rows[0]).objects.bulk_create(rows)
    client = api.as_user(dispatcher)
    client.post(URL, {"description": "占道经营", **POINT}, format="json")  # warm: the session, the user
    with django_assert_max_num_queries(16):
        assert client.post(URL, {"description": "占道经营", **POINT}, format="json").status_code == 200


def test_the_ticket_page_shows_the_suggestion_and_merges_a_duplicate(tickets, dispatcher, org, web):
    earlier = tickets.reported(description="小区门口有人占道经营，影响通行")
    later = tickets.reported(description="门口占道经营的摊贩又来了")
    page = web(dispatcher).get(f"/tickets/{later.pk}/").content.decode()
    assert "智能分派辅助" in page and "疑似重复诉求" in page and earlier.code in page
    assert 'class="chip current">城市管理' in page
    merged = web(dispatcher).post(
        f"/tickets/{later.pk}/act/cancel/",
        {"version": later.version, "merge_into": earlier.code, "reason": f"重复诉求，合并至 {earlier.code}"},
    )
    assert merged.status_code == 302
    later.refresh_from_db()
    assert later.status == "cancelled" and later.merge_into_id == earlier.pk


def test_a_cadre_sees_no_intake_panel(tickets, cadre, web):
    ticket = tickets.reported()
    assert "智能分派辅助" not in web(cadre).get(f"/tickets/{ticket.pk}/").content.decode()
