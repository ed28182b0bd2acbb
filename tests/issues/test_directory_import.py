"""Importing the dispatch directory (issue 15 item 1): .xlsx or .csv, upserts by (category, area), all or nothing with
every bad row reported by its row number as Excel shows it; and the admin's import page and row form."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from campaign.models import AuditAction, AuditEvent, Category, OrgUnit, Role, UnitKind
from issues.admin import DirectoryRowForm
from issues.directory_import import NOTE_MAX_LENGTH, directory_import
from issues.models import DirectoryRow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADERS = ["类别", "区域", "牵头单位", "协办单位", "办理方式", "备注"]
IMPORT_URL = "/admin/issues/directoryrow/import/"


def xlsx(rows: list[list[object]], title: str | None = None) -> SimpleUploadedFile:
    """A workbook built in memory: `title` above the header, as Chinese templates often have."""
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("directory.xlsx", buffer.getvalue())


def csv_file(rows: list[list[object]]) -> SimpleUploadedFile:
    text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    return SimpleUploadedFile("directory.csv", text.encode("utf-8-sig"))


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def errors_of(result) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors}


@pytest.fixture
def other_district():
    district = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    dept = OrgUnit.objects.create(name="雁塔城管局", kind=UnitKind.DEPARTMENT, parent=district)
    return district, dept


def test_a_good_xlsx_creates_rows_and_a_second_import_updates_them(org, admin_user):
    # given a row already there for 道路交通 everywhere, led by 城管局, inactive, with returns counted against it
    old = DirectoryRow.objects.create(
        category=cat("traffic"), lead_unit=org.dept1, active=False, not_our_duty_returns=3, mode="immediate"
    )
    old.co_units.add(org.dept2)
    upload = [
        HEADERS,
        ["城市管理", "丈八街道", "城管局", "人社局", "立即办", "占道经营"],  # names; the mode by its label
        ["traffic", None, org.dept2.pk, None, "public", None],  # the category by code, the unit by id, the mode's value
    ]

    # when the file is imported
    result = directory_import(rows_or_file=xlsx(upload), actor=admin_user)

    # then one row is created and the existing one updated: active again, its count reset (its lead unit changed)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated) == (2, 1, 1)
    urban = DirectoryRow.objects.get(category=cat("urban"))
    assert (urban.area, urban.lead_unit, urban.mode, urban.note) == (org.street1, org.dept1, "immediate", "占道经营")
    assert list(urban.co_units.all()) == [org.dept2]
    old.refresh_from_db()
    assert (old.pk, old.area, old.lead_unit, old.mode, old.active) == (old.pk, None, org.dept2, "public", True)
    assert (old.not_our_duty_returns, list(old.co_units.all())) == (0, [])
    event = AuditEvent.objects.get(action=AuditAction.ADMIN_CHANGE, object_type="directoryrow")
    assert event.actor == admin_user and event.changes["created"] == 1 and event.changes["updated"] == 1

    # and importing the same file again only updates: no new rows, no doubled co-units
    again = directory_import(rows_or_file=xlsx(upload), actor=admin_user)
    assert (again.created, again.updated) == (0, 2)
    assert DirectoryRow.objects.count() == 2 and urban.co_units.count() == 1


def test_an_unchanged_lead_unit_keeps_its_count(org):
    row = DirectoryRow.objects.create(category=cat("urban"), lead_unit=org.dept1, not_our_duty_returns=4)

    result = directory_import(rows_or_file=[{"类别": "城市管理", "区域": "", "牵头单位": "城管局", "备注": "新备注"}])

    assert result.ok and result.updated == 1
    row.refresh_from_db()
    assert (row.not_our_duty_returns, row.note) == (4, "新备注")


def test_every_bad_row_is_reported_by_its_row_number_and_nothing_is_written(org):
    # given an existing row, an inactive category, and a file whose header sits under a title (row 2)
    existing = DirectoryRow.objects.create(category=cat("urban"), lead_unit=org.dept1, note="原有")
    Category.objects.create(code="old", name="旧类别", active=False)
    upload = [
        HEADERS,
        ["没有这个类别", "", "城管局", "", "", ""],  # row 3
        ["教育", "", "", "", "", ""],  # row 4: no lead unit
        ["教育", "没有这个单位", "城管局", "", "", ""],  # row 5
        ["治安", "", "城管局", "", "马上办", ""],  # row 6: no such mode
        ["医疗卫生", "", "城管局", "人社局、城管局", "", ""],  # row 7: the lead unit among the co-units
        ["住房物业", "", "城管局", "", "积极办", ""],  # row 8: 积极办 without a co-unit
        ["企业服务", "", "城管局", "", "", "长" * (NOTE_MAX_LENGTH + 1)],  # row 9
        ["环境卫生", "丈八街道", "人社局", "", "", ""],  # row 10: good
        ["sanitation", "丈八街道", "城管局", "", "", ""],  # row 11: the same category (by code) and area as row 10
        ["旧类别", "", "城管局", "", "", ""],  # row 12
        ["城市管理", "", "人社局", "", "", ""],  # row 13: good (an update of the existing row)
    ]

    result = directory_import(rows_or_file=xlsx(upload, title="高新区派单目录"))

    assert errors_of(result) == {
        (3, "类别"),
        (4, "牵头单位"),
        (5, "区域"),
        (6, "办理方式"),
        (7, "协办单位"),
        (8, "协办单位"),
        (9, "备注"),
        (11, "区域"),
        (12, "类别"),
    }
    messages = {e.row: e.message for e in result.errors}
    assert "没有这个类别" in messages[3] and "必填" in messages[4] and "第 10 行" in messages[11]
    assert "已停用" in messages[12] and "立即办" in messages[6]
    assert (result.rows, result.created, result.updated) == (11, 0, 0)
    assert DirectoryRow.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.lead_unit, existing.note) == (org.dept1, "原有")


def test_control_characters_are_refused(org):
    # .xlsx cannot even hold most of them; a .csv can
    upload = csv_file(
        [HEADERS, ["城市管理", "", "城管局", "", "", "备注\x1b[31m"], ["教育\x7f", "", "城管局", "", "", ""]]
    )

    result = directory_import(rows_or_file=upload)

    assert errors_of(result) == {(2, "备注"), (3, "类别")}
    assert all("不允许的字符" in e.message for e in result.errors)
    assert not DirectoryRow.objects.exists()


def test_an_ambiguous_unit_name_is_refused_and_its_id_accepted(org):
    twin = OrgUnit.objects.create(name="城管局", kind=UnitKind.DEPARTMENT, parent=org.street2)

    refused = directory_import(rows_or_file=[{"类别": "城市管理", "区域": "", "牵头单位": "城管局"}])
    accepted = directory_import(rows_or_file=[{"类别": "城市管理", "区域": "", "牵头单位": str(twin.pk)}])

    assert errors_of(refused) == {(2, "牵头单位")}
    assert "“城管局”不唯一" in refused.errors[0].message
    assert accepted.ok and DirectoryRow.objects.get().lead_unit == twin


def test_units_of_another_district_are_refused(org, other_district):
    _district, yanta_dept = other_district
    upload = [
        HEADERS,
        ["城市管理", "丈八街道", "雁塔城管局", "", "", ""],  # the lead unit outside the area's district
        ["教育", "丈八街道", "城管局", "雁塔城管局", "", ""],  # a co-unit outside it
        ["治安", "", "城管局", str(yanta_dept.pk), "", ""],  # everywhere: co-units of the lead unit's district
    ]

    result = directory_import(rows_or_file=xlsx(upload))

    assert errors_of(result) == {(2, "牵头单位"), (3, "协办单位"), (4, "协办单位")}
    assert "雁塔城管局" in result.errors[0].message and "丈八街道" in result.errors[0].message
    assert not DirectoryRow.objects.exists()


def test_units_outside_the_actors_scope_are_refused(org):
    street_admin = UserFactory(role=Role.ADMIN, unit=org.street1)

    result = directory_import(
        rows_or_file=[{"类别": "城市管理", "区域": "鱼化寨街道", "牵头单位": "丈八社区"}], actor=street_admin
    )

    assert errors_of(result) == {(2, "区域")} and "管辖范围" in result.errors[0].message


def test_a_file_without_the_header_is_refused(org):
    result = directory_import(rows_or_file=xlsx([["类别", "牵头单位"], ["城市管理", "城管局"]]))

    assert [(e.row, e.column) for e in result.errors] == [(0, "")]
    assert "区域" in result.errors[0].message


# --- the admin -------------------------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(web):
    """A superuser of the admin site (no home unit: every unit may be named)."""
    return web(UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))


def test_the_admin_page_imports_and_says_how_many_rows_changed(admin_client, org):
    DirectoryRow.objects.create(category=cat("traffic"), lead_unit=org.dept1)
    upload = xlsx([HEADERS, ["城市管理", "", "城管局", "", "", ""], ["道路交通", "", "人社局", "", "", ""]])

    assert admin_client.get(IMPORT_URL).status_code == 200
    response = admin_client.post(IMPORT_URL, {"file": upload}, follow=True)

    assert response.redirect_chain[-1][0] == "/admin/issues/directoryrow/"
    assert "新增 1 行，更新 1 行" in response.content.decode()
    assert DirectoryRow.objects.get(category=cat("traffic")).lead_unit == org.dept2


def test_the_admin_page_shows_every_error_and_imports_nothing(admin_client, org):
    upload = xlsx([HEADERS, ["没有这个类别", "", "城管局", "", "", ""], ["教育", "", "无此单位", "", "", ""]])

    response = admin_client.post(IMPORT_URL, {"file": upload})

    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in html and "无此单位" in html
    assert [(e.row, e.column) for e in response.context["errors_shown"]] == [(2, "类别"), (3, "牵头单位")]
    assert not DirectoryRow.objects.exists()


def test_the_admin_page_is_forbidden_without_the_permission(client, leader):
    leader.is_staff = True
    leader.save(update_fields=["is_staff"])
    client.force_login(leader)

    assert client.get(IMPORT_URL).status_code == 403


def test_the_admin_form_holds_the_import_rules(org, other_district):
    _district, yanta_dept = other_district
    data = {"category": cat("urban").pk, "area": org.street1.pk, "lead_unit": yanta_dept.pk, "mode": "coordinated"}

    form = DirectoryRowForm(data={**data, "co_units": [], "active": True, "note": "注\x1b"})

    assert not form.is_valid()
    assert set(form.errors) == {"lead_unit", "co_units", "note"}
