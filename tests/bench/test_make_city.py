"""bench/make_city.py at a tiny scale (1 district, 8 grids, 2,000 households, 1,000 tickets, 10,000 visits) in a
throwaway PostgreSQL database: the counts asked for, and rows that hold together as the app would have written them.

It runs the builder as a subprocess (its own Django, pointed at its own database) and reads the result with SQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from campaign import crypto
from campaign.validators import validate_id_number

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not BASE_URL.startswith("postgres"), reason="the city builder needs PostgreSQL")


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """(database URL, logins file) of a tiny city, dropped afterwards."""
    url = BASE_URL.rsplit("/", 1)[0] + "/" + BASE_URL.rsplit("/", 1)[1] + "_make_city"
    logins = tmp_path_factory.mktemp("city") / "city.json"
    _build(url, logins, "--force")
    yield url, logins
    server = psycopg2.connect(BASE_URL.rsplit("/", 1)[0] + "/postgres")
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    server.close()


def _build(url: str, logins: Path, *flags: str) -> str:
    command = [sys.executable, str(ROOT / "bench" / "make_city.py"), "--database", url, "--scale", "0.001",
               "--skip-rollups", "--logins", str(logins), *flags]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "TQDM_DISABLE": "1"})  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    conn.close()
    return rows


def _one(url: str, sql: str):
    return _rows(url, sql)[0][0]


def test_the_city_has_the_counts_asked_for_and_people_at_every_level(city):
    url, _ = city
    assert _one(url, "SELECT count(*) FROM campaign_household") == 2000
    assert _one(url, "SELECT count(*) FROM campaign_enterprise") == 200
    assert _one(url, "SELECT count(*) FROM issues_ticket") == 1000
    assert _one(url, "SELECT count(*) FROM visits_visit") == 10000
    assert _one(url, "SELECT count(*) FROM issues_ticketevent") > 5000
    # Partitioned history: every visit's id in the key table, no row in a default partition (a month was made first).
    assert _one(url, "SELECT count(*) FROM visits_visitkey") == 10000
    assert _one(url, "SELECT count(*) FROM visits_visit_default") == 0
    assert _one(url, "SELECT count(*) FROM issues_ticketevent_default") == 0
    kinds = dict(_rows(url, "SELECT kind, count(*) FROM campaign_orgunit GROUP BY kind"))
    assert kinds["district"] == 1 and kinds["grid"] == 8 and kinds["department"] == 9
    roles = dict(_rows(url, "SELECT u.role || '@' || coalesce(o.kind, 'city'), count(*) FROM campaign_user u "
                            "LEFT JOIN campaign_orgunit o ON o.id = u.unit_id GROUP BY 1"))  # fmt: skip
    for where in ("admin@city", "leader@district", "dispatcher@district", "handler@department", "leader@street",
                  "dispatcher@street", "leader@community", "cadre@grid"):  # fmt: skip
        assert roles.get(where, 0) >= 1, where


def test_statuses_are_mostly_closed_with_a_few_open_overdue_and_carded(city):
    url, _ = city
    statuses = dict(_rows(url, "SELECT status, count(*) FROM issues_ticket GROUP BY status"))
    open_ = sum(statuses.get(s, 0) for s in ("reported", "dispatched", "accepted", "in_progress"))
    assert statuses["closed"] > 800
    assert 10 <= open_ <= 150
    overdue, carded = _rows(url, """SELECT count(*) FILTER (WHERE due_at < now()), count(*) FILTER (WHERE supervision > 0)
                                    FROM issues_ticket WHERE status IN ('reported', 'dispatched', 'accepted', 'in_progress')""")[0]  # fmt: skip
    assert overdue >= 1 and carded >= 1


def test_every_ticket_s_events_are_in_order_and_lead_to_its_status(city):
    url, _ = city
    broken = _one(url, """
        WITH e AS (SELECT ticket_id, action, at, from_status, to_status, row_number() OVER w AS n,
                          lag(to_status) OVER w AS before, lag(at) OVER w AS before_at
                   FROM issues_ticketevent WINDOW w AS (PARTITION BY ticket_id ORDER BY at, id))
        SELECT count(*) FROM e WHERE (n = 1 AND action <> 'report') OR (n > 1 AND from_status <> before)
                                  OR at < before_at OR at > now()""")  # fmt: skip
    assert broken == 0
    assert _one(url, """SELECT count(*) FROM issues_ticket t WHERE t.status <> (SELECT to_status FROM issues_ticketevent
                        e WHERE e.ticket_id = t.id ORDER BY at DESC, id DESC LIMIT 1)""") == 0  # fmt: skip
    assert _one(url, """SELECT count(*) FROM issues_ticket t WHERE version <> 1 + (SELECT count(*) FROM
                        issues_ticketevent e WHERE e.ticket_id = t.id AND action NOT IN ('report', 'supervise'))""") == 0  # fmt: skip
    # the keys the trigger would have set (it is off during the load): the unit's district and street
    assert _one(url, """SELECT count(*) FROM issues_ticket t JOIN campaign_orgunit u ON u.id = t.unit_id
                        WHERE t.district_id <> CAST(substr(u.path, 1, 6) AS INTEGER)
                           OR t.branch_id IS DISTINCT FROM CAST(substr(u.path, 8, 6) AS INTEGER)""") == 0  # fmt: skip
    assert _one(url, """SELECT count(*) FROM issues_ticket WHERE dispatched_at < created_at OR accepted_at < dispatched_at
                        OR resolved_at < accepted_at OR closed_at < resolved_at OR (status = 'closed') <> (closed_at IS
                        NOT NULL) OR (status <> 'reported' AND status <> 'cancelled' AND mode = '')""") == 0  # fmt: skip


def test_each_visit_is_made_in_its_maker_s_scope(city):
    url, _ = city
    outside = """SELECT count(*) FROM visits_visit v JOIN campaign_user u ON u.id = v.cadre_id
                 JOIN campaign_orgunit home ON home.id = u.unit_id JOIN campaign_orgunit target ON target.id = v.unit_id
                 WHERE u.role = 'cadre' AND (target.path NOT LIKE home.path || '%%'
                       OR v.household_id IS NOT NULL AND v.unit_id <> (SELECT unit_id FROM campaign_household h
                                                                      WHERE h.id = v.household_id))"""  # fmt: skip
    assert _one(url, outside) == 0
    # a handler's visit is the door-to-door proof of a ticket its department leads
    assert _one(url, """SELECT count(*) FROM visits_visit v JOIN campaign_user u ON u.id = v.cadre_id
                        LEFT JOIN issues_ticket t ON t.id = v.ticket_id
                        WHERE u.role = 'handler' AND (t.id IS NULL OR t.lead_unit_id <> u.unit_id
                                                      OR v.visited_at < t.accepted_at)""") == 0  # fmt: skip
    assert _one(url, """SELECT count(*) FROM issues_ticket t LEFT JOIN visits_visit v ON v.id = t.visit_id
                        WHERE t.source = 'visit' AND (v.id IS NULL OR v.cadre_id <> t.created_by_id)""") == 0  # fmt: skip
    verified = _one(url, "SELECT avg((geo_status = 'verified')::int) FROM visits_visit")
    assert 0.75 < verified < 0.95
    weekdays = dict(_rows(url, "SELECT extract(isodow FROM visited_at AT TIME ZONE 'Asia/Shanghai')::int, count(*) "
                               "FROM visits_visit GROUP BY 1"))  # fmt: skip
    assert weekdays[3] > 2 * weekdays[6] > 2 * weekdays[7] > 0


def test_id_numbers_are_encrypted_as_the_app_stores_them(city):
    url, _ = city
    rows = _rows(url, "SELECT head_id_number, head_id_number_hash FROM campaign_household WHERE head_id_number <> '' LIMIT 20")  # fmt: skip
    assert len(rows) == 20
    for token, digest in rows:
        number = crypto.decrypt(token)
        validate_id_number(number)
        assert crypto.lookup_hash(number) == digest


def test_a_second_run_finds_the_city_built(city):
    url, logins = city
    stamp = _one(url, "SELECT finished_at FROM bench_city_built")
    out = _build(url, logins)
    assert "==> visits" not in out
    assert _one(url, "SELECT finished_at FROM bench_city_built") == stamp
    assert '"district_dispatcher"' in logins.read_text()
