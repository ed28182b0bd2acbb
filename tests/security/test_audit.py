"""The audit trail (issue 12 item 5): every kind of event recorded with personal values masked; append-only and
partitioned by month on PostgreSQL, old months dropped whole; `audit_export` for inspectors (docs/security.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import campaign.admin  # noqa: F401  registers the models (SimpleAdminConfig)
from campaign import audit
from campaign.importer import registry_import
from campaign.models import AuditAction, AuditEvent, CalendarDay, Household
from tests.factories import HouseholdFactory

TOKEN = "/api/v1/auth/token/"
PHONE, NAME = "13812345678", "张三丰"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger and the partitions exist on PostgreSQL only"
)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def stored_text() -> str:
    """Everything the audit table holds, as one string: no clear personal value may be found in it."""
    return " ".join(f"{e.actor_name} {e.object_id} {e.changes}" for e in AuditEvent.objects.all())


@pytest.fixture
def staff_admin(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


# --- logins -------------------------------------------------------------------------------------------------------
def test_a_page_login_and_a_failed_one_are_recorded_with_the_address(client, cadre):
    client.post("/accounts/login/", {"username": "cadre", "password": "wrong"}, REMOTE_ADDR="10.1.0.1")
    client.post("/accounts/login/", {"username": "cadre", "password": "pw"}, REMOTE_ADDR="10.1.0.2")

    (failed,) = events(AuditAction.LOGIN_FAILED)
    (ok,) = events(AuditAction.LOGIN_OK)
    assert (failed.actor_id, failed.actor_name, failed.client_address) == (None, "cadre", "10.1.0.1")
    assert failed.changes == {"via": "page", "locked": False}
    assert (ok.actor, ok.actor_name, ok.client_address, ok.changes) == (cadre, "cadre", "10.1.0.2", {"via": "page"})
    assert "wrong" not in stored_text()


def test_a_token_login_and_a_failed_one_are_recorded(api, cadre):
    api.post(TOKEN, {"username": "nobody", "password": "wrong"}, format="json", REMOTE_ADDR="10.1.1.1")
    api.post(TOKEN, {"username": "cadre", "password": "pw"}, format="json", REMOTE_ADDR="10.1.1.2")

    (failed,) = events(AuditAction.LOGIN_FAILED)
    (ok,) = events(AuditAction.LOGIN_OK)
    assert (failed.actor_name, failed.client_address, failed.changes["via"]) == ("nobody", "10.1.1.1", "token")
    assert (ok.actor, ok.client_address, ok.changes) == (cadre, "10.1.1.2", {"via": "token"})


# --- reveals, exports, registry changes ---------------------------------------------------------------------------
def test_a_reveal_is_recorded_without_the_values(api, dispatcher, org):
    home = HouseholdFactory(unit=org.grid1)

    api.as_user(dispatcher).get(
        f"/api/v1/households/{home.id}/", {"reveal": 1, "reason": "核实"}, REMOTE_ADDR="10.1.2.1"
    )

    (event,) = events(AuditAction.REVEAL)
    assert (event.actor, event.object_type, event.object_id) == (dispatcher, "household", str(home.id))
    assert event.client_address == "10.1.2.1"
    assert set(event.changes["fields"]) >= {"head_name", "phone"}
    assert PHONE not in stored_text() and NAME not in stored_text()


def test_an_export_is_one_event_with_its_kind_and_filters(api, leader, org):
    response = api.as_user(leader).get("/api/v1/visits/export.xlsx", {"geo_status": "verified"})

    assert response.status_code == 200
    (event,) = events(AuditAction.EXPORT)
    assert (event.actor, event.object_type) == (leader, "visits")
    assert event.changes["filters"]["geo_status"] == "verified" and event.changes["rows"] == 0


def test_a_household_created_and_updated_through_the_api_is_recorded_masked(api, cadre, org):
    body = {"address": "丈八街道1号", "head_name": NAME, "phone": PHONE, "members": 2, "lat": 34.19, "lng": 108.88}
    created = api.as_user(cadre).post("/api/v1/households/", body, format="json")
    home_id = created.json()["id"]
    api.as_user(cadre).patch(f"/api/v1/households/{home_id}/", {"phone": "13900001111"}, format="json")

    (create,) = events(AuditAction.REGISTRY_CREATE)
    (update,) = events(AuditAction.REGISTRY_UPDATE)
    assert (create.actor, create.object_type, create.object_id) == (cadre, "household", str(home_id))
    assert create.changes["new"]["head_name"] == "张**" and create.changes["new"]["phone"] == "138******78"
    assert create.changes["new"]["unit"] == org.grid1.id and create.changes["new"]["members"] == 2
    assert update.changes == {"old": {"phone": "138******78"}, "new": {"phone": "139******11"}}
    assert PHONE not in stored_text() and NAME not in stored_text() and "13900001111" not in stored_text()


def test_an_import_is_one_event_with_its_counts(org, cadre):
    rows = [{"地址": f"某小区{i}号", "户主姓名": NAME, "联系电话": PHONE, "网格": org.grid1.name} for i in range(3)]

    result = registry_import(kind="households", rows_or_file=rows, actor=cadre)

    assert result.created == 3 and Household.objects.count() == 3
    (event,) = events(AuditAction.REGISTRY_IMPORT)
    assert (event.actor, event.object_type) == (cadre, "households")
    assert event.changes == {"rows": 3, "created": 3, "errors": 0}
    assert not events(AuditAction.REGISTRY_CREATE)  # one event per import, not per row


def test_sensitive_values_are_never_stored_in_clear():
    changes = audit.masked({"new": {"head_id_number": "11010519491231002X", "password": "secret", "q": PHONE}})

    assert changes == {"new": {"head_id_number": audit.mask_id_number("11010519491231002X"), "q": "138******78"}}
    assert "19491231" not in str(changes)


# --- admin changes ------------------------------------------------------------------------------------------------
def test_admin_changes_are_recorded(client, staff_admin, org):
    home = HouseholdFactory(unit=org.grid1)
    client.force_login(staff_admin)

    added = client.post("/admin/campaign/calendarday/add/", {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    deleted = client.post(f"/admin/campaign/household/{home.id}/delete/", {"post": "yes"}, REMOTE_ADDR="10.1.3.1")

    assert added.status_code == 302 and deleted.status_code == 302
    add, delete = events(AuditAction.ADMIN_CHANGE)
    day = CalendarDay.objects.get(date="2027-01-01")  # the shipped calendar holds other years
    assert (add.actor, add.object_type, add.object_id, add.changes["flag"]) == (
        staff_admin,
        "calendarday",
        str(day.pk),
        "add",
    )
    assert (delete.object_type, delete.object_id, delete.changes["flag"]) == ("household", str(home.id), "delete")
    assert delete.client_address == "10.1.3.1"
    (gone,) = events(AuditAction.REGISTRY_DELETE)
    assert gone.changes["old"]["head_name"] == "张**" and gone.changes["old"]["phone"] == "138******78"
    assert not Household.objects.exists() and PHONE not in stored_text()


def test_the_admin_shows_the_trail_read_only(client, staff_admin, cadre):
    audit.audit_record(action=AuditAction.LOGIN_OK, actor=cadre)
    client.force_login(staff_admin)

    assert client.get("/admin/campaign/auditevent/").status_code == 200
    assert client.get("/admin/campaign/auditevent/add/").status_code == 403


# --- append-only, partitions, retention ---------------------------------------------------------------------------
@postgres_only
@pytest.mark.parametrize(
    "statement", ["UPDATE campaign_auditevent SET action = 'x'", "DELETE FROM campaign_auditevent"]
)
def test_the_database_refuses_update_and_delete(cadre, statement):
    audit.audit_record(action=AuditAction.LOGIN_OK, actor=cadre)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_OK).count() == 1


def partition_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'campaign_auditevent'::regclass"
        )
        return {row[0] for row in cursor.fetchall()}


@postgres_only
def test_partitions_exist_for_this_month_and_the_next_two(db):
    audit.audit_partitions()
    now = timezone.localtime()
    months = [(now.year + (now.month - 1 + k) // 12, (now.month - 1 + k) % 12 + 1) for k in range(3)]

    assert {audit.partition_name(y, m) for y, m in months} <= partition_names()
    assert "campaign_auditevent_default" in partition_names()


@postgres_only
def test_an_event_without_its_months_partition_is_kept_in_the_default_one(db, caplog):
    stray = AuditEvent.objects.create(action=AuditAction.LOGIN_OK, at=dt.datetime(2019, 6, 15, tzinfo=dt.UTC))

    created = audit.audit_partitions(now=dt.datetime(2019, 6, 20, tzinfo=dt.UTC))

    # June holds a row in the default partition, so it cannot be made (and says so); the months ahead still are.
    assert created == ["campaign_auditevent_p201907", "campaign_auditevent_p201908"]
    assert "campaign_auditevent_p201906" in caplog.text
    assert AuditEvent.objects.filter(pk=stray.pk).exists()


@postgres_only
def test_retention_drops_a_whole_old_partition_and_keeps_the_recent_ones(cadre, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    audit.ensure_partition(2020, 1)
    old = AuditEvent.objects.create(
        action=AuditAction.LOGIN_OK, actor_name="cadre", at=dt.datetime(2020, 1, 15, tzinfo=dt.UTC)
    )
    recent = audit.audit_record(action=AuditAction.LOGIN_OK, actor=cadre)

    dropped = audit.audit_retention()

    assert dropped == ["campaign_auditevent_p202001"]
    assert "campaign_auditevent_p202001" not in partition_names()
    assert list(AuditEvent.objects.values_list("id", flat=True)) == [recent.id] and old.id != recent.id
    assert audit.partition_name(timezone.localtime().year, timezone.localtime().month) in partition_names()


def test_retention_below_180_days_is_refused_and_drops_nothing(db, settings):
    settings.AUDIT_RETENTION_DAYS = 90
    before = audit.partitions()

    with pytest.raises(ImproperlyConfigured, match="180"):
        audit.audit_retention()

    assert audit.partitions() == before


# --- the export for inspectors ------------------------------------------------------------------------------------
def test_audit_export_writes_the_rows_of_the_range_as_csv_with_a_bom(cadre, tmp_path):
    shanghai = timezone.get_default_timezone()
    for day in (1, 2, 3):
        AuditEvent.objects.create(
            action=AuditAction.LOGIN_FAILED,
            actor_name=f"=cmd{day}",
            changes={"via": "page"},
            at=dt.datetime(2026, 11, day, 23, 30, tzinfo=shanghai),
        )
    target = tmp_path / "audit.csv"

    call_command(
        "audit_export", "--from", "2026-11-02", "--to", "2026-11-03", "--out", str(target), stderr=io.StringIO()
    )

    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "操作", "账号"]
    assert [r[2] for r in rows[1:]] == ["'=cmd2", "'=cmd3"]  # the range, inclusive; never a live formula
    assert rows[1][0].startswith("2026-11-02T23:30") and rows[1][1] == "login_failed"
