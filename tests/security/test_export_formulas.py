"""Issue 12 item 6, exports are data, never formulas: stored text that Excel (or LibreOffice, or a CSV made from the
file) could read as a formula is written as a text cell — data_type "s", Excel's quote prefix, the text unchanged —
in every workbook (the tickets and visits ledgers, the dashboard workbook), all written by campaign.exports.write_xlsx.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from campaign.exports import Cell, Sheet, write_xlsx
from campaign.models import UnitKind
from tests.factories import HouseholdFactory, OrgUnitFactory
from tests.visits.conftest import visit_body

PAYLOADS = ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)", "-2+3", "=cmd|' /C calc'!A0"]


def cells_holding(workbook_bytes: bytes, texts: list[str]) -> dict[str, list]:
    """Every cell of every sheet whose value is one of `texts`, by value."""
    book = load_workbook(io.BytesIO(workbook_bytes))
    found: dict[str, list] = {text: [] for text in texts}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in found:
                    found[cell.value].append(cell)
    return found


def assert_all_text(workbook_bytes: bytes, texts: list[str]) -> None:
    for text, cells in cells_holding(workbook_bytes, texts).items():
        assert cells, f"{text!r} is not in the workbook as it was stored"
        for cell in cells:
            assert cell.data_type == "s" and cell.quotePrefix, (text, cell.coordinate, cell.data_type)


def body_of(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_ticket_descriptions_export_as_text(api, cadre, dispatcher, org, campaign_obj):
    for text in PAYLOADS:
        body = {"source": "self_found", "kind": "request", "description": text, "unit": org.grid1.pk}
        assert api.as_user(cadre).post("/api/v1/tickets/", body, format="json").status_code == 201

    assert_all_text(body_of(api.as_user(dispatcher).get("/api/v1/tickets/export.xlsx")), PAYLOADS)


def test_visit_notes_export_as_text(api, cadre, leader, org, campaign_obj, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    household = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    for text in PAYLOADS:
        response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household, notes=text), format="json")
        assert response.status_code == 201, response.json()

    assert_all_text(body_of(api.as_user(leader).get("/api/v1/visits/export.xlsx")), PAYLOADS)


def test_unit_names_in_the_dashboard_workbook_export_as_text(org, leader, client):
    # stored text in the dashboard workbook: the names of the ranked units
    for text in PAYLOADS[:3]:
        OrgUnitFactory(name=text, kind=UnitKind.STREET, parent=org.district)
    client.force_login(leader)

    assert_all_text(body_of(client.get("/dashboard/export.xlsx", {"period": "7d"})), PAYLOADS[:3])


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1", " =1+1", "#N/A", "=cmd|' /C calc'!A0", "="]
)
def test_write_xlsx_never_writes_a_formula(text):
    out = io.BytesIO()
    write_xlsx(out, [Sheet(["a", "b"], iter([[text, Cell(text, bold=True)]]))], title="t")

    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(min_row=2))
    stored = text.replace("\r", "\n")  # XML reads a carriage return back as a line feed
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in row] == [(stored, "s", True)] * 2


def test_numbers_stay_numbers_and_plain_text_stays_plain():
    out = io.BytesIO()
    write_xlsx(out, [Sheet(["a"], iter([[-5, -0.25, Cell(-3, number_format="0.0"), "丈八街道", "a=b"]]))], title="t")

    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(min_row=2))
    assert [(c.value, c.data_type) for c in row] == [
        (-5, "n"),
        (-0.25, "n"),
        (-3, "n"),
        ("丈八街道", "s"),
        ("a=b", "s"),
    ]
    assert not any(c.quotePrefix for c in row)


def test_a_ticket_stored_with_a_control_character_before_the_checks_does_not_break_the_ledger(
    api, cadre, dispatcher, org, campaign_obj
):
    from issues.models import Ticket

    body = {"source": "self_found", "kind": "request", "description": "路灯不亮", "unit": org.grid1.pk}
    assert api.as_user(cadre).post("/api/v1/tickets/", body, format="json").status_code == 201
    Ticket.objects.update(description="路灯\x07不亮")  # as an old row may hold it: update() skips every check

    book = load_workbook(io.BytesIO(body_of(api.as_user(dispatcher).get("/api/v1/tickets/export.xlsx"))))
    values = [cell.value for row in book.worksheets[0].iter_rows() for cell in row]
    assert "路灯不亮" in values  # the bell dropped, the rest of the text kept
