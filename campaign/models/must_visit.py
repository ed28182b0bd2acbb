"""Must-visit lists (四门必敲, issue 16 item 2): the rule that holds a campaign's must-visit settings, and the key of
the daily reminders.

A campaign names household tags (Campaign.must_visit_tags, out of HOUSEHOLD_TAGS) and an interval of N days
(Campaign.must_visit_days): every household of its units carrying one of the tags is to be visited at least every N
days. The lists are read by visits.must_visit; the reminders are written by visits.must_visit_reminders.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models.registries import HOUSEHOLD_TAGS

MUST_VISIT_DAYS_MAX = 366  # a year: a longer interval is a typing error, not a must-visit list


def must_visit_errors(tags: Any, days: Any) -> dict[str, list[str]]:
    """What is wrong with a campaign's must-visit settings, by field (empty: nothing). Both empty is no list; tags
    must be known household tags (HOUSEHOLD_TAGS) and come with N in 1..MUST_VISIT_DAYS_MAX. Used by Campaign.clean()
    (the admin) and by the readers, which skip a stored value this refuses."""
    errors: dict[str, list[str]] = {}
    tags = [] if tags is None else tags
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        errors["must_visit_tags"] = [_('必访对象标签应为标签列表，例如 ["独居老人", "低保"]。')]
    elif unknown := [tag for tag in tags if tag not in HOUSEHOLD_TAGS]:
        errors["must_visit_tags"] = [
            _("未知的住户标签：%(tags)s（可用：%(known)s）。")
            % {"tags": "、".join(unknown), "known": "、".join(HOUSEHOLD_TAGS)}
        ]
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MUST_VISIT_DAYS_MAX
    ):
        errors["must_visit_days"] = [_("必访周期应为 1 到 %(n)d 天。") % {"n": MUST_VISIT_DAYS_MAX}]
    elif days is None and tags and "must_visit_tags" not in errors:
        errors["must_visit_days"] = [_("选择了必访对象标签，请填写必访周期（天）。")]
    elif days is not None and not tags and "must_visit_tags" not in errors:
        errors["must_visit_tags"] = [_("填写了必访周期，请选择必访对象标签。")]
    return errors


class MustVisitReminder(models.Model):
    """The key of one day's must-visit reminder of one district (visits.must_visit_reminders): the message (one for the
    cadres, one for the leaders) sent that day, written in the message's transaction. Each recipient's receipt is
    keyed by (message, user), so a user is reminded once a day however often the job runs."""

    class Kind(models.TextChoices):
        CADRE = "cadre", gettext_lazy("逾期必访提醒")
        LEADER = "leader", gettext_lazy("必访严重逾期督促")

    # The Citus plan's key (config/citus_plan.py), so it leads the unique key below.
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=gettext_lazy("所在区"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(gettext_lazy("日期"))
    kind = models.CharField(gettext_lazy("类型"), max_length=8, choices=Kind.choices)
    # The issues.CadreMessage sent (its id: campaign, the lowest layer, names no table of issues).
    message_id = models.BigIntegerField(gettext_lazy("消息"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("必访提醒记录")
        verbose_name_plural = gettext_lazy("必访提醒记录")
        constraints = [
            # one message per (district, day, kind): the job's idempotency key, and the index of its lookup
            models.UniqueConstraint(fields=["district", "day", "kind"], name="must_visit_reminder_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.district_id}"
