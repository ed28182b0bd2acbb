"""Serializers of the visits API: the input of POST /visits/ (SPEC §4) and the visit as lists and details show it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaign.fields import (
    NOT_FINITE,
    BoundedDateTimeField,
    CleanCharField,
    CleanModelSerializer,
    FiniteFloatField,
    is_finite_number,
    text_error,
)
from campaign.geo import Crs
from campaign.models.questions import NUMBER_LIMIT
from campaign.serializers import crs_field
from issues.inputs import DESCRIPTION_MAX, TicketInput, flat_list_errors
from visits import selectors, services
from visits.models import (
    ACCURACY_MAX,
    HEAD_COUNT_MAX,
    NOTES_MAX,
    PARTICIPANTS_MAX,
    PEOPLE_MET_MAX,
    TargetType,
    Visit,
    VisitPhoto,
)

CHECKLIST_KEY_MAX, CHECKLIST_KEYS_MAX = 50, 100


# --- input ------------------------------------------------------------------------------------------------------
def _checklist_keys(checklist: dict[str, Any]) -> None:
    """The answers' keys are text too (the values are CleanCharFields): bounded and free of control characters."""
    if len(checklist) > CHECKLIST_KEYS_MAX:
        raise serializers.ValidationError(_("清单项最多%(n)d项。") % {"n": CHECKLIST_KEYS_MAX})
    for key in checklist:
        message = text_error(key)
        if message is None and len(key) > CHECKLIST_KEY_MAX:
            message = _("清单项名称不能超过%(n)d字。") % {"n": CHECKLIST_KEY_MAX}
        if message is not None:
            raise serializers.ValidationError(message)


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": services.CHECKLIST_VALUE_MAX}, {"type": "number"}]})
class AnswerField(serializers.Field):
    """One questionnaire answer (campaign.models.questions): text (bounded, no control characters) for a text or a
    choice question, a finite JSON number for a number question. Anything else (a boolean, an object, a list, NaN or
    1e999) is refused here; whether it fits its question is visits.answers' business."""

    default_error_messages = {
        "invalid": _("清单答复应为文字或数字。"),
        "not_finite": NOT_FINITE,
        "too_large": _("数字的绝对值不能超过 10 亿。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = CleanCharField(max_length=services.CHECKLIST_VALUE_MAX, allow_blank=True)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.text.run_validation(data)
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if not is_finite_number(data):
            self.fail("not_finite")
        if abs(data) > NUMBER_LIMIT:
            self.fail("too_large")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class IssueInputSerializer(TicketInput):
    """An issue raised on the visit: a ticket's input (issues.inputs.TicketInput) whose source is the visit and
    whose requester is the visit's target (so none of the three is given), plus `resolved_on_site` and `result`.
    Errors come back as `issues[i].field`."""

    place_required = False  # by default the matter is where the visited target is (visits.services)
    source = None  # type: ignore[assignment]
    requester_household = None  # type: ignore[assignment]
    requester_enterprise = None  # type: ignore[assignment]
    resolved_on_site = serializers.BooleanField(required=False, default=False)
    result = CleanCharField(required=False, allow_blank=True, max_length=DESCRIPTION_MAX)
    # The issue's point in this system; by default the visit's `crs` (a phone reports every point in one system):
    # visits.services._issue_point_to_wgs84 converts it, knowing the visit's.
    converts_point = False
    crs = crs_field(required=False, help_text="the coordinate system of this issue's lat/lng; by default the visit's")


class ParticipantInputSerializer(serializers.Serializer):
    """A household or enterprise that took part in a meeting (target_type "meeting")."""

    target_type = serializers.ChoiceField(choices=[TargetType.HOUSEHOLD.value, TargetType.ENTERPRISE.value])
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class VisitInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="客户端生成的 UUID（幂等键）")
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False, allow_blank=True)
    target_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    ticket = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    campaign = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    visited_at = BoundedDateTimeField(require_offset=True)
    lat = FiniteFloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = FiniteFloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    accuracy_m = FiniteFloatField(required=False, allow_null=True, min_value=0, max_value=ACCURACY_MAX)
    crs = crs_field(required=False, default=Crs.WGS84)
    people_met = serializers.IntegerField(required=False, default=0, min_value=0, max_value=PEOPLE_MET_MAX)
    notes = CleanCharField(required=False, allow_blank=True, default="", max_length=NOTES_MAX, trim_whitespace=False)
    checklist = serializers.DictField(
        child=AnswerField(),
        required=False,
        default=dict,
        validators=[_checklist_keys],
        help_text="answers keyed by the campaign's questions: text, one of a choice's labels, or a number",
    )
    checklist_version = CleanCharField(
        required=False, allow_null=True, max_length=64,
        help_text="the fingerprint of the questions the phone answered (bootstrap's campaign.checklist_version)",
    )  # fmt: skip
    issues = serializers.ListField(
        child=IssueInputSerializer(), required=False, default=list, max_length=services.MAX_ISSUES_PER_VISIT
    )
    # a meeting (座谈会/问卷, target_type "meeting"): its unit, head count and participants
    unit = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="meeting: its unit")
    head_count = serializers.IntegerField(required=False, min_value=1, max_value=HEAD_COUNT_MAX)
    participants = serializers.ListField(
        child=ParticipantInputSerializer(), required=False, default=list, max_length=PARTICIPANTS_MAX,
        help_text="meeting: the households and enterprises that took part; each counts as visited",
    )  # fmt: skip

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(flat_list_errors(exc.detail, "issues")) from None


