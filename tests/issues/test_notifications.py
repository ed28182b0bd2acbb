"""In-app notifications after commit: dispatched, returned, supervised, reopened (and instructed)."""

from __future__ import annotations

from issues.models import Notification


def kinds_of(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_unit_users_are_notified_on_dispatch_supervise_and_reopen(
    tickets, dispatcher, handler, handler2, leader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.at("dispatched", mode="coordinated")
    assert kinds_of(handler) == ["dispatched"]
    assert kinds_of(handler2) == ["dispatched"]  # the co-unit too
    with django_capture_on_commit_callbacks(execute=True):
        tickets.act(ticket, "supervise", leader)
        tickets.act(ticket, "instruct", leader, note="抓紧办理")
    assert kinds_of(handler) == ["dispatched", "instructed", "supervised"]
    tickets.act(ticket, "accept", handler)
    tickets.act(ticket, "assist", handler2, part="已配合")
    tickets.act(ticket, "resolve", handler, result="已办结")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.act(ticket, "callback", dispatcher, rating="unsatisfied", note="不满意")
    assert kinds_of(handler) == ["dispatched", "instructed", "reopened", "supervised"]
    assert kinds_of(dispatcher) == []  # never the actor


def test_the_dispatcher_hears_of_a_return(tickets, dispatcher, handler, django_capture_on_commit_callbacks):
    ticket = tickets.at("dispatched")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.act(ticket, "return", handler, reason="不属于城管职责")
    assert kinds_of(dispatcher) == ["returned"]


def test_nothing_is_sent_when_the_action_fails(tickets, handler, django_capture_on_commit_callbacks):
    ticket = tickets.reported()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            tickets.act(ticket, "dispatch", tickets.dispatcher, mode="immediate")
        except Exception:
            pass
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_notification_api_lists_mine_unread_first_and_marks_read(
    api, tickets, handler, handler2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tickets.at("dispatched")
        tickets.at("dispatched")
    client = api.as_user(handler)
    page = client.get("/api/v1/notifications/").json()
    assert (len(page["results"]), page["unread"]) == (2, 2)
    older = page["results"][1]["id"]
    assert client.post(f"/api/v1/notifications/{older}/read/").status_code == 200
    page = client.get("/api/v1/notifications/").json()
    assert page["unread"] == 1
    assert page["results"][-1]["id"] == older and page["results"][-1]["read_at"] is not None
    assert api.as_user(handler2).post(f"/api/v1/notifications/{older}/read/").status_code == 404
