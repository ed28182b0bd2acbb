"""`{% calendar_notice %}`: says which years deadlines can reach have no official holidays yet (campaign/holidays.py).

Used by the dashboard (templates/dashboard/index.html) and, with "admin", by the admin index and the calendar's
change lists (templates/admin/). On the dashboard it shows only while an active campaign counts working days: with
calendar days the missing holidays change no deadline. The admin always sees it: it is theirs to add the year.
"""

from __future__ import annotations

from typing import Any

from django import template

from campaign.holidays import unknown_years
from campaign.models import Campaign

register = template.Library()


@register.inclusion_tag("campaign/_calendar_notice.html")
def calendar_notice(place: str = "dashboard") -> dict[str, Any]:
    """One query (the years), and one more on the dashboard when a year is missing."""
    years = unknown_years()
    if years and place != "admin" and not Campaign.objects.filter(is_active=True, working_days=True).exists():
        years = []
    return {"years": "、".join(map(str, years)), "first_year": years[0] if years else None, "place": place}
