"""bench/load.py's preparation, run inside the database under test (DATABASE_URL): who logs in, and what they act on.

    DATABASE_URL=... .venv/bin/python bench/load_fixture.py --out fixture.json [--users 16]
    DATABASE_URL=... .venv/bin/python bench/load_fixture.py --round [--no-refresh]

Picks the logins from the database by role and unit, the same kinds at every size: grid cadres (spread over the
grids, each with up to 30 households of its own grid that have a point), department handlers (one per department
first), the district's and a street's dispatcher, the district's and a street's leader. Gives each an API token
(knox) and the page users a session (Django's own login, as the login form would). Lists, for each handler, open
tickets led by its department, and for each dispatcher reported tickets in its scope, so that no two simulated
users act on the same ticket. Writes the JSON that bench/load_users.py reads. With --round (before each stack starts):
brings the statistics up to date (the dirty sweep and the usual periods' cache rows of every unit that keeps them),
as the running sweep keeps them, and reads the tables the mix reads back into memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS_PER_CADRE = 20  # each simulated cadre posts for this many accounts in turn
HOMES = 30
TICKETS_EACH = 400
SWEEP_LIMIT_S = 300  # the marked days left after that stay for the worker's sweep


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def token(user: Any) -> str:
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user, expiry=dt.timedelta(hours=4))[1]  # type: ignore[no-any-return]


def session(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies["sessionid"].value  # type: ignore[no-any-return]


def spread(rows: list[Any], n: int) -> list[Any]:
    """n rows evenly spread over the list (every k-th), so cadres come from many grids."""
    if len(rows) <= n:
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def cadres(n: int) -> list[dict[str, Any]]:
    from campaign.models import Household, Role, UnitKind, User

    pool = list(User.objects.filter(role=Role.CADRE, unit__kind=UnitKind.GRID, is_active=True).order_by("pk"))
    picked = []
    for user in spread(pool, n):
        homes = Household.objects.filter(unit_id=user.unit_id, lat__isnull=False).order_by("pk")
        points = [list(h) for h in homes.values_list("pk", "lat", "lng")[:HOMES]]
        if points:
            picked.append(
                {"username": user.username, "token": token(user), "homes": points, "answers": answers(user.unit)}
            )
    return picked


def answers(unit: Any) -> dict[str, Any]:
    """Answers to the required questions of the unit's campaign (issue 16's questionnaires), as a cadre gives them:
    a visit without them is refused (400), which would make the visit POSTs of the mix cheap failures."""
    from campaign.models.questions import questions_of
    from campaign.selectors import campaign_of

    campaign = campaign_of(unit)
    out: dict[str, Any] = {}
    for question in questions_of(campaign.checklist if campaign else []):
        if not question.required:
            continue
        if question.type == "choice":
            out[question.key] = question.choices[0]
        elif question.type == "number":
            out[question.key] = question.min if question.min is not None else 1
        else:
            out[question.key] = "压测回答"
    return out


def handlers(n: int) -> list[dict[str, Any]]:
    from campaign.models import Role, UnitKind, User
    from issues.models import Mode, Status, Ticket

    pool = list(User.objects.filter(role=Role.HANDLER, unit__kind=UnitKind.DEPARTMENT, is_active=True).order_by("pk"))
    first, seen = [], set()
    for user in pool:  # one per department first, then the others
        if user.unit_id not in seen:
            seen.add(user.unit_id)
            first.append(user)
    chosen = (first + [u for u in pool if u not in first])[:n]
    taken: set[int] = set()
    picked = []
    for user in chosen:
        open_ = (
            Ticket.objects.filter(
                lead_unit_id=user.unit_id, status__in=[Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS]
            )
            .exclude(pk__in=taken)
            .exclude(mode=Mode.DOOR_TO_DOOR)  # resolving needs the handler's own door-to-door visit first
            .exclude(co_unit_links__isnull=False)  # resolving waits for the co-units' parts
        )
        ids = list(open_.order_by("-pk").values_list("pk", flat=True)[:TICKETS_EACH])
        taken.update(ids)
        picked.append({"username": user.username, "token": token(user), "tickets": ids})
    return picked


def officials(role: str) -> list[Any]:
    """The district's first official of a role, then a street's (the same kinds at every size)."""
    from campaign.models import UnitKind, User

    found = []
    for kind in (UnitKind.DISTRICT, UnitKind.STREET):
        user = User.objects.filter(role=role, unit__kind=kind, is_active=True).order_by("pk").first()
        if user is not None:
            found.append(user)
    return found


def dispatchers() -> list[dict[str, Any]]:
    """Each with the reported tickets it dispatches and the units it may name as lead: the district's departments
    for the district's dispatcher, the street's communities for a street's (a lead unit must be in scope)."""
    from campaign.models import OrgUnit, Role, UnitKind
    from issues.models import Status, Ticket

    people = officials(Role.DISPATCHER)
    picked, taken = [], set()
    for user in reversed(people):  # the street's first: the district's scope holds the street's
        reported = Ticket.objects.filter(status=Status.REPORTED, unit__path__startswith=user.unit.path)
        ids = list(reported.exclude(pk__in=taken).order_by("-pk").values_list("pk", flat=True)[:TICKETS_EACH])
        taken.update(ids)
        kind = UnitKind.DEPARTMENT if user.unit.kind == UnitKind.DISTRICT else UnitKind.COMMUNITY
        leads = OrgUnit.objects.filter(kind=kind, path__startswith=user.unit.path).order_by("pk")
        picked.append({"username": user.username, "token": token(user), "session": session(user), "tickets": ids,
                       "lead_units": list(leads.values_list("pk", flat=True)[:20])})  # fmt: skip
    return list(reversed(picked))


