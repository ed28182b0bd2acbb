"""Serializers of the tickets API: list and detail rows, events, the body of the action endpoints."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaign.fields import CleanCharField
from campaign.validators import mask_name, mask_phone
from issues.help import help_figures
from issues.machine import allowed_actions
from issues.models import OPEN_STATUSES, Mode, ReturnReason, Status, Ticket, TicketCoUnit, TicketEvent


class CoUnitSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="unit_id", read_only=True)
    name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = TicketCoUnit
        fields = ["id", "name", "part", "submitted_at"]


class TicketListSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default=None, allow_null=True)
    co_units = CoUnitSerializer(source="co_unit_links", many=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "source",
            "kind",
            "category",
            "status",
            "status_label",
            "mode",
            "mode_label",
            "unit",
            "unit_name",
            "lead_unit",
            "lead_unit_name",
            "co_units",
            "description",
            "requester_name",
            "requester_phone",
            "lat",
            "lng",
            "due_at",
            "requested_due_at",
            "overdue",
            "supervision",
            "version",
            "reopen_count",
            "satisfaction",
            "resolved_on_site",
            "answered_directly",
            "created_at",
            "dispatched_at",
            "accepted_at",
            "resolved_at",
        ]

    def get_overdue(self, obj: Ticket) -> bool:
        return bool(obj.status in OPEN_STATUSES and obj.due_at and obj.due_at < timezone.now())

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        data = super().to_representation(instance) if self._declared_path() else _list_row(instance, _moment)
        if not self.context.get("reveal"):
            data["requester_name"] = mask_name(data["requester_name"])
            data["requester_phone"] = mask_phone(data["requester_phone"])
        return data

    def _declared_path(self) -> bool:
        """DRF's field-by-field path: for the detail (more fields), and when the test of _list_row asks for it."""
        return type(self) is not TicketListSerializer or bool(self.context.get("declared"))


_moment = serializers.DateTimeField().to_representation
# get_FOO_display hashes every lazy label of the choices on each call (a translation each): 0.1 ms a call.
_STATUS_LABELS = dict(Status.choices)
_MODE_LABELS = dict(Mode.choices)


def _list_row(t: Ticket, moment: Any) -> dict[str, Any]:
    """A list row as DRF's declared fields give it (the test compares the two on tickets in every state), built
    directly: DRF's field-by-field path cost ~0.7 ms a row, most of a 50-row page's time (bench/README.md)."""

    def when(value: Any) -> Any:
        return moment(value) if value is not None else None

    return {
        "id": t.pk,
        "code": t.code,
        "source": t.source,
        "kind": t.kind,
        "category": t.category,
        "status": t.status,
        "status_label": str(_STATUS_LABELS.get(t.status, t.status)),
        "mode": t.mode,
        "mode_label": str(_MODE_LABELS.get(t.mode, t.mode)),
        "unit": t.unit_id,
        "unit_name": t.unit.name,
        "lead_unit": t.lead_unit_id,
        "lead_unit_name": t.lead_unit.name if t.lead_unit is not None else None,
        "co_units": [
            {"id": link.unit_id, "name": link.unit.name, "part": link.part, "submitted_at": when(link.submitted_at)}
            for link in t.co_unit_links.all()
        ],
        "description": t.description,
        "requester_name": t.requester_name,
        "requester_phone": t.requester_phone,
        "lat": t.lat,
        "lng": t.lng,
        "due_at": when(t.due_at),
        "requested_due_at": when(t.requested_due_at),
        "overdue": bool(t.status in OPEN_STATUSES and t.due_at and t.due_at < timezone.now()),
        "supervision": t.supervision,
        "version": t.version,
        "reopen_count": t.reopen_count,
        "satisfaction": t.satisfaction,
        "resolved_on_site": t.resolved_on_site,
        "answered_directly": t.answered_directly,
        "created_at": when(t.created_at),
        "dispatched_at": when(t.dispatched_at),
        "accepted_at": when(t.accepted_at),
        "resolved_at": when(t.resolved_at),
    }


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "action", "actor", "actor_name", "from_status", "to_status", "note", "payload", "at"]

    def get_actor_name(self, obj: TicketEvent) -> str:
        return str(obj.actor) if obj.actor else "系统"


