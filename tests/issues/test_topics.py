"""Monthly topics (每月一题 / 专题, issue 15 item 5): a leader promotes a cluster, later tickets of the cluster attach
themselves, the lead unit marks milestones, the progress counts the tickets, the pages and the monthly report."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from campaign.days import today
from campaign.errors import NotAllowed, OutOfScope, WrongState
from campaign.geo import haversine_m
from campaign.models import OrgUnit, UnitKind
from issues.models import Ticket, Topic, TopicMilestone, TopicStatus
from issues.services import ticket_create
from issues.topics import milestone_done, progress, topic_close, topic_create, topic_detail
from tests.factories import square

pytestmark = pytest.mark.django_db

CENTRE = {"lat": 34.19, "lng": 108.88}  # grid1's centre, where the `tickets` helper reports
NEAR = {"lat": 34.192, "lng": 108.881}  # ~240 m from the centre, still in grid1
FAR = {"lat": 34.208, "lng": 108.88}  # 2 km north


def month_first() -> dt.date:
    return today().replace(day=1)


def month_end() -> dt.date:
    first = month_first()
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def promote(actor, org, ids=(), **overrides) -> Topic:
    fields = {
        "title": "占道经营集中整治",
        "category": "城市管理",
        "area": org.district,
        **CENTRE,
        "radius_m": 500,
        "lead_unit": org.dept1,
        "deadline": month_end(),
        "month": month_first(),
        "description": "丈八一网格周边占道经营反复出现。",
        "milestones": [("摸排走访", month_first()), ("集中整治", None)],
        "ticket_ids": list(ids),
        **overrides,
    }
    return topic_create(actor=actor, **fields)


def body(org, ids=(), **overrides) -> dict:
    return {
        "title": "占道经营集中整治",
        "category": "城市管理",
        "area": org.district.pk,
        **CENTRE,
        "radius_m": 500,
        "lead_unit": org.dept1.pk,
        "deadline": month_end().isoformat(),
        "month": f"{month_first():%Y-%m}",
        "milestones": [{"title": "摸排走访", "due": month_first().isoformat()}, {"title": "集中整治"}],
        "ticket_ids": list(ids),
        **overrides,
    }


@pytest.fixture
def far_grid(org) -> OrgUnit:
    """A grid 2 km north of grid1, where the district's dispatcher may register a hotline ticket."""
    return OrgUnit.objects.create(
        name="丈八二网格", kind=UnitKind.GRID, parent=org.community1, boundary=square(FAR["lat"], FAR["lng"]), **FAR
    )


def hotline(dispatcher, category="城市管理", **point) -> Ticket:
    ticket = ticket_create(
        actor=dispatcher, source="hotline", kind="complaint", category=category, description="门口占道经营", **point
    )
    ticket.refresh_from_db()
    return ticket


# --- promote ---------------------------------------------------------------------------------------------------
def test_a_leader_promotes_a_cluster_with_its_tickets_and_milestones(api, tickets, leader, org):
    # given three tickets of one category in one place
    cluster = [tickets.reported() for _ in range(3)]
    # when a leader promotes them through the API
    response = api.as_user(leader).post("/api/v1/topics/", body(org, [t.pk for t in cluster]), format="json")
    # then the topic holds its tickets and its milestones in order
    assert response.status_code == 201, response.content
    data = response.json()
    topic = Topic.objects.get(pk=data["id"])
    assert topic.district_id == org.district.pk and topic.month == month_first() and topic.created_by == leader
    assert sorted(data["ticket_ids"]) == sorted(t.pk for t in cluster)
    assert set(Ticket.objects.filter(topic=topic).values_list("pk", flat=True)) == {t.pk for t in cluster}
    assert [(m.title, m.due, m.position) for m in topic.milestones.order_by("position")] == [
        ("摸排走访", month_first(), 0),
        ("集中整治", None, 1),
    ]
    assert data["progress"]["tickets_total"] == 3 and data["progress"]["milestones_total"] == 2
    assert data["status"] == "open" and data["lead_unit_name"] == "城管局"


def test_a_later_ticket_of_the_cluster_attaches_itself(tickets, leader, dispatcher, org, far_grid):
    topic = promote(leader, org)
    # a ticket of the same category within the radius attaches
    near = tickets.reported(**NEAR)
    assert Ticket.objects.get(pk=near.pk).topic_id == topic.pk
    # one 2 km away, or of another category, does not
    assert haversine_m(CENTRE["lat"], CENTRE["lng"], FAR["lat"], FAR["lng"]) > 1900
    assert hotline(dispatcher, **FAR).topic_id is None
    assert Ticket.objects.get(pk=tickets.reported(category="环境卫生", **NEAR).pk).topic_id is None
    # nor one without a point
    assert hotline(dispatcher, unit=org.grid1).topic_id is None


