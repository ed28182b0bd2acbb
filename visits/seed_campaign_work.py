"""The demo's campaign work of issue 16 beyond assignments: the campaign's must-visit list (四门必敲) and its published
on-site figure (现场解决含政策解释), a household group (户区) in the demo cadre's grid under the demo 户长 `huzhang`
with two matters they reported, and the leader's messages and tasks to the district's cadres, partly read and done.
Run after the tickets and assignments (config.seed), so it changes no earlier row for a given seed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from campaign.household_groups import household_group_save
from campaign.models import Household, HouseholdGroup
from issues.messages import message_deliver
from issues.models import CadreMessage, MessageKind, MessageReceipt
from issues.services import ticket_create

MUST_VISIT = {"must_visit_tags": ["独居老人", "低保"], "must_visit_days": 30}
GROUP_SIZE = 10
REPORTS = ("3号楼楼道声控灯不亮，老人晚上下楼看不清", "小区东门口的下水道井盖松动，踩上去晃动")
MESSAGES = (  # (days ago, kind, text, due in days, share read, share done)
    (
        0,
        MessageKind.MESSAGE,
        "精神早餐：今天降温，走访独居老人时请查看取暖和燃气安全，发现隐患当场登记。",
        None,
        0.3,
        0.0,
    ),
    (3, MessageKind.TASK, "本周内完成辖区低保户走访，核实家庭人口和收入变化，异常情况登记诉求。", 4, 0.9, 0.6),
)


def seed(ctx: Any) -> None:
    campaign = ctx.campaign
    for name, value in {**MUST_VISIT, "on_site_with_direct": True}.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save()
    _group(ctx)
    _messages(ctx)


def _group(ctx: Any) -> None:
    """一号户区: the first households of the demo cadre's grid under 户长 huzhang, who reported two matters."""
    head, admin = ctx.users["huzhang"], ctx.users["admin"]
    homes = list(Household.objects.filter(unit=head.unit).order_by("pk")[:GROUP_SIZE])
    if not homes:
        return
    group = HouseholdGroup(name="一号户区", unit=head.unit, head=head)
    household_group_save(actor=admin, group=group, households=homes)
    for home, text in zip(homes, REPORTS, strict=False):
        ticket_create(
            actor=head, source="self_found", kind="request", description=text, requester_household=home.pk
        )  # fmt: skip


def _messages(ctx: Any) -> None:
    """The leader's messages to the district's cadres, written as sent `days ago`, then their receipts, a share of
    them read and done (the cadres' phones acknowledged them)."""
    leader = ctx.users["leader"]
    for days_ago, kind, text, due_in, read, done in MESSAGES:
        sent = ctx.now - dt.timedelta(days=days_ago, hours=8)
        due = (sent + dt.timedelta(days=due_in)).date() if due_in is not None else None
        with transaction.atomic():
            message = CadreMessage.objects.create(
                sender=leader, unit=ctx.district, district=ctx.district, kind=kind, text=text, due_date=due
            )
            CadreMessage.objects.filter(pk=message.pk).update(created_at=sent)
        message_deliver(message.pk)
        receipts = list(MessageReceipt.objects.filter(message=message).order_by("pk").values_list("pk", flat=True))
        for i, pk in enumerate(receipts):
            share = i / max(len(receipts), 1)
            at = sent + dt.timedelta(hours=1 + i % 5)
            if share < read:
                fields = {"read_at": at, "done_at": at if share < done else None}
                MessageReceipt.objects.filter(pk=pk).update(**fields)
