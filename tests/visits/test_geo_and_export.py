"""GET /api/v1/geo/visits/ (GeoJSON in a bbox) and /api/v1/visits/export.xlsx (走访台账)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.visits.test_visit_list import make_visits


def test_geo_layer_returns_points_in_the_bbox_in_scope(api, street_leader, cadre, cadre2, org):
    make_visits(cadre, org.grid1, 2)
    make_visits(cadre2, org.grid2, 1)

    response = api.as_user(street_leader).get("/api/v1/geo/visits/?bbox=108.0,34.0,109.0,35.0")

    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [108.88, 34.19]}
    assert set(feature["properties"]) == {"id", "geo_status", "visited_at", "unit"}


def test_geo_layer_excludes_points_outside_the_bbox(api, leader, cadre, org):
    make_visits(cadre, org.grid1, 2)

    data = api.as_user(leader).get("/api/v1/geo/visits/?bbox=100,30,101,31").json()

    assert data["features"] == []


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "109,34,108,35", "0,-91,1,0"])
def test_bad_bbox_is_400(api, leader, org, bbox):
    response = api.as_user(leader).get(f"/api/v1/geo/visits/?bbox={bbox}")

    assert response.status_code == 400 and "bbox" in response.json()


def test_export_is_a_ledger_with_chinese_headers_and_masked_names(api, leader, cadre, org, campaign_obj):
    visits = make_visits(cadre, org.grid1, 3)
    for visit in visits:
        visit.campaign = campaign_obj
        visit.checklist = {"family": "三口之家"}
        visit.save()

    response = api.as_user(leader).get("/api/v1/visits/export.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("走访日期", "走访时间", "走访人", "所属单位")
    assert "家庭情况" in rows[0] and "位置核验" in rows[0]
    assert len(rows) == 4
    assert "张三丰" not in str(rows) and "张**" in str(rows)
    assert "三口之家" in rows[1]


def test_large_export_answers_202_and_the_background_job_writes_it(api, leader, cadre, org, settings):
    from campaign.exports import export_run
    from campaign.models import Export

    settings.EXPORT_SYNC_LIMIT = 2
    make_visits(cadre, org.grid1, 3)

    response = api.as_user(leader).get("/api/v1/visits/export.xlsx")

    assert response.status_code == 202
    export = Export.objects.get(pk=response.json()["id"])
    export_run(export_id=str(export.pk))  # what the worker runs (eager mode runs it on commit in production)
    export.refresh_from_db()
    assert export.state == "done" and export.total == 3 and export.kind == "visits"
    assert response.json()["url"] == f"/api/v1/exports/{export.pk}/"
    assert api.as_user(leader).get(f"/api/v1/exports/{export.pk}/download/").status_code == 200
    rows = list(load_workbook(f"{settings.MEDIA_ROOT}/{export.file}").active.iter_rows(values_only=True))
    assert len(rows) == 4


def test_export_is_scoped(api, street_leader, cadre2, org):
    make_visits(cadre2, org.grid2, 2)

    response = api.as_user(street_leader).get("/api/v1/visits/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    assert sheet.max_row == 1


def test_visit_ledger_for_the_background_job_is_scoped(leader, street_leader, cadre2, org):
    from visits.ledgers import visit_rows

    make_visits(cadre2, org.grid2, 2)

    table = visit_rows(leader, {"geo_status": "verified"})
    (sheet,) = table.sheets
    assert sheet.headers[0] == "走访日期" and table.total == 2 and len(list(sheet.rows)) == 2
    assert visit_rows(street_leader, {}).total == 0
