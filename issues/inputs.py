"""The input of a new ticket: ONE serializer for its shapes (types, lengths, choices, pairs), read by the tickets API
(POST /api/v1/tickets/) and, through a subclass, by a visit's inline issues (visits/api.py). A plain module, not
`api`, so the visits app may import it (layers: visits > issues).

Shapes only: the rules — who may raise from which source, the requester and the unit in the actor's scope, the
campaign's categories, where the matter is — are issues.services.ticket_create's, which takes the validated data
as keyword arguments: `ticket_create(actor=user, **TicketInput(data=body).validated_data)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaign.errors import Invalid
from campaign.fields import CleanCharField, FiniteFloatField, moment_error, text_error
from campaign.models import OrgUnit
from campaign.serializers import crs_field, point_as_wgs84
from issues.models import Kind, Source

DESCRIPTION_MAX, NAME_MAX, CATEGORY_MAX = 4000, 50, 50
ATTACHMENTS_MAX = 20
PHONE_DIGITS = (7, 20)
PAIR = _("经纬度应成对提供且为数字。")
OUT_OF_RANGE = _("坐标超出范围。")
UNIT_UNKNOWN = _("单位不存在或不在您的管辖范围内。")


def _limit(n: int) -> dict[str, Any]:
    return {"max_length": _("不能超过%(n)d字。") % {"n": n}}


def _phone(value: str) -> None:
    digits = value.replace("-", "")
    if value and not (digits.isdigit() and PHONE_DIGITS[0] <= len(value) <= PHONE_DIGITS[1]):
        raise serializers.ValidationError(_("电话号码格式不正确。"))


def _coordinate(bound: float) -> FiniteFloatField:
    return FiniteFloatField(
        required=False,
        allow_null=True,
        min_value=-bound,
        max_value=bound,
        error_messages={"invalid": PAIR, "min_value": OUT_OF_RANGE, "max_value": OUT_OF_RANGE, "not_finite": PAIR},
    )


class TicketInput(serializers.Serializer):
    """Hotline / walk-in / online tickets by dispatchers, self-found ones by cadres. Every bad field is named at
    once ({"kind": [...], "unit": [...]}), the pairs included (lat with lng; a place for the matter)."""

    # Where the matter is must be said (unit, a point, or a requester's home) unless the caller supplies it.
    place_required = True
    # The point is stored as WGS-84: converted here from `crs`, unless the caller converts it (a visit's issue
    # without a `crs` of its own is in the visit's, which only visits.services knows).
    converts_point = True

    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like DRF's Field.source
        # `partner` tickets come only through Open311 (interop.open311), filed by the partner's own account
        choices=[(value, label) for value, label in Source.choices if value != Source.PARTNER],
        help_text="hotline, walk_in, online or self_found",
        error_messages={"invalid_choice": _("来源无效。"), "required": _("来源无效。")},
    )
    kind = serializers.ChoiceField(
        choices=Kind.choices,
        error_messages=dict.fromkeys(
            ("invalid_choice", "required", "null"), _("必填，取值之一：%(c)s") % {"c": ", ".join(Kind.values)}
        ),
    )
    category = CleanCharField(
        required=False, allow_blank=True, default="", max_length=CATEGORY_MAX, error_messages=_limit(CATEGORY_MAX)
    )
    description = CleanCharField(
        max_length=DESCRIPTION_MAX,
        error_messages={**_limit(DESCRIPTION_MAX), **dict.fromkeys(("required", "blank", "null"), _("此项必填。"))},
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="where the matter is; by default the grid of the point, else the requester's unit",
        error_messages={"does_not_exist": UNIT_UNKNOWN, "incorrect_type": UNIT_UNKNOWN},
    )
    lat = _coordinate(90)
    lng = _coordinate(180)
    crs = crs_field(required=False)
    requester_name = CleanCharField(
        required=False, allow_blank=True, default="", max_length=NAME_MAX, error_messages=_limit(NAME_MAX)
    )
    requester_phone = CleanCharField(required=False, allow_blank=True, default="", validators=[_phone])
    requester_household = serializers.IntegerField(required=False, help_text="a household in your scope")
    requester_enterprise = serializers.IntegerField(required=False, help_text="an enterprise in your scope")
    attachments = serializers.ListField(
        child=CleanCharField(max_length=300),
        required=False,
        default=list,
        max_length=ATTACHMENTS_MAX,
        error_messages=dict.fromkeys(("not_a_list", "max_length"), _("附件应为列表，最多20项。")),
    )

    def to_internal_value(self, data: Any) -> Any:
        """The fields' errors and the pairs' errors together, so one answer names every bad field."""
        errors: dict[str, Any] = {}
        value: Any = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = dict(exc.detail)
        if isinstance(data, Mapping):
            for name, message in self._pair_errors(data).items():
                errors.setdefault(name, [message])
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not self.converts_point:
            return attrs
        return point_as_wgs84(attrs, attrs.pop("crs", None))

    def _pair_errors(self, data: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        given = {
            name
            for name in ("unit", "lat", "lng", "requester_household", "requester_enterprise")
            if data.get(name) not in (None, "") and name in self.fields
        }
        if ("lat" in given) != ("lng" in given):
            errors["lat"] = PAIR
        if {"requester_household", "requester_enterprise"} <= given:
            errors["requester_enterprise"] = _("诉求人只能是一户住户或一家企业。")
        if self.place_required and not given - {"lng"}:
            errors["unit"] = _("请指定单位，或提供位于某个网格内的坐标。")
        return errors


def flat_list_errors(detail: Any, field: str) -> Any:
    """DRF nests a list's item errors ({"issues": {1: {"kind": [...]}}}); the API names them `issues[1].kind`."""
    if not isinstance(detail, dict) or not isinstance(detail.get(field), dict):
        return detail
    flat = {name: messages for name, messages in detail.items() if name != field}
    for index, item in detail[field].items():
        for name, messages in item.items() if isinstance(item, dict) else [("", item)]:
            flat[f"{field}[{index}].{name}" if name else f"{field}[{index}]"] = messages
    return flat


def check_action_body(data: Mapping[str, Any]) -> None:
    """The body of a ticket action (API or page), before the machine reads it: every text (lists' items and a map's
    keys and values too) free of NUL, surrogates and control characters, and `due_at` a date the machine can parse.
    Raises Invalid naming the fields; the machine's own rules (required, lengths, scope) come after."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        items = value if isinstance(value, list) else [*value, *value.values()] if isinstance(value, dict) else [value]
        message = next((m for m in map(text_error, items) if m), None)
        if message is None and name == "due_at":
            message = moment_error(value)
        if message is not None:
            errors[str(name)] = [message]
    if errors:
        raise Invalid(errors)


class SuggestInput(serializers.Serializer):
    """The body of POST /api/v1/tickets/suggest/: the resident's words and, optionally, where the matter is."""

    description = CleanCharField(
        max_length=DESCRIPTION_MAX,
        error_messages={**_limit(DESCRIPTION_MAX), **dict.fromkeys(("required", "blank", "null"), _("此项必填。"))},
    )
    lat = _coordinate(90)
    lng = _coordinate(180)
    crs = crs_field(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError({"lat": [PAIR]})
        return point_as_wgs84(attrs, attrs.pop("crs", None))
