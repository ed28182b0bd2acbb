"""Ticket codes: district short code, Asia/Shanghai day, per-district per-day sequence; unique."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from issues.models import Ticket, TicketSequence


def test_codes_follow_the_district_day_and_sequence(tickets):
    # 2026-05-12 16:30 UTC is already 2026-05-13 in Shanghai
    with time_machine.travel(dt.datetime(2026, 5, 12, 16, 30, tzinfo=dt.UTC), tick=False):
        first, second = tickets.reported(), tickets.reported()
    assert (first.code, second.code) == ("GX-20260513-000001", "GX-20260513-000002")


def test_many_tickets_get_unique_codes(tickets):
    made = [tickets.reported() for _ in range(40)]
    codes = {t.code for t in made}
    assert len(codes) == 40
    day = timezone.localdate()
    assert TicketSequence.objects.get(day=day).last == 40
    assert Ticket.objects.filter(code__startswith=f"GX-{day:%Y%m%d}-").count() == 40
