"""The event timeline is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE of issues_ticketevent.

SQLite has no such triggers worth keeping in step; there the rule is held by the code (no path updates events).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION issues_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issues_ticketevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS issues_ticketevent_append_only ON issues_ticketevent;
CREATE TRIGGER issues_ticketevent_append_only
    BEFORE UPDATE OR DELETE ON issues_ticketevent
    FOR EACH ROW EXECUTE FUNCTION issues_ticketevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS issues_ticketevent_append_only ON issues_ticketevent;
DROP FUNCTION IF EXISTS issues_ticketevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
