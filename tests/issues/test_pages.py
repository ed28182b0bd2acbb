"""The officials' inbox pages (SPEC §8 /tickets/): scope, priority, flat query count, the forms of allowed actions
only, conflicts that change nothing, notifications and the header badge, no inline script or style."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from issues.machine import ticket_apply
from issues.models import Notification, Ticket, TicketEvent

# Until config/urls.py mounts the pages, this module mounts them in front of it.
urlpatterns = [
    path("tickets/", include("issues.page_urls")),
    path("", include("config.urls")),
]
pytestmark = pytest.mark.urls(__name__)

BADGE = "issues.context_processors.notifications"


@pytest.fixture(autouse=True)
def _badge(settings):
    """Until settings.TEMPLATES lists the badge's context processor, the tests add it."""
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    if BADGE not in processors:
        templates = [dict(settings.TEMPLATES[0], OPTIONS=dict(settings.TEMPLATES[0]["OPTIONS"]))]
        templates[0]["OPTIONS"]["context_processors"] = [*processors, BADGE]
        settings.TEMPLATES = templates


def _html(response) -> str:
    return response.content.decode()


# --- login and scope ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_pages_require_login(client, tickets):
    ticket = tickets.reported()
    for url in ("/tickets/", f"/tickets/{ticket.pk}/", "/tickets/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(f"/tickets/{ticket.pk}/act/dispatch/", {"version": ticket.version})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_each_role_sees_only_its_scope(web, tickets, org, handler, handler2, cadre2, street_leader, dispatcher):
    # given a ticket of grid1 dispatched to 城管局 (dept1), and a reported one
    dispatched = tickets.at("dispatched")
    reported = tickets.reported(description="路灯不亮")

    # then 城管局's handler sees the dispatched one, not the reported one (not theirs yet)
    page = _html(web(handler).get("/tickets/"))
    assert dispatched.code in page and reported.code not in page
    assert web(handler).get(f"/tickets/{dispatched.pk}/").status_code == 200
    assert web(handler).get(f"/tickets/{reported.pk}/").status_code == 404

    # and 人社局's handler sees neither: the page answers 404, not 403
    page = _html(web(handler2).get("/tickets/"))
    assert dispatched.code not in page and reported.code not in page
    assert web(handler2).get(f"/tickets/{dispatched.pk}/").status_code == 404

    # a cadre of another street sees nothing; the first street's leader and the dispatcher see both
    assert web(cadre2).get(f"/tickets/{dispatched.pk}/").status_code == 404
    for user in (street_leader, dispatcher):
        page = _html(web(user).get("/tickets/"))
        assert dispatched.code in page and reported.code in page


@pytest.mark.django_db
def test_cadre_sees_the_tickets_they_raised(web, tickets, cadre):
    ticket = tickets.reported()
    page = _html(web(cadre).get("/tickets/"))
    assert ticket.code in page
    detail = _html(web(cadre).get(f"/tickets/{ticket.pk}/"))
    assert 'id="act-resolve_on_site"' in detail and 'id="act-dispatch"' not in detail


# --- the list --------------------------------------------------------------------------------------------------
def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/tickets/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_list_query_count_is_flat_as_tickets_grow(web, tickets, dispatcher, org):
    client = web(dispatcher)
    for _ in range(3):
        tickets.at("dispatched", co_units=[org.dept2.pk])
    with_three = _list_queries(client)
    for _ in range(27):
        tickets.at("dispatched", co_units=[org.dept2.pk])
    with_thirty = _list_queries(client)
    assert with_three == with_thirty
    # 12 for the page, + 3: every request now writes its session's new end (SESSION_SAVE_EVERY_REQUEST for the idle
    # logout), an UPDATE that a test's transaction wraps in SAVEPOINT / RELEASE
    assert with_thirty <= 15


@pytest.mark.django_db
def test_overdue_and_supervised_come_first_with_their_card(web, tickets, dispatcher):
    # given three tickets: a plain new one, a red-carded one and an overdue one
    overdue = tickets.at("accepted")
    Ticket.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - dt.timedelta(days=2, hours=1))
    carded = tickets.at("dispatched")
    ticket_apply(ticket_id=carded.pk, action="supervise", actor=dispatcher, version=None, data={"level": 2})
    plain = tickets.reported()

    page = _html(web(dispatcher).get("/tickets/"))

    # then the overdue and the supervised ones are listed before the newer plain one
    assert page.index(overdue.code) < page.index(plain.code)
    assert page.index(carded.code) < page.index(plain.code)
    assert "红牌" in page and "sv-red" in page
    assert "超期 3 天" in page


