"""Validators of Chinese identifiers and the masking of personal data (SPEC §2)."""

from __future__ import annotations

import re
from datetime import date

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


def _mask(value: str, head: int, tail: int) -> str:
    """Keep at most `head` leading and `tail` trailing significant characters (letters, digits, CJK), hide the rest
    behind `*`, and always hide at least half of them; separators (`-`, spaces) stay where they are."""
    if not value:
        return value
    significant = [i for i, ch in enumerate(value) if ch.isalnum()]
    n = len(significant)
    keep_total = n // 2  # shown characters never exceed half (rounded down): at least half hidden
    tail = min(tail, keep_total)
    head = min(head, keep_total - tail)
    hidden = set(significant[head : n - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_phone(value: str) -> str:
    """138******78 (SPEC §2): the first three and the last two digits stay. The last four digits are the public
    lookup's secret, so they are never all shown; landlines the same way (029-******66). Short numbers (< 10 digits)
    keep fewer, so that at least half is always hidden."""
    if not value:
        return value
    digits = sum(ch.isalnum() for ch in value)
    return _mask(value, head=3 if digits >= 10 else max(0, digits // 2 - 2), tail=2 if digits >= 4 else 0)


def mask_name(value: str) -> str:
    """张* for two characters, 王** for three, 欧**娜 for four and more: at least half is always hidden."""
    if not value:
        return value
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1) if len(value) > 1 else "*"
    return _mask(value, head=1, tail=1)


def mask_id_number(value: str) -> str:
    """610113**********2X: the region code and the last two stay (birth date and sequence hidden, over half)."""
    if not value:
        return value
    return _mask(value, head=6, tail=2)


# GB 11643-1999: 17 digits (6 region, 8 birth date, 3 sequence) and an ISO 7064 MOD 11-2 check character.
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def id_number_check_char(first17: str) -> str:
    return ID_NUMBER_CHECK[sum(int(c) * w for c, w in zip(first17, ID_NUMBER_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """身份证号 (GB 11643): 18 characters, a real birth date, the right check character. Messages never echo it."""
    code = normalize_id_number(value)
    if not code:
        return
    if not _ID_NUMBER.match(code):
        raise ValidationError(_("身份证号应为18位：17位数字和1位校验码（数字或X）"), code="id_format")
    try:
        date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期不存在"), code="id_birth_date") from None
    if int(code[6:10]) < 1900 or code[17] != id_number_check_char(code[:17]):
        raise ValidationError(_("身份证号校验码错误"), code="id_check")