# --- output -----------------------------------------------------------------------------------------------------
class PhotoSerializer(CleanModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = VisitPhoto
        fields = [
            "id",
            "url",
            "thumbnail_url",
            "width",
            "height",
            "original_format",
            "lat",
            "lng",
            "taken_at",
            "created_at",
        ]

    def get_url(self, photo: VisitPhoto) -> str:
        return reverse("api-visit-photo-file", args=[photo.visit_id, photo.pk])

    def get_thumbnail_url(self, photo: VisitPhoto) -> str:
        return self.get_url(photo) + "?size=thumb"


class BriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


class VisitSerializer(CleanModelSerializer):
    cadre = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    point_unit = serializers.SerializerMethodField()
    target_id = serializers.IntegerField(read_only=True, allow_null=True)
    target_name = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    tickets = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "cadre",
            "target_type",
            "target_id",
            "target_name",
            "ticket",
            "campaign",
            "unit",
            "point_unit",
            "visited_at",
            "lat",
            "lng",
            "accuracy_m",
            "crs",
            "distance_m",
            "geo_status",
            "flags",
            "people_met",
            "head_count",
            "notes",
            "checklist",
            "photos",
            "tickets",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BriefSerializer)
    def get_cadre(self, visit: Visit) -> dict[str, Any]:
        return {"id": visit.cadre_id, "name": str(visit.cadre)}

    @extend_schema_field(BriefSerializer)
    def get_unit(self, visit: Visit) -> dict[str, Any]:
        return {"id": visit.unit_id, "name": visit.unit.name}

    @extend_schema_field(BriefSerializer(allow_null=True))
    def get_point_unit(self, visit: Visit) -> dict[str, Any] | None:
        return {"id": visit.point_unit_id, "name": visit.point_unit.name} if visit.point_unit else None

    def get_target_name(self, visit: Visit) -> str:
        return visit.target_label()

    @extend_schema_field(TicketRefSerializer(many=True))
    def get_tickets(self, visit: Visit) -> list[dict[str, Any]]:
        if hasattr(visit, "raised_tickets"):  # a visit just recorded carries the tickets it raised
            return visit.raised_tickets
        raised = self.context.get("tickets")
        if raised is None:
            raised = selectors.tickets_raised_on([visit.pk])
        return raised.get(visit.pk, [])
