"""A visit's questionnaire answers (Visit.checklist) checked against its campaign's questions (issue 16 item 6;
campaign.models.questions). Used by visits.services for every visit, meetings included.

The serializer has already refused what is hostile whatever the questions: a value that is neither text nor a finite
number, control characters, text over CHECKLIST_VALUE_MAX, too many or over-long keys. Here, against the questions:
a text question takes text, a choice question one of its choices, a number question a number (never a string) within
its bounds; required questions must be answered on a visit of a household or an enterprise (the door-step
questionnaire; a meeting, a key project's visit and a ticket's door-to-door proof answer what applies to them).
A blank text is no answer and is not stored.

Offline phones (docs/decisions.md, "Questionnaires and offline phones"): the phone keeps the questions it downloaded
and sends their fingerprint (`checklist_version`, campaign.models.questions.questions_version) with the answers.
When it differs from the campaign's questions now, the campaign changed them while the phone was out of reach: the
visit is accepted (it proves a door was knocked on), answers that still fit today's questions are kept, those that
no longer do (a removed question, a choice no longer offered, a number outside new bounds) are dropped, required
questions added since are not asked for, and the visit carries the flag `checklist_changed`. Without a version, or
with today's, every rule applies and a wrong answer is a 400 naming the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from campaign.errors import Invalid
from campaign.models import Campaign
from campaign.models.questions import CHOICE, NUMBER, Question, number_fits, questions_version

STALE_FLAG = "checklist_changed"


@dataclass(frozen=True)
class Answers:
    values: dict[str, Any]  # what is stored on the visit
    dropped: bool  # answered against older questions, and something that no longer fits was left out


def _problem(question: Question, value: Any) -> str | None:
    """Why this answer does not fit its question (None: it fits)."""
    if question.type == CHOICE:
        if not isinstance(value, str) or value.strip() not in question.choices:
            return _("“%(label)s”应为以下选项之一：%(choices)s。") % {
                "label": question.label,
                "choices": "、".join(question.choices),
            }
        return None
    if question.type == NUMBER:
        if not number_fits(question, value):
            low = "" if question.min is None else f"{question.min:g}"
            high = "" if question.max is None else f"{question.max:g}"
            kind = _("整数") if question.integer else _("数")
            return _("“%(label)s”应为 %(low)s~%(high)s 之间的%(kind)s。") % {
                "label": question.label, "low": low, "high": high, "kind": kind,
            }  # fmt: skip
        return None
    if not isinstance(value, str):
        return _("“%(label)s”应为文字。") % {"label": question.label}
    return None


def _normal(question: Question, value: Any) -> Any:
    if question.type == CHOICE:
        return value.strip()
    if question.type == NUMBER and question.integer:
        return int(value)
    return value


def answers_check(
    checklist: dict[str, Any], campaign: Campaign | None, *, version: str | None, door_step: bool
) -> Answers:
    """The answers to store, or Invalid (400, field `checklist`) naming the first answer that does not fit.
    `door_step`: a visit of a household or an enterprise, on which required questions must be answered."""
    questions = {q.key: q for q in campaign.questions()} if campaign is not None else {}
    stale = campaign is not None and version is not None and version != questions_version(campaign.checklist)
    kept: dict[str, Any] = {}
    dropped = False
    unknown = sorted(key for key in checklist if key not in questions)
    if unknown and not stale:
        raise Invalid.field("checklist", _("未知的清单项：%(keys)s") % {"keys": ", ".join(unknown)})
    for key, value in checklist.items():
        question = questions.get(key)
        if question is None or (isinstance(value, str) and not value.strip()):
            dropped = dropped or question is None
            continue
        problem = _problem(question, value)
        if problem is not None and not stale:
            raise Invalid.field("checklist", problem)
        if problem is not None:
            dropped = True
            continue
        kept[key] = _normal(question, value)
    if door_step and not stale:
        missing = [q.label for q in questions.values() if q.required and q.key not in kept]
        if missing:
            raise Invalid.field("checklist", _("请回答必答题：%(labels)s") % {"labels": "、".join(missing)})
    return Answers(values=kept, dropped=dropped)
