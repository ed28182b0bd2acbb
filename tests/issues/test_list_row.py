"""The tickets list builds its rows directly (issues.api.serializers._list_row, for speed): they must be exactly what
DRF's declared fields give, for tickets in every state, with and without co-units, masked or revealed."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory

from issues.api.serializers import TicketListSerializer
from issues.selectors import tickets_for_list

pytestmark = pytest.mark.django_db

STATES = ["reported", "dispatched", "accepted", "in_progress", "resolved", "closed", "cancelled"]


@pytest.mark.parametrize("reveal", [False, True])
def test_the_direct_rows_equal_the_declared_fields(tickets, dispatcher, reveal):
    made = [tickets.at(state) for state in STATES]
    made.append(tickets.at("accepted", mode="coordinated"))  # a co-unit
    made.append(tickets.reported(lat=None, lng=None, unit=tickets.org.grid1, category=""))
    request = APIRequestFactory().get("/api/v1/tickets/")
    request.user = dispatcher
    rows = list(tickets_for_list(dispatcher).filter(pk__in=[t.pk for t in made]).order_by("pk"))
    assert len(rows) == len(made)
    context = {"request": request, "reveal": reveal}
    fast = TicketListSerializer(rows, many=True, context=context).data
    declared = TicketListSerializer(rows, many=True, context={**context, "declared": True}).data
    assert [dict(row) for row in fast] == [dict(row) for row in declared]
    assert any(row["co_units"] for row in fast) and any(row["lead_unit_name"] is None for row in fast)
    assert set(fast[0]) == set(TicketListSerializer.Meta.fields)
