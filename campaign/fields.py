"""Fields every writer uses: input fields (issue 12 item 1: clean text, finite numbers, plausible instants) and the
encrypted model field of sensitive personal data (item 4), at the end.

One definition, used by the serializers of visits, tickets and registries, by the page forms and by the registry
import, so a hostile value is refused the same way everywhere — with a 400 naming the field — before anything is
written. What they refuse:

- text: NUL, lone surrogates (they cannot be encoded, so they fail at the database or the JSON renderer), C0 control
  characters but tab, newline and carriage return, DEL, C1 controls and the non-characters U+FFFE/U+FFFF;
- numbers: NaN and ±Infinity (PostgreSQL stores 'NaN', which JSON cannot render, so one row broke every list),
  including the strings "NaN"/"Infinity" that Python's float() accepts and overflowing literals such as 1e999;
- instants: years outside EARLIEST_YEAR..LATEST_YEAR (year 1 or 9999 overflow when converted to UTC) and UTC offsets
  beyond ±MAX_OFFSET (none exists on Earth; +25:00 made Python raise).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaign import crypto

# Tab, newline and carriage return are the only control characters free text may hold.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
MAX_OFFSET = dt.timedelta(hours=14)  # UTC+14 (Kiribati) and UTC−12 are the extremes in use

TEXT_INVALID = _("含有不允许的字符（第 %(pos)d 个字符：控制字符、空字符或无效的 Unicode）。")
NOT_FINITE = _("请输入有限的数字。")
INSTANT_INVALID = _("时间无效，应为 %(earliest)d–%(latest)d 年之间、带有效时区偏移的 ISO 8601 时间。")


def validate_text(value: Any) -> None:
    """Refuse text holding NUL, lone surrogates or control characters other than tab and line breaks."""
    if not isinstance(value, str):
        return
    found = _FORBIDDEN.search(value)
    if found is not None:
        raise ValidationError(TEXT_INVALID, params={"pos": found.start() + 1}, code="control_character")


def text_error(value: Any) -> str | None:
    """The message validate_text would raise, or None: for readers that report errors rather than raise."""
    try:
        validate_text(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


def printable(value: str) -> str:
    """The text without the characters validate_text refuses: for writing a row stored before the checks where
    they break the writer (an Excel cell refuses control characters)."""
    return _FORBIDDEN.sub("", value)


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class CleanCharField(serializers.CharField):
    """DRF's CharField (which already refuses NUL and surrogates) that also refuses control characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_text)


class FiniteFloatField(serializers.FloatField):
    """A FloatField that refuses NaN and ±Infinity, which float() accepts as "NaN", "inf" or 1e999."""

    default_error_messages = {"not_finite": NOT_FINITE}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value

    def to_representation(self, value: Any) -> Any:  # float, or None for a non-finite value
        # A non-finite value stored before the checks renders as unknown: JSON has no NaN, a list must not fail.
        number = float(value)
        return number if math.isfinite(number) else None


def instant_in_range(value: dt.datetime) -> bool:
    """A year the application can convert and store, and an offset that exists."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return False
    offset = value.utcoffset()
    return offset is None or abs(offset) <= MAX_OFFSET


def moment_error(value: Any) -> str | None:
    """For a date or datetime text a reader parses later (the ticket actions' due_at): the message if parsing would
    raise (an offset of +25:00, 30 February) or give an instant out of range; None if it is fine or merely not a
    date (the reader's own message says so)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    message = str(INSTANT_INVALID % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    if len(text) > 64:
        return message
    try:
        moment = parse_datetime(text)
        day = parse_date(text) if moment is None else None
    except (ValueError, OverflowError):
        return message
    if moment is not None and not instant_in_range(moment):
        return message
    if day is not None and not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        return message
    return None


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant in EARLIEST_YEAR..LATEST_YEAR with a real UTC offset; `require_offset` refuses a bare
    local time (a phone's clock time is ambiguous without its offset)."""

    default_error_messages = {
        "out_of_range": INSTANT_INVALID,
        "offset_required": _("须包含时区偏移，例如 2026-05-12T10:30:00+08:00。"),
    }

    def __init__(self, *, require_offset: bool = False, **kwargs: Any) -> None:
        self.require_offset = require_offset
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str) and len(value) <= 64:
            try:
                parsed = parse_datetime(value)
            except (ValueError, OverflowError):  # e.g. an offset of +25:00
                parsed = None
            if parsed is not None and not instant_in_range(parsed):
                self.fail("out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
            if parsed is not None and self.require_offset and parsed.tzinfo is None:
                self.fail("offset_required")
            if parsed is not None:
                return super().to_internal_value(parsed)
        if isinstance(value, dt.datetime) and instant_in_range(value):
            return super().to_internal_value(value)
        self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+08:00")


class CleanModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated text and float fields are CleanCharField and FiniteFloatField."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CleanCharField,
        models.TextField: CleanCharField,
        models.FloatField: FiniteFloatField,
    }


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token (campaign/crypto.py), plain text in Python: encrypted at rest, decrypted
    on load. Only exact-value lookups through a separate keyed-hash column make sense (tokens are randomised):
    filtering on this column itself matches nothing."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