@pytest.mark.django_db
def test_filters_search_counters_and_more(web, tickets, dispatcher, org):
    for _ in range(3):
        tickets.at("dispatched")
    kept = tickets.reported(description="井盖缺失需要修复")
    client = web(dispatcher)

    # filters by status
    page = _html(client.get("/tickets/?status=reported"))
    assert kept.code in page
    assert all(t.code not in page for t in Ticket.objects.filter(status="dispatched"))

    # search by text and by code
    assert kept.code in _html(client.get("/tickets/", {"q": "井盖"}))
    assert kept.code in _html(client.get("/tickets/", {"q": kept.code}))

    # counters per status are links keeping the other filters
    page = _html(client.get("/tickets/?mode=immediate"))
    assert 'href="?mode=immediate&amp;status=dispatched"' in page

    # a page of two, then "more" with a cursor reaches the rest exactly once
    first = client.get("/tickets/", {"page_size": 2})
    codes = set(re.findall(r"GX-\d{8}-\d{6}", _html(first)))
    more = re.search(r'class="more" href="([^"]+)"', _html(first)).group(1).replace("&amp;", "&")
    second = client.get("/tickets/" + more)
    rest = set(re.findall(r"GX-\d{8}-\d{6}", _html(second)))
    assert len(codes) == 2 and len(rest) == 2 and not codes & rest

    # a bad filter says why, with 400
    bad = client.get("/tickets/?status=nonsense")
    assert bad.status_code == 400 and "取值无效" in _html(bad)


# --- the ticket page and its forms -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_handler_sees_accept_and_return_not_dispatch(web, tickets, handler):
    ticket = tickets.at("dispatched")
    page = _html(web(handler).get(f"/tickets/{ticket.pk}/"))
    assert 'id="act-accept"' in page and 'id="act-return"' in page
    assert 'id="act-dispatch"' not in page and 'id="act-cancel"' not in page
    # the five clarities and the timeline are shown
    for text in ("问题明确", "占道经营", "城管局", "王科长", "劝离并设置隔离桩", "恢复通行", "派单", "待派单 → 待签收"):
        assert text in page


@pytest.mark.django_db
def test_dispatcher_sees_dispatch_form_with_version(web, tickets, dispatcher):
    ticket = tickets.reported()
    page = _html(web(dispatcher).get(f"/tickets/{ticket.pk}/"))
    assert f'action="/tickets/{ticket.pk}/act/dispatch/"' in page
    assert f'name="version" value="{ticket.version}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.django_db
def test_requester_is_masked(web, tickets, dispatcher):
    ticket = tickets.reported(requester_name="张三丰", requester_phone="13812345678")
    page = _html(web(dispatcher).get(f"/tickets/{ticket.pk}/"))
    assert "138******78" in page and "13812345678" not in page
    assert "张**" in page and "张三丰" not in page


