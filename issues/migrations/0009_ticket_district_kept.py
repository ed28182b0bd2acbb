"""Ticket.district NOT NULL, its two inbox indexes, an index of the carded tickets (the supervision filter), and
(PostgreSQL) the trigger that sets it from unit_id on every insert and every change of unit_id, so that rows written
by COPY or raw SQL (bench/make_city.py) carry it too. Django's Ticket.save() sets it as well (SQLite has no such
trigger)."""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER = """
CREATE FUNCTION issues_ticket_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.district_id := (SELECT CAST(substr(u.path, 1, 6) AS INTEGER) FROM campaign_orgunit u WHERE u.id = NEW.unit_id);
    RETURN NEW;
END $$;
CREATE TRIGGER issues_ticket_district BEFORE INSERT OR UPDATE OF unit_id ON issues_ticket
    FOR EACH ROW EXECUTE FUNCTION issues_ticket_district();
"""
UNTRIGGER = """
DROP TRIGGER IF EXISTS issues_ticket_district ON issues_ticket;
DROP FUNCTION IF EXISTS issues_ticket_district();
"""


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def untrigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNTRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0001_initial"),
        ("issues", "0008_ticket_district"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaign.orgunit",
                verbose_name="所在区",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["district", "priority", "created_at", "id"], name="ticket_district_priority_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["district", "status", "priority", "created_at", "id"], name="ticket_district_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("supervision__gt", 0)), fields=["supervision", "created_at"], name="ticket_card_idx"
            ),
        ),
        migrations.RunPython(trigger, untrigger),
    ]
