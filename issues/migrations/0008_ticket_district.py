"""Ticket.district (issue 14, a flat inbox for a district's staff): the root of the ticket unit's tree.

Added nullable and filled from the unit's path (its first 6 digits are the root's id) in one UPDATE, the data step last
in this migration: PostgreSQL refuses DDL on a table with pending deferred foreign-key checks (docs/decisions.md), so
0009 makes it NOT NULL, indexes it and adds the trigger that keeps it.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE issues_ticket SET district_id = (
    SELECT CAST(substr(u.path, 1, 6) AS INTEGER) FROM campaign_orgunit u WHERE u.id = issues_ticket.unit_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0001_initial"),
        ("issues", "0007_ticket_events_partitioned"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="campaign.orgunit",
                verbose_name="所在区",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
