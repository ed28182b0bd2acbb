"""Messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7): a sender's message reaches exactly the active
cadres of the unit's subtree, once however often it is delivered; scope and roles answer 404 and 403; hostile input
is refused by field with nothing stored; a cadre acknowledges only their own, idempotently, done only for a task; the
figures per unit are right and their reads stay flat."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from campaign.days import today
from campaign.models import OrgUnit, Role, UnitKind
from issues import notices
from issues.messages import message_ack, message_deliver, message_deliver_task, message_rates, message_send
from issues.models import CadreMessage, MessageReceipt
from tests.dashboard.conftest import celery_conf
from tests.factories import UserFactory
from tests.visits.test_phone_page import InlineCodeFinder

URL = "/api/v1/messages/"


@pytest.fixture(autouse=True)
def broker_not_known_down():
    notices.BROKER.reset()
    yield
    notices.BROKER.reset()


@pytest.fixture
def grid1_cadres(org, cadre):
    """grid1's cadre, another in grid1, one placed at community1 itself; an inactive one; a handler in grid1."""
    other = UserFactory(username="cadre1b", role=Role.CADRE, unit=org.grid1)
    at_community = UserFactory(username="cadre1c", role=Role.CADRE, unit=org.community1)
    UserFactory(username="gone", role=Role.CADRE, unit=org.grid1, is_active=False)
    UserFactory(username="gridhandler", role=Role.HANDLER, unit=org.grid1)
    return [cadre, other, at_community]


@pytest.fixture
def other_district(db):
    district = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    grid = OrgUnit.objects.create(name="雁塔一网格", kind=UnitKind.GRID, parent=district)
    UserFactory(username="ytcadre", role=Role.CADRE, unit=grid)
    return grid


def task_body(target, **extra):
    body = {"unit": target.pk, "kind": "task", "text": "今日入户宣传防汛知识", "due_date": f"{today():%Y-%m-%d}"}
    return {**body, **extra}


def send(api, user, body, capture):
    with capture(execute=True):  # the receipts are written after commit
        return api.as_user(user).post(URL, body, format="json")


def recipients(message_id):
    return set(MessageReceipt.objects.filter(message_id=message_id).values_list("user__username", flat=True))


def test_a_task_reaches_exactly_the_active_cadres_of_the_subtree(
    api, org, street_leader, cadre2, grid1_cadres, other_district, django_capture_on_commit_callbacks
):
    response = send(api, street_leader, task_body(org.street1), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    body = api.get(f"{URL}{response.json()['id']}/").json()  # the receipts come after commit, on the queue
    assert (body["kind"], body["recipients"], body["read"], body["done"]) == ("task", 3, 0, 0)
    assert recipients(body["id"]) == {"cadre", "cadre1b", "cadre1c"}  # not cadre2, handlers, the inactive, 雁塔区
    message = CadreMessage.objects.get()
    assert (message.district_id, message.unit_id, message.sender_id) == (
        org.district.pk,
        org.street1.pk,
        street_leader.pk,
    )
    assert {r.unit_id for r in message.receipts.all()} == {org.grid1.pk, org.community1.pk}  # each cadre's own unit


def test_delivered_twice_the_receipts_are_written_once(org, leader, grid1_cadres, cadre2):
    message = message_send(sender=leader, unit_id=org.district.pk, kind="message", text="早上好", due_date=None)
    assert message_deliver(message.pk) == 4
    assert message_deliver(message.pk) == 0
    assert message_deliver_task.apply(args=(message.pk,)).get() == 0
    assert MessageReceipt.objects.filter(message=message).count() == 4
    assert message_deliver(10**9) == 0  # a message deleted since: nothing to do


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_broker_that_refuses_the_delivery_does_not_lose_the_receipts(
    org, leader, cadre, django_capture_on_commit_callbacks
):
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=dead):
        with django_capture_on_commit_callbacks(execute=True):
            message = message_send(sender=leader, unit_id=org.grid1.pk, kind="message", text="早", due_date=None)
    assert recipients(message.pk) == {"cadre"}


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("street_leader", "street2", 404),  # out of scope
        ("street_leader", "other", 404),  # another district
        ("cadre", "grid1", 403),  # in scope, but a cadre does not send
        ("handler", "dept1", 403),
        ("dispatcher", "grid2", 201),
        ("admin_user", "street2", 201),
    ],
)
def test_senders_send_in_their_scope_only(api, request, org, other_district, who, unit, status):
    user = request.getfixturevalue(who)
    target = other_district if unit == "other" else getattr(org, unit)
    response = api.as_user(user).post(URL, task_body(target, text="\x00" if status != 201 else "好"), format="json")
    assert response.status_code == status, response.content  # 404 and 403 come before the text's 400
    assert CadreMessage.objects.count() == (1 if status == 201 else 0)


