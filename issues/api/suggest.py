"""POST /api/v1/tickets/suggest/ (issue 15 item 2, SPEC §7): the intake's suggestion — categories, lead units and
likely duplicates — from a resident's words and the matter's point. Reads only; issues.intake does the work."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.models import User
from issues.inputs import SuggestInput
from issues.intake import suggestion

SuggestionSerializer = inline_serializer(
    "TicketSuggestion",
    {
        "categories": inline_serializer(
            "SuggestedCategory",
            {"category": serializers.CharField(), "code": serializers.CharField(), "score": serializers.FloatField()},
            many=True,
        ),
        "lead_units": inline_serializer(
            "SuggestedUnit",
            {
                "unit": serializers.IntegerField(),
                "name": serializers.CharField(),
                "score": serializers.FloatField(),
                "source": serializers.ChoiceField(choices=["directory", "model"]),
                "category": serializers.CharField(help_text="the category whose directory row named it; '' for model"),
            },
            many=True,
        ),
        "duplicates": inline_serializer(
            "LikelyDuplicate",
            {
                "id": serializers.IntegerField(),
                "code": serializers.CharField(),
                "status": serializers.CharField(),
                "category": serializers.CharField(),
                "distance_m": serializers.FloatField(),
                "days": serializers.FloatField(),
                "similarity": serializers.FloatField(),
                "score": serializers.FloatField(),
            },
            many=True,
        ),
    },
)


class TicketSuggest(APIView):
    """The likely categories (of the matter's campaign, best first, at least three, scores 0..1), lead units (from
    the dispatch directory and the trained model) and duplicates (open or recently resolved tickets nearby that the
    caller may see). A point outside the caller's area is refused as on a ticket's create."""

    @extend_schema(request=SuggestInput, responses=SuggestionSerializer)
    def post(self, request: Request) -> Response:
        body = SuggestInput(data=request.data)
        body.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        data = body.validated_data
        return Response(suggestion(user, description=data["description"], lat=data.get("lat"), lng=data.get("lng")))
