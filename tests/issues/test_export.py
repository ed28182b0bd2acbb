"""The ticket ledger (台账) as Excel: small exports answer at once, large ones run in the background."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.models import Export


def read(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_export_opens_and_matches_the_filtered_list(api, tickets, dispatcher):
    tickets.at("dispatched")
    tickets.at("dispatched", mode="public")
    tickets.at("closed")
    client = api.as_user(dispatcher)
    response = client.get("/api/v1/tickets/export.xlsx", {"status": "dispatched"})
    assert response.status_code == 200
    rows = read(b"".join(response.streaming_content))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("工单编号", "来源", "类型")
    listed = [t["code"] for t in client.get("/api/v1/tickets/", {"status": "dispatched"}).json()["results"]]
    assert [r[0] for r in body] == listed
    clarity = dict(zip(header, body[0], strict=True))
    assert clarity["问题明确"] == "占道经营"
    assert clarity["牵头单位"] == "城管局"
    assert clarity["状态"] == "待签收"
    assert clarity["责任人"] == "王**"


def test_large_export_runs_in_the_background_for_its_owner_only(
    api, tickets, dispatcher, leader, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_LIMIT = 2
    settings.MEDIA_ROOT = str(tmp_path)
    for _ in range(3):
        tickets.reported()
    client = api.as_user(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/api/v1/tickets/export.xlsx")
    assert response.status_code == 202
    export_id = response.json()["id"]
    status = client.get(f"/api/v1/exports/{export_id}/").json()
    assert (status["state"], status["progress"], status["total"]) == ("done", 3, 3)
    download = client.get(status["download_url"])
    assert len(read(b"".join(download.streaming_content))) == 4
    assert api.as_user(leader).get(f"/api/v1/exports/{export_id}/").status_code == 404
    assert Export.objects.get(pk=export_id).file == f"exports/{export_id}.xlsx"