def days(n: int) -> str:
    return f"{today() + dt.timedelta(days=n):%Y-%m-%d}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "精神\x00早餐"}, "text"),
        ({"text": "响铃\x07"}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "长" * 1001}, "text"),
        ({"kind": "alert"}, "kind"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"due_date": days(-1)}, "due_date"),
        ({"due_date": days(400)}, "due_date"),
        ({"due_date": None}, "due_date"),  # a task needs one
        ({"kind": "message"}, "due_date"),  # a message has none
        ({"unit": "abc"}, "unit"),
        ({"unit": 10**30}, "unit"),
    ],
)
def test_hostile_input_is_refused_by_field_and_nothing_is_stored(api, org, leader, cadre, change, field):
    response = api.as_user(leader).post(URL, task_body(org.grid1, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CadreMessage.objects.count() == 0 and MessageReceipt.objects.count() == 0


def test_a_message_at_the_limit_is_taken(api, org, leader):
    body = task_body(org.grid1, kind="message", due_date=None, text="长" * 1000)
    assert api.as_user(leader).post(URL, body, format="json").status_code == 201


@pytest.fixture
def sent(org, leader, cadre, cadre2, django_capture_on_commit_callbacks):
    """A message to the district and a task to grid1, delivered."""
    with django_capture_on_commit_callbacks(execute=True):
        note = message_send(sender=leader, unit_id=org.district.pk, kind="message", text="精神早餐", due_date=None)
        task = message_send(sender=leader, unit_id=org.grid1.pk, kind="task", text="排查独居老人", due_date=today())
    return note, task


def ack(api, user, message, **body):
    return api.as_user(user).post(f"{URL}{message.pk}/ack/", body, format="json")


def test_ack_is_idempotent_and_done_is_for_tasks_only(api, cadre, sent):
    note, task = sent
    first = ack(api, cadre, note)
    assert first.status_code == 200 and first.json()["read_at"] and first.json()["done_at"] is None
    assert ack(api, cadre, note).json() == first.json()  # a phone resending it: the same 200, the first moment
    refused = ack(api, cadre, note, done=True)
    assert refused.status_code == 400 and "done" in refused.json()
    done = ack(api, cadre, task, done=True)
    assert done.status_code == 200 and done.json()["read_at"] and done.json()["done_at"]  # done implies read
    assert ack(api, cadre, task, done=True).json() == done.json()
    assert ack(api, cadre, task).json() == done.json()  # a late plain 已读 changes nothing
    assert ack(api, cadre, task, done="maybe").status_code == 400


def test_a_cadre_sees_and_acknowledges_only_their_own(api, cadre, cadre2, leader, sent):
    note, task = sent
    mine = api.as_user(cadre2).get(URL).json()["results"]
    assert [row["id"] for row in mine] == [note.pk]  # the task went to grid1 only
    assert mine[0]["recipients"] is None  # a cadre reads no figures
    assert api.as_user(cadre2).get(f"{URL}{task.pk}/").status_code == 404
    assert ack(api, cadre2, task).status_code == 404
    assert ack(api, leader, task).status_code == 404  # a sender has no receipt to acknowledge
    assert MessageReceipt.objects.filter(read_at__isnull=False).count() == 0


def test_a_cadre_sees_unread_first(api, cadre, sent):
    note, task = sent
    assert [row["id"] for row in api.as_user(cadre).get(URL).json()["results"]] == [task.pk, note.pk]  # newest first
    ack(api, cadre, task)
    rows = api.as_user(cadre).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [note.pk, task.pk]
    assert rows[1]["due_date"] == f"{today():%Y-%m-%d}" and rows[1]["read_at"]


def test_a_sender_reads_the_messages_of_their_scope_only(api, org, street_leader, handler, sent):
    note, task = sent
    assert [r["id"] for r in api.as_user(street_leader).get(URL).json()["results"]] == [task.pk]  # grid1 is theirs
    assert api.as_user(street_leader).get(f"{URL}{note.pk}/").status_code == 404  # the district is not
    assert api.as_user(handler).get(URL).status_code == 403


def test_the_figures_per_message_and_per_unit(api, org, leader, cadre, cadre2, sent):
    note, task = sent
    UserFactory(username="cadre1b", role=Role.CADRE, unit=org.grid1)  # joins after: gets nothing
    ack(api, cadre, note)
    ack(api, cadre, task, done=True)
    detail = api.as_user(leader).get(f"{URL}{note.pk}/").json()
    assert (detail["recipients"], detail["read"], detail["read_rate"], detail["done_rate"]) == (2, 1, 0.5, None)
    assert [(u["name"], u["recipients"], u["read"], u["read_rate"]) for u in detail["units"]] == [
        ("丈八一网格", 1, 1, 1.0),
        ("鱼化一网格", 1, 0, 0.0),
    ]
    listed = {r["id"]: r for r in api.as_user(leader).get(URL).json()["results"]}
    assert (listed[task.pk]["done"], listed[task.pk]["done_rate"]) == (1, 1.0)
    # per street, since today: two receipts on street1 (a message and a task, both read, the task done), one unread
    rates = {row["name"]: row for row in message_rates(org.district, today())}
    assert set(rates) == {"丈八街道", "鱼化寨街道", "城管局", "人社局"}
    s1, s2 = rates["丈八街道"], rates["鱼化寨街道"]
    assert (s1["sent"], s1["read"], s1["tasks"], s1["done"], s1["read_rate"], s1["done_rate"]) == (2, 2, 1, 1, 1.0, 1.0)
    assert (s2["sent"], s2["read"], s2["tasks"], s2["done"], s2["read_rate"], s2["done_rate"]) == (
        1,
        0,
        0,
        0,
        0.0,
        None,
    )
    assert rates["城管局"]["sent"] == 0 and rates["城管局"]["read_rate"] is None
    assert message_rates(org.district, today() + dt.timedelta(days=1))[0]["sent"] == 0  # since tomorrow: nothing


def test_the_lists_and_the_detail_read_in_a_fixed_number_of_queries(
    api, org, leader, cadre, sent, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            message_send(sender=leader, unit_id=org.street1.pk, kind="message", text=f"第{n}条", due_date=None)
    with django_assert_max_num_queries(2):  # count + page
        assert len(api.as_user(leader).get(URL).json()["results"]) == 7
    with django_assert_max_num_queries(2):
        assert len(api.as_user(cadre).get(URL).json()["results"]) == 7
    with django_assert_max_num_queries(2):  # the message with its counts, the figures per unit
        assert api.as_user(leader).get(f"{URL}{sent[0].pk}/").status_code == 200
    with django_assert_max_num_queries(3):  # the receipt, the stamps, the re-read
        assert ack(api, cadre, sent[1], done=True).status_code == 200


# --- the senders' page ---------------------------------------------------------------------------------------------
PAGE = "/tickets/messages/"


def test_the_page_lists_what_was_sent_with_its_rates_and_sends(
    web, org, street_leader, cadre, sent, django_capture_on_commit_callbacks
):
    note, task = sent
    message_ack(user=cadre, message_id=task.pk, done=True)
    page = web(street_leader)
    html = page.get(PAGE).content.decode()
    assert 'href="/tickets/messages/"' in html and "csrfmiddlewaretoken" in html  # the nav's link, the form
    assert f'data-id="{task.pk}"' in html and f'data-id="{note.pk}"' not in html  # the district's is not in scope
    assert '<progress max="100" value="100"></progress> 100%' in html
    finder = InlineCodeFinder()
    finder.feed(html)
    assert finder.problems == []
    body = {"unit": org.street1.pk, "kind": "task", "text": "周五前完成入户登记", "due_date": f"{today():%Y-%m-%d}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(PAGE, body)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert recipients(CadreMessage.objects.latest("pk").pk) == {"cadre"}


def test_the_page_refuses_a_past_due_date_and_other_roles(web, org, leader, cadre, handler):
    body = {"unit": org.grid1.pk, "kind": "task", "text": "补录台账", "due_date": days(-1)}
    response = web(leader).post(PAGE, body)
    assert response.status_code == 400 and "完成时限不能早于今天" in response.content.decode()
    assert web(leader).post(PAGE, {**body, "text": "响铃\x07", "due_date": days(1)}).status_code == 400
    assert CadreMessage.objects.count() == 0
    assert web(cadre).get(PAGE).status_code == 403
    assert web(handler).post(PAGE, {**body, "due_date": days(1)}).status_code == 403


def test_a_leader_reads_the_reminders_sent_to_them_on_the_messages_page(web, leader, org):
    from issues.models import CadreMessage, MessageReceipt

    reminder = CadreMessage.objects.create(
        sender=None, unit=org.district, district=org.district, kind="message", text="必访督促：网格有必访对象逾期"
    )
    receipt = MessageReceipt.objects.create(message=reminder, user=leader, unit=leader.unit, district=org.district)
    page = web(leader).get("/tickets/messages/").content.decode()
    assert 'id="received-messages"' in page and "必访督促" in page
    receipt.refresh_from_db()
    assert receipt.read_at is not None  # shown, so read
