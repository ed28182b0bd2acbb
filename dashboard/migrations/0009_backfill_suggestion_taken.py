"""Tickets dispatched before issues 0019 have no `suggestion_taken`, though their dispatch event recorded whether the
dispatcher kept the router's suggestion (issues.rules.dispatch: the payload's `suggestion_taken`, since the router
came). Fill it from each ticket's latest such event, and mark their days for recompute so that the acceptance rate
counts them; a dispatch from before the router suggested anything stays null (nothing was suggested)."""

import zoneinfo

from django.db import migrations
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BATCH = 1000


def backfill(apps, schema_editor):
    Ticket = apps.get_model("issues", "Ticket")
    TicketEvent = apps.get_model("issues", "TicketEvent")
    DirtyDay = apps.get_model("dashboard", "DirtyDay")
    events = TicketEvent.objects.filter(
        action="dispatch", payload__has_key="suggestion_taken", ticket__suggestion_taken__isnull=True
    ).order_by("ticket_id", "at", "pk")
    latest = dict(events.values_list("ticket_id", "payload__suggestion_taken").iterator())  # the last one wins
    for value in (True, False):
        ids = [pk for pk, taken in latest.items() if taken is value]
        for i in range(0, len(ids), BATCH):
            Ticket.objects.filter(pk__in=ids[i : i + BATCH]).update(suggestion_taken=value)
    now, pairs = timezone.now(), set()
    filled = [pk for pk, taken in latest.items() if taken is not None]
    for i in range(0, len(filled), BATCH):
        for created_at, unit_id in Ticket.objects.filter(pk__in=filled[i : i + BATCH]).values_list(
            "created_at", "unit_id"
        ):
            pairs.add((created_at.astimezone(SHANGHAI).date(), unit_id))
    DirtyDay.objects.bulk_create(
        [DirtyDay(day=day, unit_id=unit_id, marked_at=now, pending_since=now) for day, unit_id in pairs],
        ignore_conflicts=True,
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0008_period_hotspots"),
        ("issues", "0022_ticket_district_created_idx"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
