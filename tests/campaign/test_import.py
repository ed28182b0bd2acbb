"""Registry import (SPEC §2): .xlsx and .csv, Chinese or English headers, all or nothing with a full error report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import path
from openpyxl import Workbook

import campaign.admin  # noqa: F401  registers the models (SimpleAdminConfig)
from campaign.admin_import import register_import_view
from campaign.importer import registry_import
from campaign.models import Enterprise, Household
from tests.factories import EnterpriseFactory, valid_credit_code

# The admin page is hooked in by campaign/admin.py; this module's URLconf hooks it too, so the test stands alone.
register_import_view(admin.site)
urlpatterns = [path("admin/", admin.site.urls)]

HOUSEHOLD_HEADERS = ["序号", "地址", "网格", "户主姓名", "联系电话", "人口数", "纬度", "经度", "标签"]
ENTERPRISE_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "行业",
    "规模",
    "地址",
    "网格",
    "联系人",
    "联系电话",
    "纬度",
    "经度",
]


def xlsx_file(tmp_path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])  # a merged-title row above the header, as Chinese ledger templates have
    for row in rows:
        sheet.append(row)
    target = tmp_path / "registry.xlsx"
    workbook.save(target)
    return target


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows).encode(encoding)


def test_good_xlsx_imports_households_with_grid_by_name_id_or_point(org, tmp_path):
    # given a sheet under a title row; grids named, numbered, or left to the coordinates; phones typed as numbers
    path_ = xlsx_file(
        tmp_path,
        [
            HOUSEHOLD_HEADERS,
            [1, "丈八街道锦业一路1号1单元101室", "丈八一网格", "张伟", 13812345678, 3, None, None, "独居老人、低保"],
            [2, "鱼化寨街道鱼化路2号", str(org.grid2.pk), "李娜", None, None, None, None, None],
            [3, "丈八街道锦业一路3号", None, "王芳", "13912345678", 2, 34.1901, 108.8802, None],
        ],
        title="丈八街道住户台账",
    )

    # when
    result = registry_import(kind="households", rows_or_file=path_)

    # then
    assert result.ok, result.errors
    assert result.created == 3
    rows = {h.head_name: h for h in Household.objects.all()}
    assert rows["张伟"].unit == org.grid1 and rows["张伟"].phone == "13812345678"
    assert rows["张伟"].tags == ["独居老人", "低保"] and rows["张伟"].members == 3
    assert rows["李娜"].unit == org.grid2 and rows["李娜"].members == 1
    assert rows["王芳"].unit == org.grid1 and rows["王芳"].lat == pytest.approx(34.1901)


def test_good_csv_with_bom_and_english_headers_imports_enterprises(org, tmp_path):
    # given a UTF-8 CSV with a BOM and English field names
    target = tmp_path / "enterprises.csv"
    target.write_bytes(
        csv_bytes(
            [
                ["name", "credit_code", "industry", "size", "address", "unit", "contact_name", "contact_phone"],
                ["西安甲科技有限公司", valid_credit_code(1).lower(), "制造业", "小型", "锦业路1号", "丈八一网格", "赵六", "13700000001"],
                ["西安乙科技有限公司", valid_credit_code(2), "", "", "鱼化路2号", "鱼化一网格", "", ""],
            ]
        )
    )  # fmt: skip

    # when
    result = registry_import(kind="enterprises", rows_or_file=target)

    # then the code is upper-cased and each lands in its grid
    assert result.ok, result.errors
    assert dict(Enterprise.objects.values_list("credit_code", "unit")) == {
        valid_credit_code(1): org.grid1.pk,
        valid_credit_code(2): org.grid2.pk,
    }


def test_gb18030_csv_from_chinese_excel_is_read(org):
    # given what a Chinese Excel saves as "CSV": GB18030 without a BOM, as an upload
    data = csv_bytes([HOUSEHOLD_HEADERS, [1, "锦业一路5号", "丈八一网格", "欧阳明", "", 2, "", "", ""]], "gb18030")
    upload = SimpleUploadedFile("住户.csv", data, content_type="text/csv")

    result = registry_import(kind="households", rows_or_file=upload)

    assert result.ok, result.errors
    assert Household.objects.get().head_name == "欧阳明"


def test_bad_rows_import_nothing_and_every_error_is_reported(org, tmp_path):
    # given one enterprise already registered and a file with one good row and six bad ones
    EnterpriseFactory(unit=org.grid1, credit_code=valid_credit_code(99))
    bad_check = valid_credit_code(3)[:17] + ("0" if valid_credit_code(3)[17] != "0" else "1")
    path_ = xlsx_file(
        tmp_path,
        [
            ENTERPRISE_HEADERS,
            ["好企业", valid_credit_code(4), "", "", "锦业路4号", "丈八一网格", "", "", None, None],  # row 2
            ["校验位错", bad_check, "", "", "锦业路5号", "丈八一网格", "", "", None, None],  # row 3
            ["电话错", valid_credit_code(6), "", "", "锦业路6号", "丈八一网格", "", "12345", None, None],  # row 4
            ["网格错", valid_credit_code(7), "", "", "锦业路7号", "火星网格", "", "", None, None],  # row 5
            ["缺地址", valid_credit_code(8), "", "", None, "丈八一网格", "", "", None, None],  # row 6
            ["文件内重复", valid_credit_code(4), "", "", "锦业路9号", "丈八一网格", "", "", None, None],  # row 7
            ["系统内重复", valid_credit_code(99), "", "", "锦业路10号", "丈八一网格", "", "", None, None],  # row 8
        ],
    )

    # when
    result = registry_import(kind="enterprises", rows_or_file=path_)

    # then nothing is stored and each bad row is named with its Excel row and column header
    assert not result.ok and result.created == 0
    assert Enterprise.objects.count() == 1
    assert sorted((e.row, e.column) for e in result.errors) == [
        (3, "统一社会信用代码"),
        (4, "联系电话"),
        (5, "网格"),
        (6, "地址"),
        (7, "统一社会信用代码"),
        (8, "统一社会信用代码"),
    ]
    messages = {e.row: e.message for e in result.errors}
    assert "校验位" in messages[3] and "第 2 行" in messages[7] and "已登记" in messages[8]


def test_grid_outside_the_actors_scope_is_an_error(org, cadre):
    rows = [{"地址": "鱼化路1号", "网格": "鱼化一网格", "户主姓名": "孙七"}]

    result = registry_import(kind="households", rows_or_file=rows, actor=cadre)

    assert [(e.row, e.column) for e in result.errors] == [(2, "网格")]
    assert not Household.objects.exists()


def test_file_without_the_required_headers_is_refused(org):
    result = registry_import(kind="households", rows_or_file=io.BytesIO(csv_bytes([["姓名", "电话"], ["张三", ""]])))

    assert not result.ok and "表头" in result.errors[0].message


def test_command_prints_the_error_table_and_exits_non_zero(org, tmp_path):
    target = tmp_path / "bad.csv"
    target.write_bytes(csv_bytes([HOUSEHOLD_HEADERS, [1, "锦业一路1号", "丈八一网格", "张三", "110", 1, "", "", ""]]))
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_registry", "households", str(target), stdout=out)

    assert "联系电话" in out.getvalue() and "2" in out.getvalue()
    assert not Household.objects.exists()


def test_command_imports_a_good_file_with_a_custom_grid_column(org, tmp_path):
    target = tmp_path / "good.csv"
    target.write_bytes(csv_bytes([["地址", "所在网格", "户主姓名"], ["锦业一路1号", "丈八一网格", "张三"]]))

    call_command("import_registry", "households", str(target), "--unit-column", "所在网格", stdout=io.StringIO())

    assert Household.objects.get().unit == org.grid1


@pytest.mark.urls(__name__)
def test_admin_import_page_imports_for_an_admin(client, admin_user, org, tmp_path):
    # given an admin signed in to the admin site
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    data = csv_bytes([HOUSEHOLD_HEADERS, [1, "锦业一路8号", "丈八一网格", "周八", "", 2, "", "", ""]])

    # when the page is opened, then a file is posted
    assert client.get("/admin/campaign/import/").status_code == 200
    response = client.post("/admin/campaign/import/", {"kind": "households", "file": SimpleUploadedFile("h.csv", data)})

    # then the households land and the admin goes to their list
    assert response.status_code == 302 and response["Location"].endswith("/admin/campaign/household/")
    assert Household.objects.get().head_name == "周八"


@pytest.mark.urls(__name__)
def test_admin_import_page_shows_every_error_and_imports_nothing(client, admin_user, org):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    data = csv_bytes(
        [
            HOUSEHOLD_HEADERS,
            [1, "", "丈八一网格", "周八", "", 2, "", "", ""],
            [2, "路", "无", "吴九", "", 0, "", "", ""],
        ]
    )

    response = client.post("/admin/campaign/import/", {"kind": "households", "file": SimpleUploadedFile("h.csv", data)})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-errors"' in html and "必填" in html and "人口数" in html
    assert len(response.context["errors_shown"]) == 3
    assert not Household.objects.exists()


@pytest.mark.urls(__name__)
def test_admin_import_page_is_forbidden_to_other_staff(client, leader, org):
    leader.is_staff = True
    leader.save(update_fields=["is_staff"])
    client.force_login(leader)

    assert client.get("/admin/campaign/import/").status_code == 403


def test_awkward_characters_round_trip(org, admin_user):
    # given values with quotes, a backslash and a tab (COPY's text format escapes them on PostgreSQL)
    rows = [{"地址": '锦业路\\1号"A"\t座', "网格": "丈八一网格", "户主姓名": "O'Brien", "标签": '独居老人,带"引号'}]

    result = registry_import(kind="households", rows_or_file=rows, actor=admin_user)

    assert result.ok, result.errors
    household = Household.objects.get()
    assert (household.address, household.head_name) == ('锦业路\\1号"A"\t座', "O'Brien")
    assert household.tags == ["独居老人", '带"引号'] and household.created_by == admin_user
    assert household.confirmed and household.created_at is not None
