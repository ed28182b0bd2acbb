"""A campaign's questionnaire (问卷, issue 16 item 6): the visit checklist (Campaign.checklist) grown into typed
questions, answered on the phone page and exported per visit.

An item is {"key", "label"} (a text question: 四情必问 as it always was, so old campaigns need no migration) plus
optionally `type` ("text", the default; "choice"; "number"), `choices` (a choice's labels), `min` / `max` and
`integer` (a number's bounds), and `required`. One rule for the shape (questions_errors), used by Campaign.clean()
(the admin); the readers (the phone page's bootstrap, visits.services, visits.ledgers) read a stored value through
questions_of, which reads a value of another shape item by item as text (never guessing a type it does not hold).

The answers (Visit.checklist: {key: text | number}) are checked against these questions by visits.answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from campaign.fields import is_finite_number, text_error

TEXT, CHOICE, NUMBER = "text", "choice", "number"
QUESTION_TYPES = (TEXT, CHOICE, NUMBER)
QUESTIONS_MAX = 30  # a door-step questionnaire; a longer one is a survey of its own
KEY_MAX = 50  # visits.api.serializers.CHECKLIST_KEY_MAX: the answers' keys
LABEL_MAX = 50
CHOICES_MAX = 20  # a select on a phone; more is a text question
CHOICE_MAX = 50  # one choice's label
NUMBER_LIMIT = 1e9  # |min|, |max| and any answer: counts and amounts, never more
_FIELDS = frozenset({"key", "label", "type", "choices", "min", "max", "integer", "required"})
_ONLY_FOR = {"choices": CHOICE, "min": NUMBER, "max": NUMBER, "integer": NUMBER}


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    type: str = TEXT
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    required: bool = False

    def brief(self) -> dict[str, Any]:
        """The question as the phone page keeps it (visits.page_api): only what it needs to render and check."""
        out: dict[str, Any] = {"key": self.key, "label": self.label, "type": self.type, "required": self.required}
        if self.type == CHOICE:
            out["choices"] = list(self.choices)
        if self.type == NUMBER:
            out |= {"min": self.min, "max": self.max, "integer": self.integer}
        return out


def _text_ok(value: Any, limit: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit and text_error(value) is None


def _choices_errors(name: str, choices: Any) -> list[str]:
    if not isinstance(choices, list) or not choices:
        return [_("%(key)s：单选题须列出选项 choices（1 到 %(n)d 项）。") % {"key": name, "n": CHOICES_MAX}]
    if len(choices) > CHOICES_MAX:
        return [_("%(key)s：选项最多 %(n)d 项。") % {"key": name, "n": CHOICES_MAX}]
    if not all(_text_ok(c, CHOICE_MAX) for c in choices):
        return [_("%(key)s：每个选项应为 1 到 %(n)d 个字的文字。") % {"key": name, "n": CHOICE_MAX}]
    if len({c.strip() for c in choices}) != len(choices):
        return [_("%(key)s：选项重复。") % {"key": name}]
    return []


def _number_errors(name: str, item: dict[str, Any]) -> list[str]:
    errors = []
    for bound in ("min", "max"):
        value = item.get(bound)
        if value is not None and not (is_finite_number(value) and abs(value) <= NUMBER_LIMIT):
            errors.append(_("%(key)s：%(b)s 应为有限的数（绝对值不超过 10 亿）。") % {"key": name, "b": bound})
    low, high = item.get("min"), item.get("max")
    if not errors and low is not None and high is not None and low > high:
        errors.append(_("%(key)s：min 不能大于 max。") % {"key": name})
    if not isinstance(item.get("integer", False), bool):
        errors.append(_("%(key)s：integer 应为 true 或 false。") % {"key": name})
    return errors


def _item_errors(item: Any, seen: set[str]) -> list[str]:
    if not isinstance(item, dict) or not isinstance(item.get("key"), str):
        return [_('每项应为对象，例如 {"key": "family", "label": "家庭情况"}。')]
    key = item["key"]
    name = key[:KEY_MAX]
    errors = []
    if unknown := sorted(str(n) for n in item if n not in _FIELDS):
        errors.append(_("%(key)s：未知的设置 %(names)s。") % {"key": name, "names": ", ".join(unknown)})
    if not _text_ok(key, KEY_MAX) or key != key.strip():
        errors.append(_("%(key)s：key 应为 1 到 %(n)d 个字符、首尾无空格。") % {"key": name, "n": KEY_MAX})
    elif key in seen:
        errors.append(_("%(key)s：key 重复。") % {"key": name})
    seen.add(key)
    if not _text_ok(item.get("label"), LABEL_MAX):
        errors.append(_("%(key)s：label 应为 1 到 %(n)d 个字的文字。") % {"key": name, "n": LABEL_MAX})
    kind = item.get("type", TEXT)
    if kind not in QUESTION_TYPES:
        return [*errors, _("%(key)s：type 应为 text、choice 或 number。") % {"key": name}]
    if misplaced := sorted(n for n, only in _ONLY_FOR.items() if n in item and only != kind):
        errors.append(
            _("%(key)s：%(type)s 题不能设置 %(names)s。") % {"key": name, "type": kind, "names": ", ".join(misplaced)}
        )
    if kind == CHOICE:
        errors += _choices_errors(name, item.get("choices"))
    if kind == NUMBER:
        errors += _number_errors(name, item)
    if not isinstance(item.get("required", False), bool):
        errors.append(_("%(key)s：required 应为 true 或 false。") % {"key": name})
    return errors


def questions_errors(value: Any) -> list[str]:
    """What is wrong with a campaign's `checklist` (empty: nothing): a list of at most QUESTIONS_MAX questions with
    a unique key, a label, a known type and that type's settings (choices: distinct and bounded; min ≤ max)."""
    if not isinstance(value, list):
        return [_('走访清单应为列表，例如 [{"key": "family", "label": "家庭情况"}]。')]
    if len(value) > QUESTIONS_MAX:
        return [_("走访清单最多 %(n)d 项。") % {"n": QUESTIONS_MAX}]
    seen: set[str] = set()
    return [message for item in value for message in _item_errors(item, seen)]


