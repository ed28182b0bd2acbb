"""Serializers shared by several apps' APIs (the caller, a unit in brief); app-specific ones live in each api."""

from __future__ import annotations

from rest_framework import serializers

from campaign.models import OrgUnit, User


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind"]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "unit"]
