"""The lead_unit filter in the inbox's order: (lead_unit, priority, created_at, id), read backwards and stopped after a
page (issues.filters.PlaceFilter filters a unit without children by its id)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("issues", "0011_ticket_branch_fill")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["lead_unit", "priority", "created_at", "id"], name="ticket_lead_priority_idx"),
        ),
    ]