def _question(item: dict[str, Any]) -> Question:
    kind = item.get("type", TEXT)
    return Question(
        key=item["key"],
        label=item["label"].strip(),
        type=kind,
        choices=tuple(c.strip() for c in item.get("choices", ())) if kind == CHOICE else (),
        min=item.get("min") if kind == NUMBER else None,
        max=item.get("max") if kind == NUMBER else None,
        integer=bool(item.get("integer")) if kind == NUMBER else False,
        required=bool(item.get("required")),
    )


def questions_of(value: Any) -> list[Question]:
    """The questions of a stored `checklist`. A value the admin would refuse (written before these rules, or by SQL)
    is read item by item: a well-formed item as it is, any other item with a key as an optional text question."""
    if not isinstance(value, list):
        return []
    if not questions_errors(value):
        return [_question(item) for item in value]
    out: list[Question] = []
    for item in value[:QUESTIONS_MAX]:
        if isinstance(item, dict) and item.get("key") and not any(q.key == str(item["key"]) for q in out):
            label = str(item.get("label") or item["key"])
            out.append(
                _question(item) if not _item_errors(item, set()) else Question(key=str(item["key"]), label=label)
            )
    return out


def questions_version(value: Any) -> str:
    """A short fingerprint of the questions as stored: the phone page sends the one it answered (checklist_version),
    so the server can tell an answer to today's questions from one recorded offline against older ones."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def number_fits(question: Question, value: Any) -> bool:
    """A number answer within the question's bounds (finite, not a boolean, integral when asked)."""
    if not is_finite_number(value) or abs(value) > NUMBER_LIMIT:
        return False
    if question.integer and not float(value).is_integer():
        return False
    if question.min is not None and value < question.min:
        return False
    return question.max is None or value <= question.max
