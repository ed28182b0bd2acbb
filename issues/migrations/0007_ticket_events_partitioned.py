"""Ticket events partitioned by month on `at` (issue 14 item 3), on PostgreSQL only.

The existing table is rebuilt in place by campaign.partitions.rebuild_table (a new partitioned table, the rows copied,
the names swapped, indexes, constraints and triggers made again — the append-only trigger of 0002 among them) with
the primary key (id, at). Django keeps `id` as the key: the identity sequence keeps it unique. Nothing points into
this table; its foreign keys to tickets and users stay real. SQLite keeps the plain table.
"""

from django.db import migrations

from campaign.partitions import rebuild_table


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        rebuild_table("issues_ticketevent", key="at")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        rebuild_table("issues_ticketevent", key=None)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0006_ticket_priority"),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
