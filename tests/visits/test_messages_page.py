"""消息与任务 on the cadre's phone page (issue 16 item 7): the cadre's own messages and tasks, unread first, a task with
its due date, 已读 / 已完成 buttons for what is not yet acknowledged; none of it for other roles, no inline code."""

from __future__ import annotations

import re

import pytest

from campaign.days import today
from issues.messages import message_ack, message_send
from tests.visits.test_phone_page import InlineCodeFinder
from visits import views
from visits.messages import cadre_inbox


@pytest.fixture
def sent(org, leader, cadre, cadre2, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = message_send(
            sender=leader, unit_id=org.district.pk, kind="message", text="精神早餐：今日雨", due_date=None
        )
        task = message_send(sender=leader, unit_id=org.grid1.pk, kind="task", text="排查独居老人", due_date=today())
        other = message_send(sender=leader, unit_id=org.grid2.pk, kind="message", text="鱼化寨专用", due_date=None)
    return note, task, other


def rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="message-row[^"]*" data-id="(\d+)" data-kind="(\w+)"', html)


def test_the_cadre_sees_their_messages_unread_first_with_buttons(client, cadre, sent):
    note, task, other = sent
    message_ack(user=cadre, message_id=task.pk)  # read, not yet done
    client.force_login(cadre)

    html = client.get("/m/").content.decode()

    assert "消息与任务" in html and "1 条未读" in html
    assert rows(html) == [(str(note.pk), "message"), (str(task.pk), "task")]  # unread first
    assert f"完成时限 {today():%Y-%m-%d}" in html and "鱼化寨专用" not in html
    task_row = html[html.index(f'data-id="{task.pk}"') :]
    assert 'data-done="1">已完成' in task_row and 'data-done="0">已读' not in task_row  # read: only 已完成 is left
    assert 'data-ack-url="/api/v1/messages/"' in html and "/static/js/m/messages.js" in html
    finder = InlineCodeFinder()
    finder.feed(html)
    assert finder.problems == []


def test_the_section_is_the_cadres_only(client, leader, handler, sent):
    for user in (leader, handler):
        client.force_login(user)
        assert 'id="cadre-messages"' not in client.get("/m/").content.decode()
        assert cadre_inbox(user) is None


def test_the_inbox_reads_in_two_queries_and_the_script_is_kept_for_dead_spots(cadre, sent, django_assert_num_queries):
    with django_assert_num_queries(2):  # the rows, the unread count
        inbox = cadre_inbox(cadre)
    assert inbox is not None and inbox["unread"] == 2 and len(inbox["rows"]) == 2
    assert "js/m/messages.js" in views.SHELL_STATIC
