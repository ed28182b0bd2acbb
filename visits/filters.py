"""The visit list's filters (SPEC §7), declared once: the list, the map layer (`GeoVisitFilter`: plus `bbox`) and
the ledger export (through selectors.visits_filtered) all read them from here. Dates are inclusive Asia/Shanghai
days; `unit` means that unit and its subtree and must lie in the caller's scope (404 otherwise).
"""

from __future__ import annotations

import django_filters
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from campaign.filters import BBoxFilter, DayFromFilter, DayToFilter, IntFilter, ScopedFilterSet, SubtreeFilter
from visits.models import GeoStatus


def _geo_status_choices() -> str:
    return _("取值应为：%(v)s") % {"v": ", ".join(GeoStatus.values)}


class VisitFilter(ScopedFilterSet):
    unit = SubtreeFilter()
    cadre = IntFilter(field_name="cadre_id", help_text="the cadre (user id) who logged the visit")
    # One campaign's visits: its questionnaire's answers, one column per question, in the ledger (visits.ledgers).
    campaign = IntFilter(field_name="campaign_id", help_text="the campaign (id) the visits belong to")
    date_from = DayFromFilter(field_name="visited_at", help_text="first day, Asia/Shanghai, inclusive")
    date_to = DayToFilter(field_name="visited_at", help_text="last day, Asia/Shanghai, inclusive")
    geo_status = django_filters.ChoiceFilter(
        choices=GeoStatus.choices,
        error_messages={"invalid_choice": lazy(_geo_status_choices, str)()},
    )


class GeoVisitFilter(VisitFilter):
    bbox = BBoxFilter(required=True, help_text="minLng,minLat,maxLng,maxLat")
