"""Declared list filters (django-filter): the shared pieces every app's FilterSet is built from, and the filters of
the unit list and the registries (SPEC §7).

A FilterSet here narrows a queryset that is already scoped to the caller (scope first, STYLE 3): the view's
`get_queryset` or a selector hands it the rows of `*_visible_to(user)`. Values are read by the one reader of each
kind in campaign/params.py. Out of scope answers before bad fields (SPEC §1): a `unit` outside the caller's scope
is a 404 even when another parameter is also wrong.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, ClassVar, TypeVar

import django_filters
from django import forms
from django.db.models import F, FloatField, Model, Q, QuerySet, Value
from django.db.models.expressions import ExpressionWrapper
from django.utils.translation import gettext as _
from drf_spectacular.drainage import set_override
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from campaign.days import day_bounds, day_start
from campaign.errors import Invalid
from campaign.geo import METRES_PER_DEGREE_LAT, bbox_around
from campaign.models import OrgUnit, UnitKind, User
from campaign.params import BBoxField, BoolField, ChoicesField, DayField, IntField, PointField
from campaign.scope import in_subtree, may_reveal_personal_data, unit_in_scope

M = TypeVar("M", bound=Model)

MAX_RADIUS_M = 5000
DEFAULT_RADIUS_M = 500.0


class UnitField(IntField):
    """A unit id; the form (ScopedForm.clean) swaps it for the OrgUnit once it is known to be in scope."""


class ScopedForm(forms.Form):
    """The form behind every ScopedFilterSet: units resolved in the caller's scope, and a period in order."""

    user: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            if isinstance(field, UnitField) and cleaned.get(name) is not None:
                # OutOfScope (404) leaves the form at once, before any 400 of the other fields (SPEC §1).
                cleaned[name] = unit_in_scope(self.user, cleaned[name])
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return cleaned


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet that knows its caller: from the DRF request (DjangoFilterBackend) or given as `user` (a selector
    called without a request, e.g. a background export)."""

    class Meta:
        form = ScopedForm

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        user: User | None = None,
    ) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else request.user

    @property
    def form(self) -> ScopedForm:
        form: ScopedForm = super().form
        form.user = self.user
        return form

    def filtered(self) -> QuerySet[Any]:
        """The filtered rows; Invalid (400, {field: [message]}) when a value is bad."""
        if not self.is_valid():
            raise Invalid({name: list(messages) for name, messages in self.errors.items()})
        return self.qs


class RadiusField(forms.FloatField):
    """A search radius in metres: more than 0, at most MAX_RADIUS_M (NaN and infinity are refused as numbers)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not 0 < value <= MAX_RADIUS_M:
            raise forms.ValidationError(_("应在 0 到 %(max)s 米之间。") % {"max": MAX_RADIUS_M}, code="range")


# --- filters of each kind ----------------------------------------------------------------------------------------
class TypedFilter(django_filters.Filter):
    """A filter that tells the OpenAPI schema its type and help text. drf-spectacular cannot guess a custom
    filter's type, and a class-level `extend_schema_field` would drop the description: the schema goes on the
    instance instead."""

    openapi_type: ClassVar[OpenApiTypes] = OpenApiTypes.STR

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = dict(build_basic_type(self.openapi_type) or {})
        if self.extra.get("help_text"):
            schema["description"] = str(self.extra["help_text"])
        set_override(self, "field", schema)


class UnitFilter(TypedFilter):
    """A unit in the caller's scope (404 otherwise), handed to the filter (or its method) as the OrgUnit."""

    field_class = UnitField
    openapi_type = OpenApiTypes.INT


class SubtreeFilter(UnitFilter):
    """`unit=<id>`: rows whose `field_name` (an OrgUnit FK, default "unit") lies in that unit and its subtree."""

    def __init__(self, field_name: str = "unit", **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "this unit and its subtree")
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs: QuerySet[M], value: OrgUnit | None) -> QuerySet[M]:
        return qs if value is None else in_subtree(qs, value, self.field_name)


class IntFilter(TypedFilter):
    field_class = IntField
    openapi_type = OpenApiTypes.INT


class BoolFilter(TypedFilter):
    """true/1/yes or false/0/no (campaign.params.read_bool); anything else is a 400, never "no filter"."""

    field_class = BoolField
    openapi_type = OpenApiTypes.BOOL


class ChoicesFilter(TypedFilter):
    """`name=a,b`: rows whose `field_name` is one of the values given, each one of `values` (400 otherwise)."""

    field_class = ChoicesField
    openapi_type = OpenApiTypes.STR

    def __init__(self, *, values: Collection[str], **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "one or several, comma-separated: " + ", ".join(values))
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(values=tuple(values), **kwargs)


class DayFromFilter(TypedFilter):
    """`date_from=YYYY-MM-DD`: rows whose `field_name` (a moment) falls on that Asia/Shanghai day or later."""

    field_class = DayField
    openapi_type = OpenApiTypes.DATE

    def filter(self, qs: QuerySet[M], value: Any) -> QuerySet[M]:
        return qs if value is None else qs.filter(**{f"{self.field_name}__gte": day_start(value)})