def test_the_nearest_open_topic_wins_and_a_closed_one_takes_none(tickets, leader, org):
    wide = promote(leader, org, title="大范围", radius_m=3000, lat=34.193, lng=108.88)  # in grid1, 330 m north
    close = promote(leader, org, title="近处")
    assert Ticket.objects.get(pk=tickets.reported().pk).topic_id == close.pk
    topic_close(actor=leader, topic=close)
    assert Ticket.objects.get(pk=tickets.reported().pk).topic_id == wide.pk
    topic_close(actor=leader, topic=wide)
    assert Ticket.objects.get(pk=tickets.reported().pk).topic_id is None


@pytest.mark.parametrize("who", ["dispatcher", "handler"])
def test_other_roles_cannot_promote(api, request, who, tickets, org):
    ticket = tickets.reported()
    response = api.as_user(request.getfixturevalue(who)).post("/api/v1/topics/", body(org, [ticket.pk]), format="json")
    assert response.status_code == 403 if who == "dispatcher" else 404  # a handler's scope holds no district
    assert not Topic.objects.exists() and Ticket.objects.get(pk=ticket.pk).topic_id is None


def test_a_cadre_cannot_promote_even_in_their_own_grid(api, cadre, org):
    response = api.as_user(cadre).post(
        "/api/v1/topics/", body(org, area=org.grid1.pk, lead_unit=org.grid1.pk), format="json"
    )
    assert response.status_code == 403
    assert not Topic.objects.exists()


