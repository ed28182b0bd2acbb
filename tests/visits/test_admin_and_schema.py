"""The visits admin is registered and read-only; drf-spectacular describes the visits API without warnings."""

from __future__ import annotations

import io

from django.core.management import call_command

from tests.factories import UserFactory
from tests.visits.test_visit_list import make_visits


def test_admin_lists_visits_read_only(client, cadre, org):
    make_visits(cadre, org.grid1, 2)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True, unit=org.district)
    client.force_login(superuser)

    listing = client.get("/admin/visits/visit/")
    adding = client.get("/admin/visits/visit/add/")

    assert listing.status_code == 200
    assert adding.status_code == 403


def test_schema_describes_the_visits_api_without_warnings(capsys):
    out = io.StringIO()

    call_command("spectacular", "--validate", stdout=out)

    schema = out.getvalue()
    assert "/api/v1/visits/" in schema and "/api/v1/geo/visits/" in schema and "/api/v1/visits/{id}/photos/" in schema
    assert "_bench" not in schema
    warnings = [
        line for line in capsys.readouterr().err.splitlines() if "visits/api/" in line or "visits/filters.py" in line
    ]
    assert warnings == []
