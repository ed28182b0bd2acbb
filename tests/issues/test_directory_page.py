"""The dispatch directory page (/tickets/directory/, issue 15 item 1): the rows with the most "not our duty" returns
first, each viewer seeing only the rows of their scope; dispatchers, leaders and admins only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import Category, OrgUnit, Role, UnitKind
from issues import directory_views
from issues.models import DirectoryRow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/tickets/directory/"


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def row(code: str, lead_unit: OrgUnit, area: OrgUnit | None = None, returns: int = 0, **fields) -> DirectoryRow:
    last = timezone.now() - dt.timedelta(days=1) if returns else None
    return DirectoryRow.objects.create(
        category=cat(code),
        area=area,
        lead_unit=lead_unit,
        not_our_duty_returns=returns,
        last_returned_at=last,
        **fields,
    )


@pytest.fixture
def yanta():
    district = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    dept = OrgUnit.objects.create(name="雁塔城管局", kind=UnitKind.DEPARTMENT, parent=district)
    return district, dept


@pytest.fixture
def rows(org, yanta):
    """Four rows of 高新区 — one inactive — and one of 雁塔区, which has the most returns of all."""
    yanta_district, yanta_dept = yanta
    street = row("urban", org.dept1, area=org.street1, returns=5, mode="immediate")
    street.co_units.add(org.dept2)
    return {
        "street1": street,
        "everywhere": row("traffic", org.dept2, returns=9),
        "street2": row("education", org.dept1, area=org.street2),
        "inactive": row("health", org.dept1, returns=50, active=False),
        "yanta": row("urban", yanta_dept, area=yanta_district, returns=20),
    }


def listed(response) -> list[int]:
    return [r.pk for r in response.context["page"].object_list]


def test_a_dispatcher_sees_the_rows_of_the_district_most_returns_first(web, dispatcher, rows):
    response = web(dispatcher).get(URL)

    assert response.status_code == 200
    assert listed(response) == [rows["everywhere"].pk, rows["street1"].pk, rows["street2"].pk]
    html = response.content.decode()
    assert "派单目录" in html and "全部区域" in html and "人社局" in html and "立即办" in html
    assert "雁塔" not in html  # another district's row, though it has the most returns


def test_a_dispatcher_of_another_district_sees_only_theirs(web, yanta, rows):
    yanta_dispatcher = UserFactory(role=Role.DISPATCHER, unit=yanta[0])

    assert listed(web(yanta_dispatcher).get(URL)) == [rows["yanta"].pk]


def test_a_street_sees_the_rows_of_its_areas_not_the_districts(web, org, rows):
    # the "everywhere" row is led by a district department: not the street's to judge
    street_dispatcher = UserFactory(role=Role.DISPATCHER, unit=org.street1)
    assert listed(web(street_dispatcher).get(URL)) == [rows["street1"].pk]


def test_an_everywhere_row_is_listed_where_its_lead_unit_lies(web, org, rows):
    dept_leader = UserFactory(role=Role.LEADER, unit=org.dept2)
    assert listed(web(dept_leader).get(URL)) == [rows["everywhere"].pk]


def test_leaders_and_admins_see_it_too(web, leader, admin_user, rows):
    assert web(leader).get(URL).status_code == 200
    assert web(admin_user).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["cadre", "handler"])
def test_other_roles_are_refused(web, request, who, rows):
    assert web(request.getfixturevalue(who)).get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, rows):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_change_link_is_shown_to_who_may_change_rows(web, dispatcher, rows):
    assert "/admin/issues/directoryrow/" not in web(dispatcher).get(URL).content.decode()

    superuser = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = web(superuser)
    html = client.get(URL).content.decode()
    change = f"/admin/issues/directoryrow/{rows['street1'].pk}/change/"
    assert change in html and "雁塔城管局" in html  # a superuser without a unit sees every district
    assert client.get(change).status_code == 200
    changelist = client.get("/admin/issues/directoryrow/")  # most returns first there too, with the import beside "add"
    assert [r.pk for r in changelist.context["cl"].result_list][:2] == [rows["inactive"].pk, rows["yanta"].pk]
    assert "/admin/issues/directoryrow/import/" in changelist.content.decode()


def test_pages_hold_page_size_rows(web, dispatcher, rows, monkeypatch):
    monkeypatch.setattr(directory_views, "PAGE_SIZE", 2)

    first, second = web(dispatcher).get(URL), web(dispatcher).get(URL, {"page": 2})

    assert listed(first) == [rows["everywhere"].pk, rows["street1"].pk]
    assert listed(second) == [rows["street2"].pk]
    assert "第 1 / 2 页，共 3 行" in first.content.decode()


def test_the_page_reads_a_fixed_number_of_queries(web, org, dispatcher, django_assert_max_num_queries):
    # given a full page of rows, each with two co-units
    for i in range(directory_views.PAGE_SIZE):
        category = Category.objects.create(code=f"c{i}", name=f"类别{i}")
        created = DirectoryRow.objects.create(category=category, area=org.street1, lead_unit=org.dept1, mode="public")
        created.co_units.add(org.dept2, org.street2)
    client = web(dispatcher)

    # then: the session, the user and their unit; the count, the rows, their co-units; the unread-notification badge;
    # the session saved again (savepoint, update, release: SESSION_SAVE_EVERY_REQUEST) — not one more per row
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert len(listed(response)) == directory_views.PAGE_SIZE
