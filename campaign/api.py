"""REST API of the campaign app: auth token, me, units, households, enterprises (SPEC §7)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.expressions import ExpressionWrapper
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from campaign import services
from campaign.errors import Invalid
from campaign.geo import METRES_PER_DEGREE_LAT, bbox_around, haversine_m
from campaign.models import Enterprise, Household, OrgUnit
from campaign.pagination import IdCursorPage, NumberPage
from campaign.scope import (
    enterprises_visible_to,
    households_visible_to,
    in_subtree,
    may_reveal_personal_data,
    unit_in_scope,
    units_visible_to,
    user_of,
)
from campaign.serializers import MeSerializer
from campaign.validators import mask_name, mask_phone

MAX_RADIUS_M = 5000


# --- auth and me ------------------------------------------------------------------------------------------
class TokenThrottle(AnonRateThrottle):
    scope = "token"


class TokenView(ObtainAuthToken):
    """POST {username, password} → {token}. Use as `Authorization: Token <key>`."""

    throttle_classes = [TokenThrottle]


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


# --- units --------------------------------------------------------------------------------------------------
class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind", "code", "parent", "depth", "lat", "lng", "boundary"]


class UnitFilterMixin:
    request: Request

    def unit_filter(self, qs: QuerySet[Any], field: str = "unit") -> QuerySet[Any]:
        unit_id = self.request.query_params.get("unit")
        if unit_id:
            qs = in_subtree(qs, unit_in_scope(user_of(self.request), unit_id), field)
        return qs


@extend_schema(
    parameters=[
        OpenApiParameter("parent", OpenApiTypes.INT, description="children of this unit"),
        OpenApiParameter("kind", OpenApiTypes.STR),
        OpenApiParameter("unit", OpenApiTypes.INT, description="this unit and its subtree"),
    ]
)
class UnitList(UnitFilterMixin, generics.ListAPIView):
    serializer_class = UnitSerializer
    pagination_class = NumberPage

    def get_queryset(self) -> QuerySet[OrgUnit]:
        qs = units_visible_to(user_of(self.request))
        params = self.request.query_params
        if params.get("parent"):
            qs = qs.filter(parent_id=unit_in_scope(user_of(self.request), params["parent"]).pk)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("unit"):
            qs = qs.filter(path__startswith=unit_in_scope(user_of(self.request), params["unit"]).path)
        return qs.order_by("path")


class UnitDetail(generics.RetrieveAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return units_visible_to(user_of(self.request))


# --- registries ---------------------------------------------------------------------------------------------
class MaskedSerializer(serializers.ModelSerializer):
    """Personal fields are masked unless the view asked for full values (and logged the read)."""

    masked_fields: dict[str, Any] = {}
    distance_m = serializers.SerializerMethodField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("reveal"):
            for name, mask in self.masked_fields.items():
                data[name] = mask(data[name]) if data.get(name) else data.get(name)
        return data

    def get_distance_m(self, obj: Any) -> float | None:
        origin = self.context.get("near")
        if origin is None or obj.lat is None:
            return None
        return round(haversine_m(origin[0], origin[1], obj.lat, obj.lng), 1)

    def validate_unit(self, unit: OrgUnit) -> OrgUnit:
        return unit_in_scope(self.context["request"].user, unit.pk)


class HouseholdSerializer(MaskedSerializer):
    masked_fields = {"head_name": mask_name, "phone": mask_phone}
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "address",
            "unit",
            "unit_name",
            "head_name",
            "phone",
            "members",
            "lat",
            "lng",
            "tags",
            "confirmed",
            "distance_m",
        ]
        read_only_fields = ["confirmed"]
        extra_kwargs = {"unit": {"required": False}}

    def validate_tags(self, tags: Any) -> list[str]:
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 20 for t in tags):
            raise serializers.ValidationError("标签应为字符串列表（每个不超过20字）。")
        return tags


class EnterpriseSerializer(MaskedSerializer):
    masked_fields = {"contact_name": mask_name, "contact_phone": mask_phone}
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "industry",
            "size",
            "address",
            "unit",
            "unit_name",
            "contact_name",
            "contact_phone",
            "lat",
            "lng",
            "distance_m",
        ]
        extra_kwargs = {"unit": {"required": False}}


def parse_near(params: Any) -> tuple[float, float, float] | None:
    raw = params.get("near")
    if not raw:
        return None
    try:
        lat_s, lng_s = raw.split(",")
        lat, lng = float(lat_s), float(lng_s)
    except ValueError:
        raise Invalid.field("near", "格式应为 near=纬度,经度") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Invalid.field("near", "坐标超出范围。")
    try:
        radius = float(params.get("radius_m", 500))
    except ValueError:
        raise Invalid.field("radius_m", "应为数字（米）。") from None
    if not 0 < radius <= MAX_RADIUS_M:
        raise Invalid.field("radius_m", f"应在 0 到 {MAX_RADIUS_M} 米之间。")
    return lat, lng, radius


def nearest_first(qs: QuerySet[Any], lat: float, lng: float, radius_m: float) -> QuerySet[Any]:
    """Rows within a bounding box of the radius, nearest first: an equirectangular squared distance is exact
    enough to order points a few km apart, and plain arithmetic runs the same on SQLite and PostgreSQL."""
    import math

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


class RegistryListMixin(UnitFilterMixin):
    pagination_class = IdCursorPage
    search_fields: tuple[str, ...] = ()

    def visible(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        qs = self.unit_filter(self.visible())
        q = self.request.query_params.get("q", "").strip()
        if q:
            from django.db.models import Q

            cond = Q()
            for field in self.search_fields:
                cond |= Q(**{f"{field}__icontains": q})
            qs = qs.filter(cond)
        self.near = parse_near(self.request.query_params)
        if self.near:
            qs = nearest_first(qs, *self.near)
        return qs

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            # Within a bounded radius the set is small and ordered by distance: numbered pages.
            self._paginator = NumberPage() if parse_near(self.request.query_params) else IdCursorPage()
        return self._paginator

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["near"] = getattr(self, "near", None)
        return context


REGISTRY_PARAMETERS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="this unit and its subtree"),
    OpenApiParameter("q", OpenApiTypes.STR, description="search text"),
    OpenApiParameter("near", OpenApiTypes.STR, description="lat,lng (WGS-84): nearest first"),
    OpenApiParameter("radius_m", OpenApiTypes.NUMBER, description="with near; default 500, at most 5000"),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="at most 200"),
]


class RevealMixin:
    """`?reveal=1` on a detail read returns full personal values to roles that need them, and logs the read."""

    request: Request

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["reveal"] = False
        return context

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance)  # type: ignore[attr-defined]
        if request.query_params.get("reveal") in ("1", "true") and may_reveal_personal_data(user_of(request)):
            serializer.context["reveal"] = True
            services.access_log_record(user=user_of(request), obj=instance, fields=list(serializer.masked_fields))
        return Response(serializer.data)


@extend_schema(parameters=REGISTRY_PARAMETERS)
class HouseholdList(RegistryListMixin, generics.ListCreateAPIView):
    serializer_class = HouseholdSerializer
    search_fields = ("address", "head_name")

    def visible(self) -> QuerySet[Household]:
        return households_visible_to(user_of(self.request))

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.household_create(
            actor=user_of(self.request), data=dict(serializer.validated_data)
        )


class HouseholdDetail(RevealMixin, generics.RetrieveUpdateAPIView):
    serializer_class = HouseholdSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Household]:
        return households_visible_to(user_of(self.request))

    @extend_schema(parameters=[OpenApiParameter("reveal", OpenApiTypes.BOOL, description="full personal data")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.household_update(
            actor=user_of(self.request),
            household=serializer.instance,
            data=dict(serializer.validated_data),
        )


@extend_schema(parameters=REGISTRY_PARAMETERS)
class EnterpriseList(RegistryListMixin, generics.ListCreateAPIView):
    serializer_class = EnterpriseSerializer
    search_fields = ("name", "address", "credit_code")

    def visible(self) -> QuerySet[Enterprise]:
        return enterprises_visible_to(user_of(self.request))

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.enterprise_create(
            actor=user_of(self.request), data=dict(serializer.validated_data)
        )


class EnterpriseDetail(RevealMixin, generics.RetrieveUpdateAPIView):
    serializer_class = EnterpriseSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Enterprise]:
        return enterprises_visible_to(user_of(self.request))

    @extend_schema(parameters=[OpenApiParameter("reveal", OpenApiTypes.BOOL, description="full personal data")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.enterprise_update(
            actor=user_of(self.request),
            enterprise=serializer.instance,
            data=dict(serializer.validated_data),
        )
