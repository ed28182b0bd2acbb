"""The daily must-visit reminders (四门必敲, issue 16 item 2), run by visits.tasks.must_visit_remind (config/jobs.py).

Once a day each active cadre whose scope holds overdue must-visits (visits.must_visit) is reminded; and the leaders
whose home unit is a grid holding must-visits overdue by more than 2·N days, or that grid's community, are told (the
escalation: first the cadre, then the grid's leader).

The reminders go the way of messages to cadres (issues.messages): per district and day, one CadreMessage from no
sender (the system) to the district for the cadres, one for the leaders, and a MessageReceipt for each person reminded,
so a cadre finds it in 消息与任务 on /m/ with 已读, and the district's senders see it with its read rate on
/tickets/messages/ — one row a day, not one per cadre. Not message_deliver, which gives every cadre of the unit's
subtree a receipt: here only those with overdue must-visits get one. Not Notification, which names a ticket.

Idempotent: the day's message is found by its key (MustVisitReminder: district, day, kind; written in the message's
transaction) and a receipt by its own ((message, user)), so a person is reminded once a day however often the job
runs; a later run the same day reminds only those newly overdue. Two runs racing collide on the key and the later
one's district rolls back whole (the earlier one sent it).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.models import Household, MustVisitReminder, OrgUnit, Role, User
from campaign.models.org import path_prefixes
from campaign.scope import in_subtree
from issues.messages import RECEIPT_BATCH
from issues.models import CadreMessage, MessageKind, MessageReceipt
from visits.must_visit import escalated_q, governance, must_visits, visited_within_n

log = logging.getLogger(__name__)
Kind = MustVisitReminder.Kind


def texts() -> dict[str, str]:
    """The day's messages, stored in the default language (Chinese), whatever the worker's."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            Kind.CADRE: _(
                "今日必访提醒：您负责的网格有必访对象（四门必敲）逾期未走访，请在手机走访页的“必访对象”中查看并尽快上门走访。"
            ),
            Kind.LEADER: _(
                "必访督促：您联系的网格有必访对象（四门必敲）逾期超过两个走访周期仍未走访，请督促网格干部尽快上门走访。"
            ),
        }


def _overdue_by_unit(district: OrgUnit, day: dt.date) -> list[dict[str, Any]]:
    """Per unit holding must-visits (a grid, mostly): its path, parent, name, overdue and escalated counts. Two queries
    (the governance, the counts); [] when no campaign of the district has a must-visit list that day."""
    gov = governance(district, day)
    if not gov.rules:
        return []
    rows = (
        must_visits(in_subtree(Household.objects.all(), district), gov)
        .annotate(recent=visited_within_n(gov))
        .values("unit_id", "unit__path", "unit__parent_id", "unit__name")
        .annotate(overdue=Count("id", filter=Q(recent=False)), escalated=Count("id", filter=escalated_q(gov)))
        .order_by("unit__path")
    )
    return [row for row in rows if row["overdue"]]


def _cadres(district: OrgUnit, units: list[dict[str, Any]]) -> list[User]:
    """The district's active cadres with overdue must-visits in their scope (their grid, or their community's)."""
    in_scope: set[str] = set()
    for row in units:
        in_scope.update(path_prefixes(row["unit__path"]))
    cadres = in_subtree(User.objects.filter(role=Role.CADRE, is_active=True), district).select_related("unit")
    return [cadre for cadre in cadres.order_by("pk") if cadre.unit is not None and cadre.unit.path in in_scope]


def _leaders(units: list[dict[str, Any]]) -> list[User]:
    """The active leaders whose home unit is a unit (a grid) with must-visits overdue by more than 2·N days, or its
    parent (the grid's community)."""
    answering = {u for row in units if row["escalated"] for u in (row["unit_id"], row["unit__parent_id"]) if u}
    if not answering:
        return []
    return list(User.objects.filter(role=Role.LEADER, is_active=True, unit_id__in=answering).order_by("pk"))


def _send(district: OrgUnit, day: dt.date, kind: str, users: list[User]) -> int:
    """The day's message of `kind` (written with its key the first time) and a receipt for each of `users` who has
    none yet, in one transaction; returns how many receipts were written."""
    if not users:
        return 0
    with transaction.atomic():
        key = MustVisitReminder.objects.filter(district=district, day=day, kind=kind).first()
        if key is None:
            message = CadreMessage.objects.create(
                sender=None, district=district, unit=district, kind=MessageKind.MESSAGE, text=texts()[kind]
            )
            key = MustVisitReminder.objects.create(district=district, day=day, kind=kind, message_id=message.pk)
        have = set(MessageReceipt.objects.filter(message_id=key.message_id).values_list("user_id", flat=True))
        rows = [
            MessageReceipt(message_id=key.message_id, user=user, district=district, unit_id=user.unit_id)
            for user in users
            if user.pk not in have
        ]
        MessageReceipt.objects.bulk_create(rows, batch_size=RECEIPT_BATCH, ignore_conflicts=True)
    return len(rows)


def must_visit_remind(day: dt.date) -> int:
    """Send `day`'s must-visit reminders, district by district (a fixed number of queries each); safe to run twice
    (the keys). Returns how many people this run reminded."""
    sent = 0
    for district in OrgUnit.objects.filter(parent__isnull=True).order_by("pk"):
        units = _overdue_by_unit(district, day)
        if not units:
            continue
        for kind, users in ((Kind.CADRE, _cadres(district, units)), (Kind.LEADER, _leaders(units))):
            try:
                sent += _send(district, day, kind, users)
            except IntegrityError:  # the key: another run sent this message at the same moment
                log.info("must-visit %s reminder of district %s on %s sent by another run", kind, district.pk, day)
    return sent
