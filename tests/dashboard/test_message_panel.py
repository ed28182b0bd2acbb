"""The dashboard's panel 提醒与任务 (issue 16 item 7): per child unit, the messages and tasks sent to cadres there since
the period's first day, read and done, scoped like every read of the page; message_rates in one query."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser

from campaign.days import today
from campaign.models import Role
from issues.messages import message_ack, message_deliver, message_rates, message_send
from issues.models import CadreMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def sent(sender, unit, kind="task"):
    due = today() if kind == "task" else None
    message = message_send(sender=sender, unit_id=unit.pk, kind=kind, text="入户宣传防汛知识", due_date=due)
    message_deliver(message.pk)
    return message


@pytest.fixture
def messages(org, leader, cadre, cadre2):
    """A task to street1 (cadre: read and done; a colleague in grid1: unread), a message to the district (cadre2 read)."""
    colleague = UserFactory(username="cadre1b", role=Role.CADRE, unit=org.grid1)
    task = sent(leader, org.street1)
    note = sent(leader, org.district, kind="message")
    message_ack(user=cadre, message_id=task.pk, done=True)
    message_ack(user=cadre2, message_id=note.pk)
    return task, note, colleague


def rows(html):
    """{unit id: (sent, read, read rate, tasks, done, done rate)} of the panel's table."""
    body = html.split('id="message-rates"', 1)[1].split("</table>", 1)[0]
    found = re.findall(r'<tr data-unit="(\d+)">(.*?)</tr>', body, re.S)
    return {int(pk): tuple(re.findall(r'<td class="num">([^<]*)</td>', cells)) for pk, cells in found}


def test_the_leader_sees_read_and_done_per_street(org, leader, web, messages):
    html = web(leader).get("/dashboard/").content.decode()
    assert "提醒与任务" in html and 'id="message-rates-body"' in html
    assert rows(html) == {
        # street1: the task to two cadres (one read and done), the message to the same two (unread)
        org.street1.pk: ("4", "1", "25.0%", "2", "1", "50.0%"),
        # street2: the message to cadre2, read; no task
        org.street2.pk: ("1", "1", "100.0%", "0", "0", "—"),
    }  # the departments received nothing: not listed


def test_a_street_leader_sees_their_street_only_and_another_street_is_404(org, street_leader, web, messages):
    client = web(street_leader)
    assert rows(client.get("/dashboard/").content.decode()) == {
        org.community1.pk: ("4", "1", "25.0%", "2", "1", "50.0%")
    }
    assert client.get("/dashboard/", {"unit": org.street2.pk}).status_code == 404


def test_messages_sent_before_the_period_are_not_counted(org, leader, web, messages):
    CadreMessage.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    html = web(leader).get("/dashboard/", {"period": "today"}).content.decode()
    assert 'id="message-rates-body"' not in html  # nothing sent in the period: no panel


def test_no_panel_when_nothing_was_sent(org, leader, web, cadre):
    assert 'id="message-rates-body"' not in web(leader).get("/dashboard/").content.decode()


def test_the_wall_of_a_display_link_shows_no_panel(org, leader, client, messages):
    client.force_login(leader)
    response = client.post("/dashboard/displays/", {"unit": org.district.pk})
    wall = re.search(r"/dashboard/wall/[\w-]+/", response.content.decode()).group(0)
    client.logout()
    assert isinstance(client.get("/").wsgi_request.user, AnonymousUser)
    page = client.get(wall)
    assert page.status_code == 200 and 'id="message-rates-body"' not in page.content.decode()


def test_message_rates_take_one_query_however_many_units_and_receipts(org, leader, messages, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = message_rates(org.district, today())
    for i in range(5):
        grid = org.grid2.__class__.objects.create(name=f"新网格{i}", kind="grid", parent=org.community2)
        UserFactory(username=f"new{i}", role=Role.CADRE, unit=grid)
    sent(leader, org.street2)
    with django_assert_num_queries(1):
        second = message_rates(org.district, today())
    assert [r["unit"] for r in first] == [r["unit"] for r in second]
    street2 = {r["unit"]: r for r in second}[org.street2.pk]
    assert (street2["sent"], street2["tasks"]) == (7, 6)  # cadre2 and five new cadres got the task; cadre2 the message


def test_the_panel_costs_the_page_one_query_with_or_without_messages(
    org, leader, cadre, client, django_assert_max_num_queries
):
    client.force_login(leader)
    client.get("/dashboard/")  # the session and the calendar notice read once
    # (the page's cap of 32 is tests/dashboard/test_page.py's, on its data; here: messages add no query)
    with django_assert_max_num_queries(60) as before:
        assert client.get("/dashboard/").status_code == 200
    sent(leader, org.district)
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert 'id="message-rates-body"' in client.get("/dashboard/").content.decode()