class HelpFigureSerializer(serializers.Serializer):
    """One amount a resolution recorded (帮扶成效, issues.help): the count's key, label and unit, and the amount."""

    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the count's label, not DRF's Field.label
    unit = serializers.CharField()
    amount = serializers.FloatField()


class TicketDetailSerializer(TicketListSerializer):
    events = EventSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    lead_official_name = serializers.CharField(
        source="lead_official.__str__", read_only=True, default=None, allow_null=True
    )
    merge_into_code = serializers.CharField(source="merge_into.code", read_only=True, default=None, allow_null=True)
    recurs_code = serializers.CharField(
        source="recurs.code", read_only=True, default=None, allow_null=True, help_text="重复诉求: the resolved ticket"
    )
    created_by_name = serializers.CharField(source="created_by.__str__", read_only=True, default=None, allow_null=True)
    help = serializers.SerializerMethodField(help_text="帮扶成效: the amounts the latest resolution recorded")

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "campaign",
            "requester_household",
            "requester_enterprise",
            "attachments",
            "problem",
            "responsible_person",
            "measures",
            "expected_effect",
            "lead_official",
            "lead_official_name",
            "extension_reason",
            "public_notice",
            "public_reply",
            "result",
            "merge_into",
            "merge_into_code",
            "recurs",
            "recurs_code",
            "visit_id",
            "unreachable_count",
            "created_by",
            "created_by_name",
            "last_progress_at",
            "closed_at",
            "events",
            "allowed_actions",
            "help",
        ]

    @extend_schema_field(HelpFigureSerializer(many=True))
    def get_help(self, obj: Ticket) -> list[dict[str, Any]]:
        return help_figures(obj)

    def get_allowed_actions(self, obj: Ticket) -> list[str]:
        return allowed_actions(obj, self.context["request"].user)


class ActionRequestSerializer(serializers.Serializer):
    """The body of POST /tickets/{id}/{action}/: `version` (all but supervise) and the action's fields. The schema;
    the view checks texts and `due_at` with issues.inputs.check_action_body, the machine the rest."""

    version = serializers.IntegerField(required=False)
    note = CleanCharField(required=False)
    reason = CleanCharField(required=False)
    result = CleanCharField(required=False)
    mode = CleanCharField(required=False)
    problem = CleanCharField(required=False)
    lead_unit = serializers.IntegerField(required=False)
    responsible_person = CleanCharField(required=False)
    due_at = serializers.DateTimeField(
        required=False, help_text="extend: defaults to the pending request's requested_due_at"
    )
    measures = CleanCharField(required=False)
    expected_effect = CleanCharField(required=False)
    co_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    lead_official = serializers.IntegerField(required=False)
    part = CleanCharField(required=False)
    public_notice = CleanCharField(required=False)
    public_reply = CleanCharField(
        required=False, help_text="resolve, answer_directly: the answer /lookup/ shows the requester"
    )
    rating = serializers.ChoiceField(
        choices=["satisfied", "basically_satisfied", "unsatisfied", "unreachable"], required=False
    )
    ratings = serializers.DictField(
        child=serializers.ChoiceField(choices=["satisfied", "basically_satisfied", "unsatisfied", "unreachable"]),
        required=False,
        help_text="callback: {ticket id or code: rating} of the requesters of tickets merged into this one",
    )
    level = serializers.IntegerField(required=False, min_value=1, max_value=2)
    merge_into = CleanCharField(required=False, help_text="ticket id or code")
    help = serializers.DictField(
        child=serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0, max_value=1_000_000),
        required=False,
        help_text="resolve, resolve_on_site, answer_directly: 帮扶成效, {count key: amount} for the counts of the ticket's campaign (Campaign.help_counts, "
        'e.g. {"employed": 3, "projects": 1, "money": 12.5}): JSON numbers 0..1,000,000 with at most the count\'s '
        "decimals; replaces the previous resolution's amounts (none given: none recorded)",
    )
    category = CleanCharField(required=False, help_text="dispatch: confirm or change the ticket's category")
    reason_code = serializers.ChoiceField(
        choices=ReturnReason.choices,
        required=False,
        help_text="return: why (default other); not_our_duty counts "
        "against the dispatch directory's row that chose the unit",
    )
