"""Statistics answered one way (issue 11): PeriodStale goes (the recompute now rebuilds the spans in its own
transaction, and the usual periods are a cache with a bounded age); DirtyDay gains `pending_since`, the data's age."""

from django.db import migrations, models
from django.utils import timezone


def marks_for_stale_spans(apps, schema_editor):
    """Spans of a unit still marked PeriodStale may lag its rollups (they were rebuilt by the refresh that deletes the
    mark): mark its rolled-up days dirty, so the sweep recomputes them — spans included. WHOLE_DAY (0): every day.
    Cached rows are dropped: the next refresh writes them in the new shape."""
    stale = set(apps.get_model("dashboard", "PeriodStale").objects.values_list("unit_id", flat=True))
    apps.get_model("dashboard", "PeriodSummary").objects.all().delete()
    if not stale:
        return
    targets = apps.get_model("dashboard", "VisitTargetDay").objects.all()
    if 0 in stale:
        pairs = {(day, 0) for day in targets.values_list("day", flat=True).distinct()}
    else:
        pairs = set(targets.filter(unit_id__in=stale).values_list("day", "unit_id").distinct())
    now = timezone.now()
    DirtyDay = apps.get_model("dashboard", "DirtyDay")
    DirtyDay.objects.bulk_create(
        [DirtyDay(day=day, unit_id=unit_id, marked_at=now, pending_since=now) for day, unit_id in pairs],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_target_bits_day_reach"),
    ]

    operations = [
        migrations.AddField(
            model_name="dirtyday",
            name="pending_since",
            field=models.DateTimeField(default=timezone.now),
            preserve_default=False,
        ),
        migrations.RunSQL("UPDATE dashboard_dirtyday SET pending_since = marked_at", migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="dirtyday",
            index=models.Index(fields=["pending_since"], name="dirty_day_pending_idx"),
        ),
        migrations.RunPython(marks_for_stale_spans, migrations.RunPython.noop),
        migrations.DeleteModel(name="PeriodStale"),
    ]
