"""The registry import checks every cell as the API checks a field (issue 12 item 1): control characters and
non-finite numbers are reported by row and column, and nothing is imported."""

from __future__ import annotations

import csv
import io

import pytest

from campaign.importer import registry_import
from campaign.models import Household

HEADERS = ["地址", "网格", "户主姓名", "联系电话", "人口数", "纬度", "经度", "标签"]


def _csv(row: list[object]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    writer.writerow(["幸福路1号", "", "张三", "", 3, 34.19, 108.88, "低保"])  # a good row: all or nothing
    writer.writerow(row)
    return io.BytesIO(text.getvalue().encode("utf-8", errors="surrogatepass"))


CELLS = [
    ("address NUL", 0, "幸福路\x002号", "地址"),
    ("name control", 2, "李\x07四", "户主姓名"),
    ("name escape", 2, "\x1b[31m李四", "户主姓名"),
    ("name C1", 2, "李\x9b四", "户主姓名"),
    ("tags control", 7, "低保\x01", "标签"),
    ("lat nan", 5, "nan", "纬度"),
    ("lng inf", 6, "inf", "经度"),
    ("lat 1e999", 5, "1e999", "纬度"),
    ("members nan", 4, "nan", "人口数"),
    ("members huge", 4, "9" * 400, "人口数"),
]


@pytest.mark.parametrize(("case", "index", "value", "column"), CELLS, ids=[c for c, _i, _v, _h in CELLS])
def test_a_hostile_cell_is_reported_by_row_and_column_and_nothing_is_imported(org, case, index, value, column):
    row: list[object] = ["幸福路2号", "", "李四", "", 2, 34.19, 108.88, ""]
    row[index] = value

    result = registry_import(kind="households", rows_or_file=_csv(row))

    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert Household.objects.count() == 0
