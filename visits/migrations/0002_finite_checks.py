"""Finite, in-range numbers and readable EXIF dates, refused by the database too (issue 12 item 1).

On PostgreSQL 'NaN' compares greater than every number, so an upper bound refuses NaN and +Infinity and a lower
bound -Infinity. Rows stored before these checks are repaired first (the value becomes unknown, NULL) so that the
constraints can be added: a NaN accuracy or a year-1 EXIF date made every list that showed the row fail.
"""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2101, 1, 1, tzinfo=datetime.UTC)


def forget_impossible_values(apps, schema_editor):
    """UPDATEs only (no row is read: a year-1 date cannot be read back)."""
    visit = apps.get_model("visits", "Visit")
    photo = apps.get_model("visits", "VisitPhoto")
    visit.objects.filter(Q(accuracy_m__gt=100_000) | Q(accuracy_m__lt=0)).update(accuracy_m=None)
    visit.objects.filter(Q(distance_m__gt=20_040_000) | Q(distance_m__lt=0)).update(distance_m=None)
    photo.objects.filter(Q(taken_at__lt=EARLIEST) | Q(taken_at__gte=LATEST)).update(taken_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0002_export"),
        ("issues", "0004_delete_export"),
        ("visits", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_impossible_values, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="visit",
            name="visit_accuracy_positive",
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("accuracy_m__isnull", True),
                    models.Q(("accuracy_m__gte", 0), ("accuracy_m__lte", 100000.0)),
                    _connector="OR",
                ),
                name="visit_accuracy_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("distance_m__isnull", True),
                    models.Q(("distance_m__gte", 0), ("distance_m__lte", 20040000.0)),
                    _connector="OR",
                ),
                name="visit_distance_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="visitphoto",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("taken_at__isnull", True),
                    models.Q(("taken_at__gte", EARLIEST), ("taken_at__lt", LATEST)),
                    _connector="OR",
                ),
                name="photo_taken_at_range",
            ),
        ),
    ]
