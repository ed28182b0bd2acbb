"""seed_demo (SPEC §9): the deterministic demo district, its demo accounts, and registries that hold together."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from campaign.geo import boundary_contains
from campaign.models import CalendarDay, Campaign, Enterprise, Household, OrgUnit, Role, UnitKind, User
from campaign.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_logins_text, seed_now
from campaign.selectors import grid_for_point
from campaign.validators import validate_credit_code


def seed_small(*extra: str, seed: int = 7) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--size", "small", "--seed", str(seed), *extra, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[list[str], list[str]]:
    return (
        list(Household.objects.order_by("id").values_list("address", flat=True)),
        list(Enterprise.objects.order_by("id").values_list("credit_code", flat=True)),
    )


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """One small seed shared by this module's read-only tests (seeding takes a second), flushed afterwards."""
    with django_db_blocker.unblock():
        out = seed_small()
    yield out
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(seeded_once, db) -> str:
    return seeded_once


def test_small_seed_builds_the_district_tree_and_registries(seeded):
    district = OrgUnit.objects.get(kind=UnitKind.DISTRICT)
    assert (district.name, district.code) == ("西安高新区", "GX")
    assert OrgUnit.objects.filter(kind=UnitKind.STREET).count() == 4
    assert OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).count() == 8
    assert OrgUnit.objects.filter(kind=UnitKind.GRID, boundary__isnull=False).count() == 16
    assert {"城管局", "人社局", "住建局"} <= set(
        OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).values_list("name", flat=True)
    )
    assert OrgUnit.objects.filter(kind=UnitKind.PARK, name="软件园").exists()
    assert Household.objects.count() == 500 and Enterprise.objects.count() == 50
    assert User.objects.filter(role=Role.CADRE).count() == 20
    assert Household.objects.filter(address__startswith="丈八街道丈八社区").exists()


def test_small_seed_starts_the_campaign_and_the_2026_calendar(seeded):
    campaign = Campaign.objects.get()
    today = seed_now().date()
    assert campaign.name == "进万家门·知万家事·解万家忧" and campaign.is_active
    assert (today - campaign.start_date).days == 90 and (campaign.end_date - today).days == 90
    assert list(campaign.units.values_list("kind", flat=True)) == [UnitKind.DISTRICT]
    spring = CalendarDay.objects.get(date="2026-02-16")
    assert spring.kind == CalendarDay.Kind.HOLIDAY and spring.name == "春节"
    assert CalendarDay.objects.get(date="2026-02-28").kind == CalendarDay.Kind.WORKDAY


def test_demo_accounts_exist_with_their_roles_and_log_in(seeded, client):
    users = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
    assert {name: users[name].role for name, *_ in DEMO_ACCOUNTS} == {name: role for name, role, *_ in DEMO_ACCOUNTS}
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["handler"].unit.name == "城管局" and users["handler2"].unit.name == "人社局"
    assert users["cadre"].unit.kind == UnitKind.GRID and users["streetleader"].unit.name == "丈八街道"
    assert users["cadre"].unit.parent.parent == users["streetleader"].unit
    assert users["cadre2"].unit.parent.parent != users["streetleader"].unit
    # every account shares the one hash of the demo password (hashed once), so one real login proves them all
    assert len({u.password for u in users.values()}) == 1
    # the lockout's backend needs a request to count by (django-axes)
    assert client.login(request=HttpRequest(), username="cadre", password=DEMO_PASSWORD)
    assert "already seeded" not in seeded and "streetleader" in seeded and DEMO_PASSWORD in demo_logins_text()


def test_every_household_lies_inside_its_grid(seeded):
    for household in Household.objects.select_related("unit"):
        assert boundary_contains(household.unit.boundary, household.lat, household.lng)
        assert grid_for_point(household.lat, household.lng) == household.unit  # grids tile without overlaps


def test_every_enterprise_credit_code_is_valid_and_unique(seeded):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    for code in codes:
        validate_credit_code(code)
    assert len(set(codes)) == len(codes)


def test_second_run_refuses_and_changes_nothing(seeded):
    before = snapshot()

    out = seed_small()

    assert "already seeded" in out
    assert snapshot() == before


# Not inside a test transaction: --reset runs `flush`, and PostgreSQL refuses TRUNCATE with pending FK checks.
@pytest.mark.django_db(transaction=True)
def test_same_seed_gives_the_same_data_and_reset_rebuilds_it():
    seed_small()
    first = snapshot()

    seed_small("--reset")
    again = snapshot()
    seed_small("--reset", seed=8)

    assert again == first
    assert snapshot() != first
    assert User.objects.filter(username="admin").count() == 1


def test_the_demo_replays_its_last_two_weeks_dispatches_against_the_router(seeded):
    """The router learns from the tickets before the cut-off; the dispatches after it record whether the dispatcher
    kept its suggestion (issues.seed_acceptance), and the dashboard's acceptance rate reads them."""
    from dashboard.page_data import Period, categories
    from dashboard.selectors import StatsQuery, stats_summary
    from issues.models import Ticket

    recorded = Ticket.objects.filter(suggestion_taken__isnull=False)
    kept = recorded.filter(suggestion_taken=True).count()
    assert recorded.exists() and 0 < kept <= recorded.count()
    assert not recorded.filter(dispatched_at__isnull=True).exists()
    now = seed_now()
    first = recorded.order_by("created_at").first().created_at
    assert (now - first).days <= 14  # only the replayed span
    day = now.date()
    query = StatsQuery(unit=None, date_from=first.date(), date_to=day)
    assert stats_summary(query)["acceptance_rate"] == pytest.approx(kept / recorded.count())
    rows = categories(None, Period("custom", first.date(), day))
    assert any(row["acceptance"] is not None for row in rows)


def test_the_demo_assigns_doors_to_cadres_and_key_projects_to_leaders(seeded):
    """包户/包企/挂点 (visits.seed_assignments): the demo cadre's list mixes doors already visited in the campaign with
    doors still to knock on, cadres' coverage lies between 30 % and 80 %, and every key project has its leader."""
    import datetime as dt

    from campaign.models import Assignment, KeyProject
    from visits.assignments import assignment_coverage, my_assignments
    from visits.seed_meetings import PROJECT_NAME

    cadre = User.objects.get(username="cadre")
    mine = my_assignments(cadre)
    assert 0 < mine.not_visited < mine.total
    # and the key project of their grid they serve (visits.seed_meetings, issue 16 item 6)
    assert {row.type for row in mine.rows} == {"household", "enterprise", "project"}
    assert Assignment.objects.filter(user=cadre).exclude(unit=cadre.unit).count() == 0  # their own grid
    assert Assignment.objects.filter(batch="标签：独居老人").exists()

    admin, day = User.objects.get(username="admin"), seed_now().date()
    coverage = assignment_coverage(admin, date_from=day - dt.timedelta(days=90), date_to=day)
    shares = [row["visited"] / row["assigned"] for row in coverage if row["assigned"] >= 10]
    assert shares and 0.3 <= sum(shares) / len(shares) <= 0.8

    projects = KeyProject.objects.exclude(name=PROJECT_NAME)  # the leaders' (挂点); the cadre's is checked above
    assert 3 <= projects.count() <= 6
    assert projects.filter(name="丈八街道老旧小区改造项目").exists()
    for project in projects:
        (leader,) = [a.user for a in Assignment.objects.filter(project=project).select_related("user")]
        assert leader.role == Role.LEADER and leader.unit.contains(project.unit)
        assert project.district_id == project.unit.district_id
