"""Merged duplicates (issue 15 item 3): every merged requester keeps their own code, which on /lookup/ follows the
surviving ticket; merging and resolving notify every requester (the in-app channel of issues.notices, exactly once);
the callback rates each requester and satisfaction counts each rating; a merged ticket leaves issues_collected."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dashboard.rollups import rollup_range
from issues.models import RequesterNotice, Ticket, TicketEvent
from issues.notices import Notice, notices_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """`with sent():` runs what the actions inside queue after commit (the notices) as the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def group(tickets, dispatcher, handler, sent):
    """A (dispatched, accepted) and two duplicates: C merged into B first, then B into A."""
    a = tickets.reported(requester_name="王小明", requester_phone="13900001111")
    a = tickets.act(a, "dispatch", dispatcher, **tickets.dispatch_body())
    a = tickets.act(a, "accept", handler)
    b = tickets.reported(requester_name="李大妈", requester_phone="13900002222")
    c = tickets.reported(requester_name="赵师傅", requester_phone="13900003333")
    with sent():
        tickets.act(c, "cancel", dispatcher, reason="重复", merge_into=b.code)
    with sent():
        tickets.act(b, "cancel", dispatcher, reason="重复", merge_into=a.code)
    return a, Ticket.objects.get(pk=b.pk), Ticket.objects.get(pk=c.pk)


def lookup(client, code: str, last4: str) -> str:
    return client.post("/lookup/", {"code": code, "last4": last4}, REMOTE_ADDR="10.0.0.9").content.decode()


def test_merging_notifies_every_requester_that_follows_the_surviving_ticket_once(group):
    a, b, c = group
    merged = RequesterNotice.objects.filter(kind="merged")
    # C was told when merged into B, then again (with B) when B went into A: every requester that follows A now
    assert sorted(merged.values_list("ticket__code", flat=True)) == sorted([c.code, b.code, c.code])
    assert all(a.code in n.text for n in merged.filter(ticket=b))
    # a notice delivered twice is written once
    notice = merged.filter(ticket=b).get()
    again = Notice(ticket_id=b.pk, kind="merged", text=notice.text, at=notice.created_at.isoformat(),
                   requester_ticket_ids=[b.pk, c.pk])  # fmt: skip
    assert notices_send([again]) == 0
    assert merged.count() == 3


def test_a_merged_code_follows_the_surviving_ticket_on_lookup(group, client):
    a, b, c = group
    html = lookup(client, c.code, "3333")
    assert 'id="merged-note"' in html and a.code in html and c.code in html
    assert "已合并办理" in html and 'id="own-notices"' in html
    assert "王小明" not in html and "李大妈" not in html and "1390000" not in html  # nobody's personal data
    assert 'id="lookup-result"' not in lookup(client, c.code, "1111")  # A's digits do not open C


def test_resolving_notifies_every_requester(group, tickets, handler, sent):
    a, b, c = group
    with sent():
        tickets.act(a, "resolve", handler, result="已清理", public_reply="占道摊点已清理，设置了隔离桩。")
    told = RequesterNotice.objects.filter(kind="resolved")
    assert sorted(told.values_list("ticket_id", flat=True)) == sorted([a.pk, b.pk, c.pk])
    assert all("隔离桩" in n.text for n in told)


def test_the_callback_rates_each_requester_and_satisfaction_counts_each(group, tickets, handler, dispatcher, web,
                                                                          leader, api, org):  # fmt: skip
    a, b, c = group
    a = tickets.act(a, "resolve", handler, result="已清理", public_reply="已清理")
    page = web(dispatcher).get(f"/tickets/{a.pk}/").content.decode()
    assert 'id="merged-requesters"' in page and b.code in page and c.code in page
    assert f'name="rating_of_{b.pk}"' in page and f'name="rating_of_{c.pk}"' in page
    assert "13900002222" not in page  # masked until revealed for the callback
    shown = web(dispatcher).post(f"/tickets/{a.pk}/reveal-phone/", {"of": b.pk}).content.decode()
    assert "13900002222" in shown and "13900001111" not in shown

    done = web(dispatcher).post(
        f"/tickets/{a.pk}/act/callback/",
        {"version": a.version, "rating": "satisfied", f"rating_of_{b.pk}": "unsatisfied",
         f"rating_of_{c.pk}": "basically_satisfied", "note": "逐一回访"},
    )  # fmt: skip

    assert done.status_code == 302
    ratings = dict(Ticket.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("code", "satisfaction"))
    assert ratings == {a.code: "satisfied", b.code: "unsatisfied", c.code: "basically_satisfied"}
    assert TicketEvent.objects.get(ticket=b, action="callback").payload["via"] == a.pk
    day = timezone.localdate()
    rollup_range(date_from=day, date_to=day)
    summary = api.as_user(leader).get("/api/v1/stats/summary/", {"unit": org.district.pk}).json()
    assert summary["satisfaction_rate"] == pytest.approx(2 / 3)  # each rating counts
    assert summary["issues_collected"] == 1  # the matter counts once


def test_a_rating_for_a_ticket_not_merged_here_is_refused_and_changes_nothing(group, tickets, handler, dispatcher, api):
    a, b, c = group
    a = tickets.act(a, "resolve", handler, result="已清理", public_reply="已清理")
    other = tickets.reported()
    for ratings in ({other.code: "satisfied"}, {b.code: "great"}, {b.code + "\x00": "satisfied"}):
        response = api.as_user(dispatcher).post(
            f"/api/v1/tickets/{a.pk}/callback/", {"version": a.version, "rating": "satisfied", "ratings": ratings},
            format="json",
        )  # fmt: skip
        assert response.status_code == 400, ratings
    assert set(Ticket.objects.filter(pk__in=[a.pk, b.pk, other.pk]).values_list("satisfaction", flat=True)) == {""}
    ok = api.as_user(dispatcher).post(
        f"/api/v1/tickets/{a.pk}/callback/",
        {"version": a.version, "rating": "satisfied", "ratings": {str(c.pk): "satisfied"}},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert Ticket.objects.get(pk=c.pk).satisfaction == "satisfied" and ok.json()["status"] == "closed"