def test_an_area_or_lead_unit_out_of_scope_is_404(api, street_leader, org):
    client = api.as_user(street_leader)  # 丈八街道: neither 鱼化寨街道 nor the district's departments are theirs
    for area, lead_unit in ((org.street2, org.street1), (org.street1, org.dept1)):
        response = client.post("/api/v1/topics/", body(org, area=area.pk, lead_unit=lead_unit.pk), format="json")
        assert response.status_code == 404
    assert not Topic.objects.exists()
    # within their street they may
    response = client.post("/api/v1/topics/", body(org, area=org.street1.pk, lead_unit=org.street1.pk), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "整治\x00"}, "title"),
        ({"deadline": (month_first() - dt.timedelta(days=1)).isoformat()}, "deadline"),
        ({"radius_m": 0}, "radius_m"),
        ({"category": "不存在的类别"}, "category"),
        ({"milestones": [{"title": "过期", "due": "2000-01-01"}]}, "milestones"),
        ({"lat": 91}, "lat"),
        ({"month": "2026-13"}, "month"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_nothing_is_stored(api, tickets, leader, org, overrides, field):
    ticket = tickets.reported()
    response = api.as_user(leader).post("/api/v1/topics/", body(org, [ticket.pk], **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Topic.objects.exists() and not TopicMilestone.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).topic_id is None


def test_tickets_of_another_category_or_unseen_are_refused(api, tickets, leader, org):
    other = tickets.reported(category="环境卫生")
    response = api.as_user(leader).post("/api/v1/topics/", body(org, [other.pk, 999_999]), format="json")
    assert response.status_code == 400
    assert len(response.json()["ticket_ids"]) == 2  # unknown, other category
    assert not Topic.objects.exists()


# --- progress ----------------------------------------------------------------------------------------------------
def test_progress_counts_closed_and_overdue_tickets(tickets, leader, org, django_assert_num_queries):
    topic = promote(leader, org)
    # given tickets that attach in every state
    tickets.at("closed"), tickets.at("resolved"), tickets.at("cancelled")
    late, on_time = tickets.at("in_progress"), tickets.at("accepted")
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    Ticket.objects.filter(pk=on_time.pk).update(due_at=timezone.now() + dt.timedelta(days=3))
    milestone_done(actor=leader, milestone=topic.milestones.get(position=0))
    # when the progress is read: one aggregate query for the tickets (the milestones were read with the topic)
    detail = topic_detail(leader, topic.pk)
    with django_assert_num_queries(1):
        figures = progress(detail)
    # then the cancelled ticket is not counted; closed = resolved or closed; overdue = open and past due
    assert figures == {
        "milestones_done": 1,
        "milestones_total": 2,
        "progress_rate": 0.5,
        "tickets_total": 4,
        "tickets_closed": 2,
        "tickets_open": 2,
        "tickets_overdue": 1,
        "closure_rate": 0.5,
    }


# --- milestones and closing ----------------------------------------------------------------------------------------
def test_the_lead_units_handler_marks_a_milestone_done(web, leader, handler, handler2, cadre, org):
    topic = promote(leader, org)
    first = topic.milestones.get(position=0)
    url = f"/tickets/topics/{topic.pk}/milestones/{first.pk}/done/"
    # the handler of another department does not see it; a cadre may not use the pages at all
    assert web(handler2).post(url).status_code == 404
    assert web(cadre).post(url).status_code == 403
    # the lead unit's handler sees the 完成 button and marks it
    page = web(handler).get(f"/tickets/topics/{topic.pk}/").content.decode()
    assert url in page
    response = web(handler).post(url)
    assert response.status_code == 302 and response["Location"] == f"/tickets/topics/{topic.pk}/"
    first.refresh_from_db()
    assert first.done_by == handler and first.done_at is not None
    # once only
    with pytest.raises(WrongState):
        milestone_done(actor=handler, milestone=first)
    with pytest.raises(OutOfScope):
        milestone_done(actor=handler2, milestone=first)


def test_leaders_over_the_area_close_a_topic_and_handlers_may_not(leader, handler, org):
    topic = promote(leader, org)
    with pytest.raises(NotAllowed):
        topic_close(actor=handler, topic=topic)
    closed = topic_close(actor=leader, topic=topic)
    assert closed.status == TopicStatus.DONE and closed.closed_at is not None
    with pytest.raises(WrongState):
        topic_close(actor=leader, topic=topic)
    with pytest.raises(WrongState):
        milestone_done(actor=handler, milestone=topic.milestones.first())


def test_a_centre_outside_the_area_is_refused_and_nothing_stored(api, leader, org):
    # street1's topic centred in street2's grid: tickets that attach later would be another street's
    response = api.as_user(leader).post(
        "/api/v1/topics/", body(org, area=org.street1.pk, lat=34.23, lng=108.85), format="json"
    )
    assert response.status_code == 400 and {"lat", "lng"} <= set(response.json())
    assert not Topic.objects.exists()
    inside = api.as_user(leader).post("/api/v1/topics/", body(org, area=org.street1.pk), format="json")
    assert inside.status_code == 201, inside.content


def test_the_api_marks_a_milestone_and_closes_a_topic_in_scope_order(api, leader, handler, handler2, org):
    topic = promote(leader, org)
    first = topic.milestones.get(position=0)
    done = f"/api/v1/topics/{topic.pk}/milestones/{first.pk}/done/"
    assert api.as_user(handler2).post(done).status_code == 404  # another department: not in scope
    assert api.as_user(handler).post(f"/api/v1/topics/{topic.pk}/milestones/999999/done/").status_code == 404
    marked = api.as_user(handler).post(done)
    assert marked.status_code == 200, marked.content
    assert marked.json()["progress"]["milestones_done"] == 1
    assert api.as_user(handler).post(done).status_code == 409  # once only
    close = f"/api/v1/topics/{topic.pk}/close/"
    assert api.as_user(handler).post(close).status_code == 403  # the lead unit's handler may not end it
    ended = api.as_user(leader).post(close)
    assert ended.status_code == 200 and ended.json()["status"] == "done"
    assert api.as_user(leader).post(close).status_code == 409


# --- pages -------------------------------------------------------------------------------------------------------
def _html(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert script.strip() == ""
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    return html


def test_the_pages_render_for_a_leader(web, tickets, leader, org):
    ticket = tickets.reported()
    topic = promote(leader, org, [ticket.pk])
    client = web(leader)
    listing = _html(client.get("/tickets/topics/"))
    assert "占道经营集中整治" in listing and f"/tickets/topics/{topic.pk}/" in listing and "城管局" in listing
    assert '<a href="/tickets/topics/">' in listing  # the nav link
    detail = _html(client.get(f"/tickets/topics/{topic.pk}/"))
    assert "摸排走访" in detail and "<progress" in detail and f'href="/tickets/{ticket.pk}/"' in detail
    assert f"/tickets/topics/{topic.pk}/close/" in detail
    assert "完成" in detail and f"/milestones/{topic.milestones.first().pk}/done/" in detail
    # the ticket links back to its topic
    assert f'href="/tickets/topics/{topic.pk}/"' in _html(client.get(f"/tickets/{ticket.pk}/"))


def test_the_promote_form_is_prefilled_from_a_hot_spot_and_creates_the_topic(web, tickets, leader, org):
    cluster = [tickets.reported(), tickets.reported()]
    ids = ",".join(str(t.pk) for t in cluster)
    client = web(leader)
    query = f"?category=城市管理&lat=34.19&lng=108.88&unit={org.street1.pk}&ids={ids}"
    form = _html(client.get("/tickets/topics/new/" + query))
    assert f'value="{ids}"' in form and 'value="34.19"' in form and 'value="108.88"' in form
    assert re.search(rf'<option value="{org.street1.pk}" selected>', form)
    assert re.search(r'<option value="城市管理" selected>', form)
    data = {
        "title": "占道经营集中整治",
        "category": "城市管理",
        "area": org.street1.pk,
        "lat": "34.19",
        "lng": "108.88",
        "radius_m": "400",
        "lead_unit": org.dept1.pk,
        "month": f"{month_first():%Y-%m}",
        "deadline": month_end().isoformat(),
        "description": "",
        "milestones": f"摸排走访 {month_first().isoformat()}\n集中整治\n",
        "ticket_ids": ids,
    }
    # a bad line is a 400 naming the field, nothing stored
    bad = client.post("/tickets/topics/new/" + query, {**data, "milestones": "整治 2026-13-40"})
    assert bad.status_code == 400 and "日期无效" in _html(bad) and not Topic.objects.exists()
    response = client.post("/tickets/topics/new/" + query, data)
    topic = Topic.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/topics/{topic.pk}/"
    assert topic.area == org.street1 and topic.radius_m == 400
    assert [m.title for m in topic.milestones.order_by("position")] == ["摸排走访", "集中整治"]
    assert topic.tickets.count() == 2


def test_a_dispatcher_sees_the_list_but_not_the_promote_form(web, dispatcher, cadre):
    assert web(dispatcher).get("/tickets/topics/").status_code == 200
    assert web(dispatcher).get("/tickets/topics/new/").status_code == 403
    assert web(cadre).get("/tickets/topics/").status_code == 403


def test_the_monthly_report_holds_the_topics_row(web, tickets, leader, org):
    ticket = tickets.at("resolved")
    topic = promote(leader, org, [ticket.pk])
    response = web(leader).get(f"/tickets/topics/report.xlsx?month={month_first():%Y-%m}")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0] == ("所属月份", f"{month_first():%Y-%m}", *[None] * 11)
    assert rows[1][0] == "专题名称" and rows[1][-1] == "状态"
    assert rows[2][:3] == (topic.title, "城市管理", "高新区")
    assert rows[2][6:] == (0, 2, 1, 1, 0, 1, "推进中")
    # another month holds none; a bad month is a 400
    other = web(leader).get("/tickets/topics/report.xlsx?month=2001-01")
    assert len(list(load_workbook(io.BytesIO(b"".join(other.streaming_content))).active.iter_rows())) == 2
    assert web(leader).get("/tickets/topics/report.xlsx?month=2026-5").status_code == 400


def test_the_list_page_reads_a_fixed_number_of_queries(web, tickets, leader, org, django_assert_max_num_queries):
    for i in range(12):  # each with its milestones and a ticket of its own: centres 67 m apart, radius 50 m
        point = {"lat": 34.186 + i * 0.0006, "lng": 108.88}
        promote(leader, org, [tickets.reported(**point).pk], title=f"专题{i}", radius_m=50, **point)
    client = web(leader)
    # the session, the user and their unit, the unread count, the session's save (4 + 2 savepoints), and the page's
    # own four: the count, the topics with area and lead unit, their tickets' figures, their milestones'
    with django_assert_max_num_queries(11):
        html = client.get("/tickets/topics/").content.decode()
    assert html.count('class="topic-row"') == 12


# --- API ---------------------------------------------------------------------------------------------------------
def test_the_api_lists_the_topics_in_scope(api, tickets, leader, street_leader, handler, handler2, org):
    ticket = tickets.reported()
    topic = promote(leader, org, [ticket.pk])
    data = api.as_user(leader).get("/api/v1/topics/").json()
    assert [r["id"] for r in data["results"]] == [topic.pk] and data["results"][0]["progress"]["tickets_total"] == 1
    assert api.as_user(handler).get("/api/v1/topics/").json()["count"] == 1  # its unit leads it
    assert api.as_user(handler2).get("/api/v1/topics/").json()["count"] == 0
    assert api.as_user(street_leader).get("/api/v1/topics/").json()["count"] == 0  # promoted above their street
    assert api.as_user(street_leader).get(f"/api/v1/topics/{topic.pk}/").status_code == 404
    detail = api.as_user(leader).get(f"/api/v1/topics/{topic.pk}/").json()
    assert detail["ticket_ids"] == [ticket.pk] and [m["title"] for m in detail["milestones"]] == [
        "摸排走访",
        "集中整治",
    ]
    assert api.as_user(leader).get("/api/v1/topics/?month=2001-01").json()["count"] == 0
