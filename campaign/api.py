"""REST API of the campaign app: auth token, me, units, households, enterprises (SPEC §7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign import reveal, services
from campaign.fields import CleanModelSerializer, text_error
from campaign.filters import EnterpriseFilter, HouseholdFilter, RegistryFilter, UnitListFilter
from campaign.geo import haversine_m
from campaign.models import Enterprise, Household, OrgUnit, RevealReason
from campaign.pagination import IdCursorPage, NumberPage
from campaign.scope import (
    enterprises_visible_to,
    households_visible_to,
    unit_in_scope,
    units_visible_to,
    user_of,
)
from campaign.serializers import MeSerializer, WGS84PointMixin, crs_field
from campaign.throttles import TokenThrottle
from campaign.validators import mask_id_number, mask_name, mask_phone

REVEAL_PARAMETERS = [
    OpenApiParameter("reveal", OpenApiTypes.BOOL, description="full personal values (roles that may; logged)"),
    OpenApiParameter("reason", OpenApiTypes.STR, enum=RevealReason.values, description="why (required with reveal)"),
]


# --- auth and me ------------------------------------------------------------------------------------------
class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(help_text="Ends earlier after 8 hours unused; never later than 30 days.")


class TokenView(APIView):
    """POST {username, password} → {token, expiry}; use as `Authorization: Token <key>`. DELETE revokes the
    token the request is authenticated with. Tokens expire (REST_KNOX in config/settings.py)."""

    throttle_classes = [TokenThrottle]

    def get_permissions(self) -> Sequence[Any]:
        # A login needs no credentials; a revocation needs the token it revokes. (No request: the schema.)
        return [] if getattr(self.request, "method", None) == "POST" else super().get_permissions()

    @extend_schema(request=TokenLoginSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        given = TokenLoginSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: django-axes marks a locked-out attempt on the request it is given,
        # and its middleware only sees the Django one (it then answers with campaign.auth.lockout_response).
        user = authenticate(request._request, **given.validated_data)
        if user is None:
            # DRF's own words (and translation), as its former ObtainAuthToken answered.
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        token_row, token = AuthToken.objects.create(user=user)
        # As knox's own LoginView does: listeners of a login (the audit trail, last_login) hear a token login too.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token, "expiry": token_row.expiry})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=204)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


# --- units --------------------------------------------------------------------------------------------------
class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind", "code", "parent", "depth", "lat", "lng", "boundary"]


class UnitList(generics.ListAPIView):
    serializer_class = UnitSerializer
    pagination_class = NumberPage
    filterset_class = UnitListFilter

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return units_visible_to(user_of(self.request)).order_by("path")


class UnitDetail(generics.RetrieveAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return units_visible_to(user_of(self.request))


# --- registries ---------------------------------------------------------------------------------------------
COORDINATE_KWARGS = {"lat": {"min_value": -90, "max_value": 90}, "lng": {"min_value": -180, "max_value": 180}}
MAX_TAGS = 20


class MaskedSerializer(WGS84PointMixin, CleanModelSerializer):
    """Personal fields are masked unless the view asked for full values (and logged the read). Texts refuse control
    characters and coordinates must be finite and in range (campaign.fields), before the service writes; a point
    sent in GCJ-02 (`crs`) is stored as WGS-84."""

    masked_fields: dict[str, Any] = {}
    distance_m = serializers.SerializerMethodField()
    crs = crs_field(required=False, write_only=True)

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
    masked_fields = {"head_name": mask_name, "phone": mask_phone, "head_id_number": mask_id_number}
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
            "head_id_number",
            "members",
            "lat",
            "lng",
            "crs",
            "tags",
            "confirmed",
            "distance_m",
        ]
        read_only_fields = ["confirmed"]
        extra_kwargs = {"unit": {"required": False}, **COORDINATE_KWARGS}

    def validate_tags(self, tags: Any) -> list[str]:
        if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 20 for t in tags):
            raise serializers.ValidationError("标签应为字符串列表（每个不超过20字）。")
        message = next((m for m in map(text_error, tags) if m), None)
        if message is not None or len(tags) > MAX_TAGS:
            raise serializers.ValidationError(message or _("标签最多%(n)d个。") % {"n": MAX_TAGS})
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
            "crs",
            "distance_m",
        ]
        extra_kwargs = {"unit": {"required": False}, **COORDINATE_KWARGS}


class RegistryListMixin:
    """The household and enterprise lists: scoped rows, the registry filters (campaign/filters.py), and the distance
    from `near` in each row. Within a bounded radius the set is small and ordered by distance: numbered pages;
    otherwise an id cursor."""

    request: Request
    filterset_class: type[RegistryFilter]
    near: tuple[float, float] | None = None

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The FilterSet is built here rather than by DjangoFilterBackend (still declared, for the schema) because
        # the serializer needs the validated `near` for each row's distance.
        filterset = self.filterset_class(self.request.query_params, queryset=queryset, request=self.request)
        rows = filterset.filtered()
        self.near = filterset.form.cleaned_data.get("near")
        return rows

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            self._paginator = NumberPage() if self.near else IdCursorPage()
        return self._paginator

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["near"] = self.near
        return context


class RevealMixin:
    """`?reveal=1&reason=核实` on a detail read returns full personal values to roles that need them, and logs the
    read with its reason (campaign/reveal.py)."""

    request: Request

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["reveal"] = False
        return context

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        serializer = self.get_serializer(instance)  # type: ignore[attr-defined]
        fields = list(serializer.masked_fields)
        if reveal.reveal(request, user_of(request), instance, fields, request.query_params):
            serializer.context["reveal"] = True
        return Response(serializer.data)


class HouseholdList(RegistryListMixin, generics.ListCreateAPIView):
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self) -> QuerySet[Household]:
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

    @extend_schema(parameters=REVEAL_PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.household_update(
            actor=user_of(self.request),
            household=serializer.instance,
            data=dict(serializer.validated_data),
        )


class EnterpriseList(RegistryListMixin, generics.ListCreateAPIView):
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter

    def get_queryset(self) -> QuerySet[Enterprise]:
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

    @extend_schema(parameters=REVEAL_PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.enterprise_update(
            actor=user_of(self.request),
            enterprise=serializer.instance,
            data=dict(serializer.validated_data),
        )
