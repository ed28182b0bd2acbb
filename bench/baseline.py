"""The baseline of bench/visits_upload.py, kept out of the product: a plain ModelSerializer create of the same visit
row with no rules. Served by gunicorn with DJANGO_SETTINGS_MODULE=bench.baseline_settings, which mounts it under
/api/v1/_bench/bare-visit/ beside the product's URLs; production never imports this module."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import include, path
from rest_framework import generics, serializers

from visits.models import Visit


class BareVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = [
            "id", "cadre", "target_type", "household", "unit", "visited_at", "lat", "lng", "accuracy_m",
            "geo_status", "body_hash",
        ]  # fmt: skip
        extra_kwargs = {"id": {"read_only": False}, "body_hash": {"required": False, "default": ""}}


class BareVisitCreate(generics.CreateAPIView):
    serializer_class = BareVisitSerializer

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.save()


urlpatterns = [
    path("api/v1/_bench/bare-visit/", BareVisitCreate.as_view(), name="api-bench-bare-visit"),
    path("", include("config.urls")),
]
