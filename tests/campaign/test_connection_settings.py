"""The app's PostgreSQL connections carry their own settings (config/databases.py): the statistics' work_mem, and no
parallel workers unless DB_PARALLEL_WORKERS gives them (docs/decisions.md, session 17)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.databases import _postgres

URL = "postgres://zoufang@127.0.0.1:5432/zoufang"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="settings of PostgreSQL's connections")
def test_the_apps_connections_plan_without_parallel_workers_and_with_the_statistics_work_mem():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "32MB"


def test_a_database_server_of_its_own_may_give_the_parallel_workers_back(monkeypatch):
    monkeypatch.setenv("DB_PARALLEL_WORKERS", "2")
    assert "-c max_parallel_workers_per_gather=2" in _postgres(URL)["OPTIONS"]["options"]


@pytest.mark.parametrize("value", ["-1", "two"])
def test_a_bad_number_of_parallel_workers_refuses_to_start_naming_it(monkeypatch, value):
    monkeypatch.setenv("DB_PARALLEL_WORKERS", value)
    with pytest.raises(ImproperlyConfigured, match="DB_PARALLEL_WORKERS"):
        _postgres(URL)
