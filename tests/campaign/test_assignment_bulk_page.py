"""The admin's bulk assignment page (issue 16 item 1), /admin/campaign/assignment/bulk/: a cadre and a grid or a tag,
assigned at once through the API's services — in scope (404 otherwise), idempotent, saying how many were assigned;
hostile input refused on its field with nothing stored."""

from __future__ import annotations

import pytest

from campaign.models import Assignment, Role
from tests.factories import EnterpriseFactory, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/admin/campaign/assignment/bulk/"


@pytest.fixture
def doors(org):
    """grid1: three households (two 独居老人) and an enterprise; grid2: a 独居老人."""
    return {
        "h1": HouseholdFactory(unit=org.grid1, tags=["独居老人"]),
        "h2": HouseholdFactory(unit=org.grid1, tags=["低保", "独居老人"]),
        "h3": HouseholdFactory(unit=org.grid1, tags=[]),
        "e1": EnterpriseFactory(unit=org.grid1),
        "h4": HouseholdFactory(unit=org.grid2, tags=["独居老人"]),
    }


@pytest.fixture
def staff(client):
    """`staff(u)`: the web client signed in as u, who may open the admin."""

    def sign_in(user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)
        return client

    return sign_in


def by_grid(user, unit, **extra):
    return {"user": user.pk, "by": "unit", "unit": unit.pk, "target_types": ["household", "enterprise"], **extra}


def test_a_street_leader_assigns_a_grid_and_is_told_how_many_then_none_again(org, street_leader, cadre, doors, staff):
    client = staff(street_leader)
    page = client.get(URL).content.decode()
    assert f'<option value="{cadre.pk}"' in page and f'<option value="{org.grid1.pk}"' in page
    assert f'<option value="{org.grid2.pk}"' not in page  # the select offers the street's units only

    response = client.post(URL, by_grid(cadre, org.grid1), follow=True)

    assert response.redirect_chain[-1][0].endswith(URL)  # back to the form, saying how many
    html = response.content.decode()
    assert "已包联 4 个对象" in html and "另有 0 个此前已包联" in html and "网格：丈八一网格" in html
    mine = Assignment.objects.filter(user=cadre)
    assert set(mine.values_list("household_id", flat=True)) == {doors[k].pk for k in ("h1", "h2", "h3")} | {None}
    assert set(mine.values_list("assigned_by_id", "batch")) == {(street_leader.pk, "网格：丈八一网格")}

    again = client.post(URL, by_grid(cadre, org.grid1), follow=True).content.decode()
    assert "已包联 0 个对象" in again and "另有 4 个此前已包联" in again and mine.count() == 4


def test_an_admin_assigns_the_tagged_households_of_the_district(org, admin_user, cadre, doors, staff):
    response = staff(admin_user).post(URL, {"user": cadre.pk, "by": "tag", "tag": "独居老人", "batch": "独居老人关爱"})
    assert response.status_code == 302
    # grid1's two elderly alone: grid2's lies outside the cadre's scope, so it is not theirs to visit
    assert set(Assignment.objects.values_list("household_id", "batch")) == {
        (doors["h1"].pk, "独居老人关爱"),
        (doors["h2"].pk, "独居老人关爱"),
    }


def test_an_out_of_scope_grid_or_person_is_404_and_nothing_is_stored(org, street_leader, cadre, cadre2, doors, staff):
    client = staff(street_leader)
    assert client.post(URL, by_grid(cadre, org.grid2)).status_code == 404  # another street's grid
    assert client.post(URL, by_grid(cadre2, org.grid1)).status_code == 404  # another street's cadre
    assert client.post(URL, {"user": cadre2.pk, "by": "tag", "tag": "独居老人"}).status_code == 404
    assert client.post(URL, {**by_grid(cadre, org.grid1), "unit": "99999999999999999999"}).status_code == 404
    assert not Assignment.objects.exists()


def test_a_unit_beyond_the_assignees_scope_is_refused_on_its_field(org, street_leader, cadre, doors, staff):
    response = staff(street_leader).post(URL, by_grid(cadre, org.street1))  # the cadre answers for grid1 only
    assert response.status_code == 400 and "该单位不在被包联人的管辖范围内" in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"unit": "abc"}, "unit"),
        ({"unit": ""}, "unit"),
        ({"user": "1e3"}, "user"),
        ({"target_types": []}, "target_types"),
        ({"target_types": ["project"]}, "target_types"),
        ({"by": "everyone"}, "by"),
        ({"batch": "春季\x00"}, "batch"),
        ({"batch": "清" * 101}, "batch"),
        ({"by": "tag", "tag": "不存在的标签"}, "tag"),
        ({"by": "tag", "tag": ""}, "tag"),
    ],
)
def test_hostile_input_is_refused_and_nothing_stored(org, street_leader, cadre, doors, staff, change, field):
    response = staff(street_leader).post(URL, {**by_grid(cadre, org.grid1), **change})
    assert response.status_code == 400, response.content.decode()[:300]
    assert field in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_roles_that_do_not_assign_are_forbidden(org, cadre, doors, staff):
    client = staff(cadre)
    assert client.get(URL).status_code == 403
    assert client.post(URL, by_grid(cadre, org.grid1)).status_code == 403
    handler = UserFactory(username="staffhandler", role=Role.HANDLER, unit=org.district)
    assert staff(handler).get(URL).status_code == 403
    assert not Assignment.objects.exists()


def test_the_assignments_list_links_to_the_bulk_page(admin_user, staff):
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    html = staff(admin_user).get("/admin/campaign/assignment/").content.decode()
    assert 'id="assignment-bulk-link"' in html and URL in html
