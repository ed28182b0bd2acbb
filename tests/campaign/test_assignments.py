"""Assignments (包户/包企/挂点, issue 16 item 1): scope first, idempotent bulk assigns, an all-or-nothing import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from campaign.assignment_import import assignments_import
from campaign.assignments import (
    assignment_create,
    assignment_delete,
    assignments_bulk_by_tag,
    assignments_bulk_by_unit,
    assignments_visible_to,
)
from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.models import Assignment, KeyProject, Role
from tests.factories import EnterpriseFactory, HouseholdFactory, UserFactory


@pytest.fixture
def doors(org):
    """grid1: three households (two of them 独居老人) and an enterprise; grid2: one household, one 独居老人."""
    return {
        "h1": HouseholdFactory(unit=org.grid1, tags=["独居老人"]),
        "h2": HouseholdFactory(unit=org.grid1, tags=["低保", "独居老人"]),
        "h3": HouseholdFactory(unit=org.grid1, tags=[]),
        "e1": EnterpriseFactory(unit=org.grid1),
        "h4": HouseholdFactory(unit=org.grid2, tags=["独居老人"], lat=34.23, lng=108.85),
    }


@pytest.fixture
def project(org):
    return KeyProject.objects.create(name="丈八物流园二期", unit=org.street1, address="丈八东路", lat=34.19, lng=108.88)


# --- one ---------------------------------------------------------------------------------------------------------
def test_an_assignment_is_stored_once_with_its_district(org, street_leader, cadre, doors):
    first, created = assignment_create(
        actor=street_leader, user_id=cadre.pk, target_type="household", target_id=doors["h1"].pk
    )
    again, created_again = assignment_create(
        actor=street_leader, user_id=cadre.pk, target_type="household", target_id=doors["h1"].pk
    )
    assert created and not created_again and again.pk == first.pk
    assert (first.district_id, first.unit_id, first.assigned_by_id) == (org.district.pk, org.grid1.pk, street_leader.pk)
    assert Assignment.objects.count() == 1


def test_a_leader_is_assigned_a_key_project(org, leader, street_leader, project):
    assignment, _ = assignment_create(
        actor=leader, user_id=street_leader.pk, target_type="project", target_id=project.pk
    )
    assert assignment.project == project and project.district_id == org.district.pk


def test_a_target_out_of_the_assigners_scope_is_404_and_nothing_is_stored(org, street_leader, cadre2, doors):
    # street1's leader names street2's household (someone else's id): 404, as if it did not exist
    with pytest.raises(OutOfScope):
        assignment_create(actor=street_leader, user_id=cadre2.pk, target_type="household", target_id=doors["h4"].pk)
    with pytest.raises(OutOfScope):  # and a user of street2 is no one to them either
        assignment_create(actor=street_leader, user_id=cadre2.pk, target_type="household", target_id=doors["h1"].pk)
    assert not Assignment.objects.exists()


def test_a_target_out_of_the_assignees_scope_is_refused(leader, cadre, doors):
    with pytest.raises(Invalid) as caught:
        assignment_create(actor=leader, user_id=cadre.pk, target_type="household", target_id=doors["h4"].pk)
    assert "target_id" in caught.value.detail
    assert not Assignment.objects.exists()


def test_a_cadre_may_not_assign_and_out_of_scope_comes_before_the_role(cadre, doors):
    with pytest.raises(NotAllowed):
        assignment_create(actor=cadre, user_id=cadre.pk, target_type="household", target_id=doors["h1"].pk)
    with pytest.raises(OutOfScope):
        assignment_create(actor=cadre, user_id=cadre.pk, target_type="household", target_id=doors["h4"].pk)
    assert not Assignment.objects.exists()


def test_only_cadres_and_leaders_take_assignments(leader, handler, doors):
    with pytest.raises(Invalid):
        assignment_create(actor=leader, user_id=handler.pk, target_type="household", target_id=doors["h1"].pk)


@pytest.mark.parametrize(
    "target_type, target_id, batch",
    [
        ("household", "1 OR 1=1", ""),
        ("household", 2**70, ""),
        ("household", None, ""),
        ("visit", 1, ""),
        ("household", "h1", "清单\x00一"),
        ("household", "h1", "清单\x1b[31m"),
        ("household", "h1", "长" * 101),
    ],
)
def test_hostile_input_is_refused_with_nothing_stored(leader, cadre, doors, target_type, target_id, batch):
    target_id = doors["h1"].pk if target_id == "h1" else target_id
    with pytest.raises((Invalid, OutOfScope)):
        assignment_create(actor=leader, user_id=cadre.pk, target_type=target_type, target_id=target_id, batch=batch)
    assert not Assignment.objects.exists()


def test_a_removed_assignment_is_gone_and_another_streets_is_404(leader, street_leader, cadre, cadre2, doors):
    mine, _ = assignment_create(actor=leader, user_id=cadre.pk, target_type="household", target_id=doors["h1"].pk)
    theirs, _ = assignment_create(actor=leader, user_id=cadre2.pk, target_type="household", target_id=doors["h4"].pk)
    with pytest.raises(OutOfScope):
        assignment_delete(actor=street_leader, assignment_id=theirs.pk)
    assignment_delete(actor=street_leader, assignment_id=mine.pk)
    assert list(Assignment.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_reads_start_from_the_scope(leader, street_leader, cadre, cadre2, doors):
    assignment_create(actor=leader, user_id=cadre.pk, target_type="household", target_id=doors["h1"].pk)
    assignment_create(actor=leader, user_id=cadre2.pk, target_type="household", target_id=doors["h4"].pk)
    assert assignments_visible_to(leader).count() == 2
    assert [a.user_id for a in assignments_visible_to(street_leader)] == [cadre.pk]
    assert [a.user_id for a in assignments_visible_to(cadre2)] == [cadre2.pk]


# --- bulk --------------------------------------------------------------------------------------------------------
def test_bulk_by_grid_assigns_every_door_once_and_again_adds_nothing(org, street_leader, cadre, doors):
    first = assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    second = assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    assert (first.created, first.existing) == (4, 0)
    assert (second.created, second.existing) == (0, 4)
    assert first.batch == "网格：丈八一网格"
    assert Assignment.objects.filter(user=cadre).count() == 4
    assert set(Assignment.objects.values_list("district_id", flat=True)) == {org.district.pk}


def test_bulk_by_grid_out_of_scope_is_404_and_beyond_the_assignee_is_refused(org, street_leader, leader, cadre):
    with pytest.raises(OutOfScope):
        assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid2.pk)
    with pytest.raises(Invalid):
        assignments_bulk_by_unit(actor=leader, user_id=cadre.pk, unit_id=org.grid2.pk)
    assert not Assignment.objects.exists()


def test_bulk_by_tag_takes_the_tagged_households_of_both_scopes_once(org, leader, cadre, doors):
    first = assignments_bulk_by_tag(actor=leader, user_id=cadre.pk, tag="独居老人")
    second = assignments_bulk_by_tag(actor=leader, user_id=cadre.pk, tag="独居老人")
    # grid2's 独居老人 lies outside the cadre's grid: not theirs
    assigned = set(Assignment.objects.filter(user=cadre).values_list("household_id", flat=True))
    assert assigned == {doors["h1"].pk, doors["h2"].pk}
    assert (first.created, second.created, second.existing) == (2, 0, 2)
    assert first.batch == "标签：独居老人"


def test_bulk_by_tag_refuses_control_characters(leader, cadre, doors):
    with pytest.raises(Invalid) as caught:
        assignments_bulk_by_tag(actor=leader, user_id=cadre.pk, tag="独居\x07老人")
    assert "tag" in caught.value.detail
    assert not Assignment.objects.exists()


# --- import ------------------------------------------------------------------------------------------------------
def xlsx(tmp_path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    target = tmp_path / "包户名单.xlsx"
    workbook.save(target)
    return target


def test_import_writes_every_row_and_a_second_run_adds_nothing(leader, cadre, street_leader, doors, project, tmp_path):
    source = xlsx(
        tmp_path,
        [
            ["包联人账号", "对象类型", "对象编号", "统一社会信用代码", "包联清单"],
            ["cadre", "住户", doors["h1"].pk, None, "一组"],
            ["cadre", "企业", None, doors["e1"].credit_code, None],
            ["streetleader", "重点项目", project.pk, None, "挂点"],
        ],
    )
    result = assignments_import(actor=leader, rows_or_file=source, batch="2026 春")
    assert result.ok and (result.rows, result.created) == (3, 3)
    assert sorted(Assignment.objects.values_list("batch", flat=True)) == ["2026 春", "一组", "挂点"]
    again = assignments_import(actor=leader, rows_or_file=source)
    assert again.ok and again.created == 0 and Assignment.objects.count() == 3


def test_import_with_a_bad_row_imports_nothing_and_names_the_row(leader, cadre, cadre2, doors):
    lines = [
        ["包联人账号", "对象类型", "对象编号"],
        ["cadre", "住户", doors["h1"].pk],
        ["cadre", "住户", doors["h4"].pk],  # row 3: grid2's household, outside the cadre's grid
        ["nobody", "住户", doors["h2"].pk],  # row 4: no such account
        ["cadre", "房屋", doors["h3"].pk],  # row 5: no such type
        ["cadre", "住户", "12a"],  # row 6: not an id
        ["cad\x1bre", "住户", doors["h3"].pk],  # row 7: a control character
    ]
    source = io.BytesIO("\n".join(",".join(str(v) for v in line) for line in lines).encode("utf-8"))
    result = assignments_import(actor=leader, rows_or_file=source)
    assert not result.ok and result.created == 0 and result.rows == 6
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "对象编号"),
        (4, "包联人账号"),
        (5, "对象类型"),
        (6, "对象编号"),
        (7, "包联人账号"),
    ]
    assert not Assignment.objects.exists()


def test_import_of_someone_elses_household_is_refused(street_leader, cadre, doors):
    rows = [{"账号": "cadre", "类型": "household", "编号": doors["h4"].pk}]
    result = assignments_import(actor=street_leader, rows_or_file=rows)
    assert [(e.row, e.message) for e in result.errors] == [(2, "对象不存在或不在您的管辖范围内")]
    assert not Assignment.objects.exists()


def test_import_by_a_cadre_is_forbidden(cadre, doors):
    with pytest.raises(NotAllowed):
        assignments_import(actor=cadre, rows_or_file=[{"账号": "cadre", "类型": "住户", "编号": doors["h1"].pk}])


def test_a_file_without_the_header_is_one_error(leader, cadre):
    result = assignments_import(actor=leader, rows_or_file=[{"姓名": "张三"}])
    assert [e.row for e in result.errors] == [0] and not Assignment.objects.exists()


def test_an_inactive_user_takes_nothing(leader, org, doors):
    gone = UserFactory(username="gone", role=Role.CADRE, unit=org.grid1, is_active=False)
    with pytest.raises(OutOfScope):
        assignment_create(actor=leader, user_id=gone.pk, target_type="household", target_id=doors["h1"].pk)


# --- admin -------------------------------------------------------------------------------------------------------
def test_admin_lists_assignments_masked_and_imports_a_list(client, admin_user, leader, cadre, doors):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin_user)
    doors["h1"].head_name = "王小明"
    doors["h1"].save(update_fields=["head_name"])
    data = f"账号,类型,编号\ncadre,住户,{doors['h1'].pk}\n".encode()

    assert client.get("/admin/campaign/assignment/import/").status_code == 200
    response = client.post(
        "/admin/campaign/assignment/import/", {"file": SimpleUploadedFile("a.csv", data), "batch": "春季"}
    )

    assert response.status_code == 302 and response["Location"].endswith("/admin/campaign/assignment/")
    html = client.get("/admin/campaign/assignment/").content.decode()
    assert "王**" in html and "王小明" not in html and "春季" in html


def test_admin_import_shows_the_bad_row_and_is_forbidden_to_cadres(client, admin_user, cadre, doors):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    data = f"账号,类型,编号\ncadre,住户,{doors['h1'].pk}\ncadre,住户,{doors['h4'].pk}\n".encode()
    response = client.post("/admin/campaign/assignment/import/", {"file": SimpleUploadedFile("a.csv", data)})
    assert response.status_code == 200 and 'id="import-errors"' in response.content.decode()
    assert [e.row for e in response.context["errors_shown"]] == [3]
    assert not Assignment.objects.exists()
    cadre.is_staff = True
    cadre.save(update_fields=["is_staff"])
    client.force_login(cadre)
    assert client.get("/admin/campaign/assignment/import/").status_code == 403
