"""Ticket.branch for the rows that existed before 0010: one UPDATE (the depth-1 ancestor read off the unit's path)."""

from django.db import migrations

FILL = """
UPDATE issues_ticket SET branch_id = (
    SELECT CASE WHEN length(u.path) >= 14 THEN CAST(substr(u.path, 8, 6) AS INTEGER) END
    FROM campaign_orgunit u WHERE u.id = issues_ticket.unit_id
)
"""


class Migration(migrations.Migration):
    dependencies = [("issues", "0010_ticket_branch")]

    operations = [migrations.RunSQL(FILL, migrations.RunSQL.noop)]