def leaders() -> list[dict[str, Any]]:
    from campaign.models import Role, UnitKind

    below = {UnitKind.DISTRICT: UnitKind.STREET, UnitKind.STREET: UnitKind.COMMUNITY}
    return [
        {"username": u.username, "token": token(u), "session": session(u), "unit": u.unit_id,
         "rank_level": str(below.get(u.unit.kind, UnitKind.GRID))}
        for u in officials(Role.LEADER)
    ]  # fmt: skip


def statistics_current() -> None:
    """What the running sweep does, once: recompute marked days, then the usual-period cache rows (every unit that keeps them)."""
    from dashboard.models import DirtyDay
    from dashboard.periods import periods_refresh
    from dashboard.rollups import rollup_dirty

    deadline = time.monotonic() + SWEEP_LIMIT_S
    while DirtyDay.objects.exists() and rollup_dirty() and time.monotonic() < deadline:
        pass
    periods_refresh(everything=True)


# What the requests of the mix read, as a long-running database keeps it in memory: the tickets and their indexes,
# the statistics' tables, the org tree and the accounts, this month's visits, events and visit keys. pg_prewarm
# (PostgreSQL's contrib, in Debian's postgresql-15) loads them into shared_buffers; without it, a freshly built city
# is read from disk at first, and this machine's memory reclaim (DAMON) keeps little of it in the page cache.
PREWARM = (
    "issues_ticket%", "dashboard_%", "campaign_orgunit%", "campaign_user%", "knox_%", "django_session%",
    "campaign_campaign%", "campaign_category%", "visits_visitkey%", "visits_visit_p{month}%",
    "issues_ticketevent_p{month}%", "campaign_household_pkey", "campaign_enterprise_pkey",
)  # fmt: skip


def prewarm() -> None:
    """The relations of PREWARM in shared_buffers (PostgreSQL with pg_prewarm only; a no-op elsewhere)."""
    from django.db import connection

    from campaign.days import today

    if connection.vendor != "postgresql":
        return
    month = today().strftime("%Y%m")
    started = time.monotonic()
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except Exception as exc:  # noqa: BLE001 - a missing contrib only costs a cold start
            print(f"   pg_prewarm unavailable ({exc}); starting cold", flush=True)
            return
        patterns = [p.format(month=month) for p in PREWARM]
        cursor.execute(
            "SELECT COALESCE(SUM(pg_prewarm(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relname LIKE ANY(%s)",
            [patterns],
        )
        blocks = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    print(f"   prewarmed {blocks * 8 / 1024:.0f} MB in {time.monotonic() - started:.0f} s (shared_buffers {buffers})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--round", action="store_true", help="before a stack starts: refresh, prewarm, no fixture")
    parser.add_argument("--no-refresh", action="store_true", help="with --round: leave the statistics as they are")
    args = parser.parse_args()
    setup()
    if args.round:
        if not args.no_refresh:
            started = time.monotonic()
            statistics_current()
            print(f"   statistics brought up to date in {time.monotonic() - started:.0f} s", flush=True)
        prewarm()
        return
    if args.out is None:
        parser.error("--out is required")
    from campaign.days import today
    from campaign.models import Campaign

    day = today()
    campaign = Campaign.objects.filter(start_date__lte=day, end_date__gte=day).order_by("pk").first()
    if campaign is None:
        raise SystemExit("no campaign runs today in this database")
    n_cadres = max(1, args.users // 2)
    fixture = {
        "today": day.isoformat(), "campaign": campaign.pk, "campaign_start": campaign.start_date.isoformat(),
        "accounts_per_cadre": ACCOUNTS_PER_CADRE, "cadre": cadres(n_cadres * ACCOUNTS_PER_CADRE),
        "handler": handlers(max(1, args.users // 4)), "dispatcher": dispatchers(), "leader": leaders(),
    }  # fmt: skip
    for role in ("cadre", "handler", "dispatcher", "leader"):
        if not fixture[role]:
            raise SystemExit(f"no {role} login found in this database")
    args.out.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    counts = {role: len(fixture[role]) for role in ("cadre", "handler", "dispatcher", "leader")}
    tickets = {role: sum(len(p["tickets"]) for p in fixture[role]) for role in ("handler", "dispatcher")}
    print(f"   logins {counts}; tickets to act on {tickets}", flush=True)


if __name__ == "__main__":
    main()
