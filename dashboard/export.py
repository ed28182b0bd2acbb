"""The dashboard's Excel export (/dashboard/export.xlsx): the period's headline figures and the ranking.

Used by dashboard.views.export_xlsx, outside any transaction (STYLE 6). Rates are written as fractions with a
percentage number format, so a spreadsheet can compute with them; the values are the stats API's.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from campaign.models import OrgUnit
from dashboard.page_data import Period

PERCENT = "0.0%"
FLAG_LABELS = {"red": gettext_lazy("红旗"), "yellow": gettext_lazy("黄旗")}


def _bold_header(sheet: Any, headers: list[str]) -> None:
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _figures_sheet(sheet: Any, unit: OrgUnit | None, period: Period, figures: list[Any]) -> None:
    sheet.title = _("指标")
    sheet.append([_("单位"), unit.name if unit else _("全部")])
    sheet.append([_("统计期间"), f"{period.date_from.isoformat()} 至 {period.date_to.isoformat()}"])
    previous = period.previous()
    if previous:
        sheet.append([_("上期"), f"{previous.date_from.isoformat()} 至 {previous.date_to.isoformat()}"])
    sheet.append([])
    _bold_header(sheet, [_("指标"), _("本期"), _("上期"), _("变化")])
    for figure in figures:
        sheet.append([str(figure.label), figure.value, figure.previous, figure.change])
        row = sheet[sheet.max_row]
        if figure.kind == "rate":
            row[1].number_format = row[2].number_format = PERCENT
            row[3].number_format = "+0.0%;-0.0%;0.0%"
        elif figure.kind == "count":
            row[3].number_format = "+0.0%;-0.0%;0.0%"
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 26


def _ranking_sheet(sheet: Any, rows: list[dict[str, Any]]) -> None:
    _bold_header(sheet, [_("名次"), _("单位"), _("响应率"), _("办结率"), _("满意率"), _("得分"), _("旗帜")])
    for r in rows:
        flag = str(FLAG_LABELS.get(r["flag"] or "", ""))
        sheet.append(
            [r["rank"], r["unit"]["name"], r["response_rate"], r["closure_rate"], r["satisfaction_rate"], r["score"],
             flag]
        )  # fmt: skip
        for cell in sheet[sheet.max_row][2:6]:
            cell.number_format = PERCENT
    sheet.column_dimensions["B"].width = 20


def dashboard_workbook(unit: OrgUnit | None, period: Period, figures: list[Any], rankings: dict[str, Any]) -> bytes:
    book = Workbook()
    _figures_sheet(book.active, unit, period, figures)
    _ranking_sheet(book.create_sheet(_("排名")), rankings["children"])
    if rankings["departments"]:
        _ranking_sheet(book.create_sheet(_("部门排名")), rankings["departments"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
