"""Ticket.branch: the street (or department, or park) the ticket's unit lies in — the depth-1 ancestor of its unit,
NULL when the unit is the district itself — with the two inbox indexes of a street's staff, and (PostgreSQL) the
district trigger of 0009 replaced by one that sets both keys on every insert and change of unit_id. Filled for
existing rows by 0011 (the data step in its own migration)."""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION issues_ticket_district() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unit_path TEXT := (SELECT u.path FROM campaign_orgunit u WHERE u.id = NEW.unit_id);
BEGIN
    NEW.district_id := CAST(substr(unit_path, 1, 6) AS INTEGER);
    NEW.branch_id := CASE WHEN length(unit_path) >= 14 THEN CAST(substr(unit_path, 8, 6) AS INTEGER) END;
    RETURN NEW;
END $$;
"""
DISTRICT_ONLY = """
CREATE OR REPLACE FUNCTION issues_ticket_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.district_id := (SELECT CAST(substr(u.path, 1, 6) AS INTEGER) FROM campaign_orgunit u WHERE u.id = NEW.unit_id);
    RETURN NEW;
END $$;
"""


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def untrigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DISTRICT_ONLY)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0009_calendar_official"),
        ("issues", "0009_ticket_district_kept"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaign.orgunit",
                verbose_name="所在街道",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["branch", "priority", "created_at", "id"], name="ticket_branch_priority_idx"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["branch", "status", "priority", "created_at", "id"], name="ticket_branch_status_idx"
            ),
        ),
        migrations.RunPython(trigger, untrigger),
    ]
