"""The dashboard's workbook (/dashboard/export.xlsx): the period's headline figures and the ranking.

A ledger of campaign.exports (registered by DashboardConfig.ready()) built on the stats selectors through
dashboard.page_data.figures_of / rankings_of, the same figures as the page and /api/v1/stats/…. A few dozen rows:
always answered within the request. Rates are written as fractions with a percentage number format, so a
spreadsheet can compute with them; a change of a count in per cent of the previous figure, a change of a rate in
percentage points (a number of points with the format "+3.2 个百分点", never "+3.2%", which would read as relative).
"当前超期" of the previous period is the overdue count at that period's end (the nightly snapshot).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.exports import Cell, Ledger, Sheet, Table
from campaign.models import OrgUnit, User
from campaign.scope import unit_in_scope
from dashboard.page_data import Figure, Period, figures_of, period_of, rankings_of

PERCENT = "0.0%"
CHANGE = "+0.0%;-0.0%;0.0%"


def points_format() -> str:
    """The number format of a change of a rate, in points: +3.2 个百分点 (translated)."""
    unit = _("个百分点").replace('"', "")
    return f'+0.0" {unit}";-0.0" {unit}";0.0" {unit}"'


FLAG_LABELS = {"red": gettext_lazy("红旗"), "yellow": gettext_lazy("黄旗")}


def _bold(headers: list[str]) -> list[Cell]:
    return [Cell(header, bold=True) for header in headers]


def _figure_row(figure: Figure) -> list[Any]:
    value_format = PERCENT if figure.kind == "rate" else ""
    if figure.kind == "rate":
        change = Cell(None if figure.change is None else round(figure.change * 100, 4), points_format())
    else:
        change = Cell(figure.change, CHANGE)
    return [str(figure.label), Cell(figure.value, value_format), Cell(figure.previous, value_format), change]


def _figures_sheet(unit: OrgUnit | None, period: Period, rows: list[list[Any]]) -> Sheet:
    preamble: list[list[Any]] = [
        [_("单位"), unit.name if unit else _("全部")],
        [_("统计期间"), f"{period.date_from.isoformat()} 至 {period.date_to.isoformat()}"],
    ]
    previous = period.previous()
    if previous:
        preamble.append([_("上期"), f"{previous.date_from.isoformat()} 至 {previous.date_to.isoformat()}"])
    preamble.append([])
    return Sheet(
        title=_("指标"),
        preamble=preamble,
        headers=_bold([_("指标"), _("本期"), _("上期"), _("变化")]),
        rows=rows,
        widths={"A": 16, "B": 26},
    )


def _ranking_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    rates = ("response_rate", "closure_rate", "satisfaction_rate", "score", "recurrence_rate")
    return [
        [
            r["rank"],
            r["unit"]["name"],
            *(Cell(r[key], PERCENT) for key in rates),
            str(FLAG_LABELS.get(r["flag"] or "", "")),
        ]
        for r in rows
    ]


def _ranking_sheet(title: str, rows: list[list[Any]]) -> Sheet:
    headers = [_("名次"), _("单位"), _("响应率"), _("办结率"), _("满意率"), _("得分"), _("重复诉求率"), _("旗帜")]
    return Sheet(title=title, headers=_bold(headers), rows=rows, widths={"B": 20})


def dashboard_rows(user: User, params: dict[str, Any]) -> Table:
    """The figures of the unit in `params` (in the user's scope; absent: everything) over the period of `params`
    (period, date_from, date_to as the page reads them) and its ranking; bad values → Invalid / OutOfScope."""
    unit = unit_in_scope(user, params["unit"]) if params.get("unit") else None
    period = period_of(params, unit)
    figures = [_figure_row(figure) for figure in figures_of(unit, period)]
    rankings = rankings_of(unit, period)
    children, departments = _ranking_rows(rankings["children"]), _ranking_rows(rankings["departments"])
    sheets = [_figures_sheet(unit, period, figures), _ranking_sheet(_("排名"), children)]
    if departments:
        sheets.append(_ranking_sheet(_("部门排名"), departments))
    return Table(tuple(sheets), len(figures) + len(children) + len(departments))


DASHBOARD = Ledger(kind="dashboard", title=gettext_lazy("指标"), rows=dashboard_rows)
