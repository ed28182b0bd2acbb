"""The ticket filters of SPEC §7, declared once (django-filter): the list, the counters, the map, the ledger export
and the inbox page (/tickets/) all read them through TicketFilter, so a bad value answers 400 naming the
parameter ({"status": ["…"]}) everywhere, and the OpenAPI schema documents each one from this declaration.

A unit out of the user's scope answers 404 (campaign.scope.unit_in_scope), as every out-of-scope read does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from campaign.days import day_bounds, day_start
from campaign.errors import Invalid
from campaign.models import Role, User
from campaign.scope import in_subtree, unit_in_scope
from issues.models import Kind, Mode, Source, Status, Ticket
from issues.selectors import overdue_q, tickets_visible_to, with_priority

MAX_QUERY_LENGTH = 100
CATEGORY_MAX_LENGTH = 50
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # a date outside is a typo, not a filter
SUPERVISION_LEVELS = ("0", "1", "2")


class ChoicesField(forms.CharField):
    """One value or several separated by commas, each one of `choices`: `status=reported,dispatched`."""

    def __init__(self, *, values: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.values = values
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        chosen = [v for v in str(value or "").split(",") if v]
        bad = [v for v in chosen if v not in self.values]
        if bad:
            raise forms.ValidationError(_("取值无效：%(v)s") % {"v": ", ".join(bad)})
        return chosen


class StrictBooleanField(forms.Field):
    """true/1/yes or false/0/no; anything else is an error (never silently "no filter")."""

    TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise forms.ValidationError(_("应为 true 或 false。"))


class DayField(forms.DateField):
    """An Asia/Shanghai day as YYYY-MM-DD, between 2000 and 2100."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": _("日期格式应为 YYYY-MM-DD。")}
    default_validators = [
        MinValueValidator(FIRST_DAY, _("日期应在 2000–2100 年之间。")),
        MaxValueValidator(LAST_DAY, _("日期应在 2000–2100 年之间。")),
    ]


class UnitIdField(forms.IntegerField):
    default_error_messages = {"invalid": _("应为单位编号（整数）。")}


class ChoicesFilter(django_filters.Filter):
    field_class = ChoicesField


class BooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class DayFilter(django_filters.Filter):
    field_class = DayField


class UnitFilter(django_filters.Filter):
    field_class = UnitIdField


class TicketFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


def _choices_help(values: list[str]) -> str:
    return "one or several, comma-separated: " + ", ".join(values)


class TicketFilter(django_filters.FilterSet):
    """The filters of SPEC §7. Needs the user (a `request` from DRF, or `user=` from a selector): units are
    resolved in their scope and `mine` means the tickets they raised."""

    status = ChoicesFilter(values=tuple(Status.values), method="filter_in", help_text=_choices_help(Status.values))
    mode = ChoicesFilter(values=tuple(Mode.values), method="filter_in", help_text=_choices_help(Mode.values))
    kind = ChoicesFilter(values=tuple(Kind.values), method="filter_in", help_text=_choices_help(Kind.values))
    source = ChoicesFilter(values=tuple(Source.values), method="filter_in", help_text=_choices_help(Source.values))
    category = django_filters.CharFilter(method="filter_category", help_text="the category, exactly")
    unit = UnitFilter(method="filter_unit", help_text="where the matter is: this unit and its subtree")
    lead_unit = UnitFilter(method="filter_unit", help_text="lead unit and its subtree")
    overdue = BooleanFilter(method="filter_overdue", help_text="open and past due_at (true/false)")
    supervision = ChoicesFilter(
        values=SUPERVISION_LEVELS, method="filter_in", help_text=_choices_help(list(SUPERVISION_LEVELS))
    )
    date_from = DayFilter(method="filter_date_from", help_text="created on or after (Asia/Shanghai day)")
    date_to = DayFilter(method="filter_date_to", help_text="created on or before (Asia/Shanghai day)")
    q = django_filters.CharFilter(method="filter_q", help_text="code or description")
    mine = BooleanFilter(method="filter_mine", help_text="cadres: only the tickets I raised")
    ordering = django_filters.ChoiceFilter(
        choices=[("priority", "priority")], method="filter_ordering", help_text="supervised and overdue first"
    )

    class Meta:
        model = Ticket
        fields: list[str] = []
        form = TicketFilterForm

    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        user: User | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user: User = user if user is not None else request.user

    # The schema reads each method's `value` hint for the parameter's type (a list documents as a string).
    def filter_in(self, qs: QuerySet[Ticket], name: str, value: list[str]) -> QuerySet[Ticket]:
        return qs.filter(**{f"{name}__in": value})

    def filter_category(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return qs.filter(category=value[:CATEGORY_MAX_LENGTH])

    def filter_unit(self, qs: QuerySet[Ticket], name: str, value: int) -> QuerySet[Ticket]:
        return in_subtree(qs, unit_in_scope(self.user, value), name)

    def filter_overdue(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        overdue = overdue_q(timezone.now())
        return qs.filter(overdue) if value else qs.exclude(overdue)

    def filter_date_from(self, qs: QuerySet[Ticket], name: str, value: dt.date) -> QuerySet[Ticket]:
        return qs.filter(created_at__gte=day_start(value))

    def filter_date_to(self, qs: QuerySet[Ticket], name: str, value: dt.date) -> QuerySet[Ticket]:
        return qs.filter(created_at__lt=day_bounds(value)[1])

    def filter_q(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        q = (value or "").strip()[:MAX_QUERY_LENGTH]
        if not q:
            return qs
        return qs.filter(Q(code__iexact=q) | Q(code__startswith=q.upper()) | Q(description__icontains=q))

    def filter_mine(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        return qs.filter(created_by=self.user) if value and self.user.role == Role.CADRE else qs

    def filter_ordering(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        """`priority`: supervised and overdue first (the list then pages by number, see issues.api)."""
        return with_priority(qs, timezone.now()).order_by("-priority", "due_at", "-id")


def tickets_filtered(user: User, params: Mapping[str, Any], qs: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The user's tickets (`qs`, by default tickets_visible_to(user)) narrowed by the query parameters `params`.
    Bad values raise Invalid naming each parameter (400); a unit out of scope raises OutOfScope (404).
    Used by the counters, the map, the ledger export and the inbox page."""
    base = qs if qs is not None else tickets_visible_to(user)
    filterset = TicketFilter(params, queryset=base, user=user)
    if not filterset.is_valid():
        raise Invalid({name: [str(m) for m in messages] for name, messages in filterset.errors.items()})
    return filterset.qs


def _parameter_type(filter_field: django_filters.Filter) -> Any:
    field_class = filter_field.field_class
    if issubclass(field_class, forms.DateField):
        return OpenApiTypes.DATE
    if issubclass(field_class, forms.IntegerField):
        return OpenApiTypes.INT
    if issubclass(field_class, StrictBooleanField):
        return OpenApiTypes.BOOL
    return OpenApiTypes.STR


# The same declaration as query parameters, for the views that read the filters without listing tickets (their
# schema would not ask the filter backend): counters, map, ledger export.
FILTER_PARAMETERS = [
    OpenApiParameter(name, _parameter_type(f), description=str(f.extra.get("help_text", "")))
    for name, f in TicketFilter.base_filters.items()
    if name != "ordering"
]
