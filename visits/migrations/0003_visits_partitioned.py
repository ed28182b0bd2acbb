"""Visits partitioned by month on `visited_at` (issue 14 item 3), on PostgreSQL only.

The existing table is rebuilt in place (campaign.partitions.rebuild_table: a new partitioned table, the rows copied,
the names swapped, indexes, constraints and triggers made again) with the primary key (id, visited_at), since a
partitioned table's keys must include the partition key. The id stays the idempotency key across every month
through visits_visitkey: a BEFORE INSERT trigger inserts the id there in the same statement, so a second visit with
the same id fails on that table's primary key (IntegrityError, as before), whatever month it claims. A DELETE of a
visit deletes its key, and the key's deletion cascades to the visit's photos: the photo → visit link, which Django
cannot express into a partitioned table (VisitPhoto.visit has db_constraint=False), is held by the database as
visits_visitphoto.visit_id REFERENCES visits_visitkey. A visit keeps its id and its month (an UPDATE changing
either is refused): moving a row to another partition would claim its key twice.

SQLite (the embedded demo) keeps the plain table keyed by id; visits_visitkey stays empty there.
"""

from django.db import migrations, models

from campaign.partitions import rebuild_table

KEYS = """
INSERT INTO visits_visitkey (id) SELECT id FROM visits_visit;
CREATE FUNCTION visits_visit_key_claim() RETURNS trigger AS $$
BEGIN
    INSERT INTO visits_visitkey (id) VALUES (NEW.id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visits_visit_key_claim BEFORE INSERT ON visits_visit
    FOR EACH ROW EXECUTE FUNCTION visits_visit_key_claim();
CREATE FUNCTION visits_visit_key_release() RETURNS trigger AS $$
BEGIN
    DELETE FROM visits_visitkey WHERE id = OLD.id;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visits_visit_key_release AFTER DELETE ON visits_visit
    FOR EACH ROW EXECUTE FUNCTION visits_visit_key_release();
CREATE FUNCTION visits_visit_keeps_month() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR date_trunc('month', NEW.visited_at AT TIME ZONE 'Asia/Shanghai')
            <> date_trunc('month', OLD.visited_at AT TIME ZONE 'Asia/Shanghai') THEN
        RAISE EXCEPTION 'a visit keeps its id and its month (visits_visit is partitioned by month)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visits_visit_keeps_month BEFORE UPDATE OF id, visited_at ON visits_visit
    FOR EACH ROW EXECUTE FUNCTION visits_visit_keeps_month();
DELETE FROM visits_visitphoto p WHERE NOT EXISTS (SELECT 1 FROM visits_visitkey k WHERE k.id = p.visit_id);
ALTER TABLE visits_visitphoto ADD CONSTRAINT visitphoto_visit_key_fk
    FOREIGN KEY (visit_id) REFERENCES visits_visitkey (id) ON DELETE CASCADE;
"""

UNKEYS = """
ALTER TABLE visits_visitphoto DROP CONSTRAINT visitphoto_visit_key_fk;
DROP TRIGGER visits_visit_key_claim ON visits_visit;
DROP TRIGGER visits_visit_key_release ON visits_visit;
DROP TRIGGER visits_visit_keeps_month ON visits_visit;
DROP FUNCTION visits_visit_key_claim();
DROP FUNCTION visits_visit_key_release();
DROP FUNCTION visits_visit_keeps_month();
DELETE FROM visits_visitkey;
"""


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        rebuild_table("visits_visit", key="visited_at")
        schema_editor.execute(KEYS, params=None)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNKEYS, params=None)
        rebuild_table("visits_visit", key=None)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0002_finite_checks"),
    ]

    operations = [
        migrations.CreateModel(
            name="VisitKey",
            fields=[
                ("id", models.UUIDField(editable=False, primary_key=True, serialize=False)),
            ],
            options={
                "verbose_name": "走访编号",
                "verbose_name_plural": "走访编号",
            },
        ),
        # Drops the database's photo → visit foreign key first: the old table cannot be dropped while it stands.
        migrations.AlterField(
            model_name="visitphoto",
            name="visit",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="photos",
                to="visits.visit",
                verbose_name="走访",
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
