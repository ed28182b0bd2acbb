"""Serializers other apps reuse: the caller as GET /api/v1/me/ shows them, which the phone page's bootstrap
(visits.page_api) embeds. A module of its own because no app may import another app's `api`."""

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
