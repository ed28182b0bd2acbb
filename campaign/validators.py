"""Validators of Chinese identifiers and the masking of personal data (SPEC §2)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, S, V, Z); the last is a check character.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位，当前为%(n)d位"), params={"n": len(code)}, code="length")
    bad = [c for c in code if c not in CREDIT_CODE_ALPHABET]
    if bad:
        raise ValidationError(_("统一社会信用代码含非法字符：%(c)s"), params={"c": "".join(bad)}, code="charset")
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3-8位应为行政区划码（数字）"), code="division")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：应为 %(e)s，实际为 %(a)s"),
            params={"e": expected, "a": code[17]},
            code="check",
        )


def validate_mobile(value: str) -> None:
    if value and not _MOBILE.match(value):
        raise ValidationError(_("手机号码格式不正确（应为11位、以1开头的大陆手机号）"), code="mobile")


def mask_phone(value: str) -> str:
    """138****5678: the first three and the last four digits stay."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张* for two characters, 欧阳*明 style for longer: the first and last characters stay."""
    if not value:
        return value
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_id_number(value: str) -> str:
    """610113********1234: the region code and the last four stay."""
    if not value or len(value) < 10:
        return "*" * len(value or "")
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