class DayToFilter(TypedFilter):
    """`date_to=YYYY-MM-DD`: rows whose `field_name` (a moment) falls on that Asia/Shanghai day or earlier."""

    field_class = DayField
    openapi_type = OpenApiTypes.DATE

    def filter(self, qs: QuerySet[M], value: Any) -> QuerySet[M]:
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__lt": day_bounds(value)[1]})


class BBoxFilter(TypedFilter):
    """`bbox=minLng,minLat,maxLng,maxLat`: rows whose lat/lng lie in the viewport (WGS-84)."""

    field_class = BBoxField
    openapi_type = OpenApiTypes.STR

    def filter(self, qs: QuerySet[M], value: tuple[float, float, float, float] | None) -> QuerySet[M]:
        if value is None:
            return qs
        min_lng, min_lat, max_lng, max_lat = value
        return qs.filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)


class PointFilter(TypedFilter):
    field_class = PointField
    openapi_type = OpenApiTypes.STR


class RadiusFilter(TypedFilter):
    field_class = RadiusField
    openapi_type = OpenApiTypes.NUMBER


def query_parameters(
    filterset: type[django_filters.FilterSet], *, exclude: Collection[str] = ()
) -> list[OpenApiParameter]:
    """A FilterSet's filters as OpenAPI query parameters, for the views that read them without listing rows
    (counters, a map, an export): their schema would not ask the filter backend."""
    parameters = []
    for name, f in filterset.base_filters.items():
        if name in exclude:
            continue
        kind = f.openapi_type if isinstance(f, TypedFilter) else OpenApiTypes.STR
        choices = f.extra.get("choices") if isinstance(f, django_filters.ChoiceFilter) else None
        enum = [value for value, _label in choices] if isinstance(choices, list | tuple) else None
        parameters.append(OpenApiParameter(name, kind, enum=enum, description=str(f.extra.get("help_text", ""))))
    return parameters


# --- units and registries ----------------------------------------------------------------------------------------
class UnitListFilter(ScopedFilterSet):
    parent = UnitFilter(method="children_of", help_text="children of this unit")
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    unit = UnitFilter(method="subtree", help_text="this unit and its subtree")

    def children_of(self, qs: QuerySet[OrgUnit], name: str, value: OrgUnit) -> QuerySet[OrgUnit]:
        return qs.filter(parent=value)

    def subtree(self, qs: QuerySet[OrgUnit], name: str, value: OrgUnit) -> QuerySet[OrgUnit]:
        return qs & OrgUnit.objects.subtree_of(value)


def nearest_first(qs: QuerySet[M], lat: float, lng: float, radius_m: float) -> QuerySet[M]:
    """Rows within a bounding box of the radius, nearest first: an equirectangular squared distance is exact
    enough to order points a few km apart, and plain arithmetic runs the same on SQLite and PostgreSQL."""
    min_lat, max_lat, min_lng, max_lng = bbox_around(lat, lng, radius_m)
    k = math.cos(math.radians(lat))
    d2 = ExpressionWrapper(
        (F("lat") - Value(lat)) * (F("lat") - Value(lat))
        + (F("lng") - Value(lng)) * (F("lng") - Value(lng)) * Value(k * k),
        output_field=FloatField(),
    )
    r2 = (radius_m / METRES_PER_DEGREE_LAT) ** 2
    return (
        qs.filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
        .annotate(d2=d2)
        .filter(d2__lte=r2)
        .order_by("d2", "id")
    )


class RegistryFilter(ScopedFilterSet):
    """The filters of the household and enterprise lists: `unit`, `q` (search text), `near=lat,lng` with
    `radius_m` (rows within the radius, nearest first)."""

    search_fields: ClassVar[tuple[str, ...]] = ()
    # Personal values (PIPL, issue 12 item 4): searched only for the roles that may reveal them, since a match alone
    # tells a leader who lives where.
    personal_search_fields: ClassVar[tuple[str, ...]] = ()

    unit = SubtreeFilter()
    q = django_filters.CharFilter(method="search", help_text="search text")
    near = PointFilter(method="within_radius", help_text="lat,lng (WGS-84): nearest first")
    radius_m = RadiusFilter(
        method="read_by_near", help_text=f"with near; default {DEFAULT_RADIUS_M:.0f}, at most {MAX_RADIUS_M}"
    )

    def search(self, qs: QuerySet[M], name: str, value: str) -> QuerySet[M]:
        text = value.strip()
        if not text:
            return qs
        fields = self.search_fields
        if may_reveal_personal_data(self.user):
            fields += self.personal_search_fields
        cond = Q()
        for field in fields:
            cond |= Q(**{f"{field}__icontains": text})
        return qs.filter(cond)

    def within_radius(self, qs: QuerySet[M], name: str, value: tuple[float, float]) -> QuerySet[M]:
        radius = self.form.cleaned_data.get("radius_m") or DEFAULT_RADIUS_M
        return nearest_first(qs, *value, radius)

    def read_by_near(self, qs: QuerySet[M], name: str, value: Any) -> QuerySet[M]:
        return qs  # the radius only means something with `near`, which reads it


class HouseholdFilter(RegistryFilter):
    search_fields = ("address",)
    personal_search_fields = ("head_name",)


class EnterpriseFilter(RegistryFilter):
    search_fields = ("name", "address", "credit_code")
