"""Ship the official calendar: every year the pinned chinese-calendar knows, so that a fresh `migrate` computes
working-day deadlines with China's holidays and make-up working days (issue 13). A later package upgrade does not
re-run this: `manage.py calendar_load` loads the years it adds (docs/operations.md)."""

from django.db import migrations


def load(apps, schema_editor):
    from campaign.holidays import calendar_load

    calendar_load(models=(apps.get_model("campaign", "CalendarDay"), apps.get_model("campaign", "CalendarYear")))


class Migration(migrations.Migration):

    dependencies = [
        ('campaign', '0008_calendaryear'),
    ]

    operations = [
        # Reversing keeps the rows: they are data an admin may have corrected since, not schema.
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