@pytest.mark.django_db
def test_dispatch_through_the_form_then_accept(web, tickets, dispatcher, handler, org):
    ticket = tickets.reported()
    response = web(dispatcher).post(
        f"/tickets/{ticket.pk}/act/dispatch/",
        {
            "version": ticket.version,
            "mode": "immediate",
            "problem": "占道经营",
            "lead_unit": org.dept1.pk,
            "responsible_person": "王科长",
            "measures": "劝离",
            "expected_effect": "恢复通行",
            "due_at": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.status == "dispatched" and ticket.lead_unit == org.dept1
    follow = web(dispatcher).get(response["Location"])
    assert "“派单”已完成。" in _html(follow)

    response = web(handler).post(f"/tickets/{ticket.pk}/act/accept/", {"version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "accepted"


@pytest.mark.django_db
def test_missing_clarities_show_next_to_the_fields_with_400(web, tickets, dispatcher):
    ticket = tickets.reported()
    response = web(dispatcher).post(
        f"/tickets/{ticket.pk}/act/dispatch/", {"version": ticket.version, "mode": "immediate", "problem": "x"}
    )
    assert response.status_code == 400
    page = _html(response)
    assert "五个明确：请指定牵头单位。" in page and "五个明确：此项必填。" in page
    ticket.refresh_from_db()
    assert ticket.status == "reported" and ticket.version == 1


@pytest.mark.django_db
def test_stale_version_shows_the_conflict_and_changes_nothing(web, tickets, handler):
    ticket = tickets.at("accepted")
    stale = ticket.version - 1
    events = TicketEvent.objects.filter(ticket=ticket).count()

    response = web(handler).post(f"/tickets/{ticket.pk}/act/progress/", {"version": stale, "note": "已联系"})

    assert response.status_code == 409
    assert "工单已被他人更新，请刷新" in _html(response)
    ticket.refresh_from_db()
    assert ticket.status == "accepted" and TicketEvent.objects.filter(ticket=ticket).count() == events
    # the typed note is kept, now against the current version
    assert "已联系" in _html(response) and f'name="version" value="{ticket.version}"' in _html(response)


@pytest.mark.django_db
def test_action_not_allowed_answers_403_and_out_of_scope_404(web, tickets, handler, handler2):
    ticket = tickets.at("dispatched")
    response = web(handler).post(f"/tickets/{ticket.pk}/act/dispatch/", {"version": ticket.version})
    assert response.status_code == 403 and "您无权" in _html(response)
    response = web(handler2).post(f"/tickets/{ticket.pk}/act/accept/", {"version": ticket.version})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"


@pytest.mark.django_db
def test_wrong_state_answers_409(web, tickets, dispatcher):
    ticket = tickets.at("accepted")
    response = web(dispatcher).post(f"/tickets/{ticket.pk}/act/dispatch/", {"version": ticket.version})
    assert response.status_code == 409 and "不能执行" in _html(response)


# --- notifications ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_notifications_badge_list_and_mark_read(web, tickets, handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.at("dispatched")  # dispatching notifies 城管局's handler (after commit)
    assert Notification.objects.filter(user=handler, read_at__isnull=True).count() == 1
    client = web(handler)

    page = _html(client.get("/tickets/"))
    assert re.search(r'class="notify-count"[^>]*>1<', page)

    page = _html(client.get("/tickets/notifications/"))
    assert ticket.code in page and "新派单" in page
    note = Notification.objects.get(user=handler)

    response = client.post(f"/tickets/notifications/{note.pk}/read/", {"next": "ticket"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'class="notify-count"' not in _html(client.get("/tickets/"))


@pytest.mark.django_db
def test_cannot_mark_someone_elses_notification(web, tickets, handler, handler2, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tickets.at("dispatched")
    note = Notification.objects.get(user=handler)
    assert web(handler2).post(f"/tickets/notifications/{note.pk}/read/").status_code == 404


@pytest.mark.django_db
def test_mark_all_read(web, tickets, handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tickets.at("dispatched")
        tickets.at("dispatched")
    assert Notification.objects.filter(user=handler, read_at__isnull=True).count() == 2
    response = web(handler).post("/tickets/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=handler, read_at__isnull=True).exists()


# --- strict CSP ready ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_no_inline_script_or_style(web, tickets, dispatcher, handler, org):
    ticket = tickets.at("dispatched", co_units=[org.dept2.pk])
    pages = [
        web(dispatcher).get("/tickets/"),
        web(dispatcher).get(f"/tickets/{ticket.pk}/"),
        web(handler).get(f"/tickets/{ticket.pk}/"),
        web(handler).get("/tickets/notifications/"),
        web(handler).post(f"/tickets/{ticket.pk}/act/return/", {"version": ticket.version}),  # 400 re-render
    ]
    for response in pages:
        html = _html(response)
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
            assert script.strip() == ""
        assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
        assert "<style" not in html and not re.search(r"\sstyle=", html)
        assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either
