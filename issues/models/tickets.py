"""Tickets (SPEC §5): the ticket, its append-only event timeline, co-units and notifications.

The state machine that moves a ticket lives in issues/machine.py; this module only holds the rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    VISIT = "visit", _("走访")
    HOTLINE = "hotline", _("12345热线")
    WALK_IN = "walk_in", _("窗口来访")
    ONLINE = "online", _("网上诉求")
    SELF_FOUND = "self_found", _("自行发现")
    PARTNER = "partner", _("对接系统")  # another platform through Open311 (interop.open311)


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    REQUEST = "request", _("求助")
    SUGGESTION = "suggestion", _("建议")
    CONSULTATION = "consultation", _("咨询")


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("立即办")
    PROACTIVE = "proactive", _("主动办")
    DOOR_TO_DOOR = "door_to_door", _("上门办")
    TRACKING = "tracking", _("跟踪办")
    PUBLIC = "public", _("公开办")
    COORDINATED = "coordinated", _("积极办")


class Status(models.TextChoices):
    REPORTED = "reported", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    ACCEPTED = "accepted", _("已签收")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATUSES = (Status.REPORTED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
_OPEN = Q(status__in=[s.value for s in OPEN_STATUSES])

# The inbox order (SPEC §5 "overdue and supervised first"), stored so that an index serves it: 1 for an open ticket
# with a card, + 1 for an open ticket the overdue job has seen past its due_at (`passed_due_at` = `due_at`; a new
# due_at ends the mark by itself). Computed by the database on every write, whoever writes (the machine, the
# seed, COPY); what it cannot know — a due_at that passed since the job last ran — issues.inbox reads apart, so the
# order stays exact (docs/decisions.md, "Issue 14 — a flat inbox").
PRIORITY = models.Case(
    models.When(_OPEN & Q(supervision__gt=0), then=models.Value(1)), default=models.Value(0)
) + models.Case(models.When(_OPEN & Q(passed_due_at=models.F("due_at")), then=models.Value(1)), default=models.Value(0))
# Open, past due and not yet marked: the few rows whose stored priority is one short (issues.inbox reads them apart).
UNMARKED = _OPEN & (Q(passed_due_at__isnull=True) | ~Q(passed_due_at=models.F("due_at")))


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("无法联系")


class Ticket(models.Model):
    code = models.CharField(_("工单编号"), max_length=32, unique=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    category = models.CharField(_("类别"), max_length=50, blank=True)
    campaign = models.ForeignKey(
        "campaign.Campaign",
        verbose_name=_("活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # The requester: a registered household or enterprise, or a name + phone (masked in output).
    requester_household = models.ForeignKey(
        "campaign.Household",
        verbose_name=_("诉求住户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester_enterprise = models.ForeignKey(
        "campaign.Enterprise",
        verbose_name=_("诉求企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester_name = models.CharField(_("诉求人"), max_length=50, blank=True)
    requester_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    unit = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="tickets"
    )
    # The district the matter lies in: the root of `unit`'s tree, kept by save() and, on PostgreSQL, by a trigger
    # on every insert and change of unit_id (migration 0009), so that rows COPY'd in carry it too. Lead and co-units
    # lie in it as well (issues.rules.fields.unit_field), so a district's staff see exactly `district = theirs`:
    # one indexed column for the widest scope (issue 14), and the key the Citus plan shards by (config/citus_plan).
    district = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("所在区"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # led by the two district indexes below
    )
    # The street (or department, or park) the matter lies in: the depth-1 ancestor of `unit` (None when the unit is
    # the district itself), kept like `district` (save(), the trigger; a unit moved to another street carries its
    # tickets along: issues.signals). A street's or a department's staff see `branch = theirs` plus the tickets led
    # by or shared with their units: one indexed column for the bulk of a street's scope (issue 14).
    branch = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("所在街道"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
        db_index=False,  # led by the two branch indexes below
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    description = models.TextField(_("诉求内容"), max_length=4000)
    attachments = models.JSONField(_("附件"), default=list, blank=True)
    mode = models.CharField(_("办理方式"), max_length=14, choices=Mode.choices, blank=True)
    # The five clarities (五个明确).
    problem = models.TextField(_("问题明确"), max_length=2000, blank=True)
    lead_unit = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("牵头单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_tickets",
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    # A pending extension request (申请延期, SPEC §5): set by `request_extension`, cleared by `extend` (granted),
    # `refuse_extension`, `reassign` and `resolve` (moot then). The inbox's "申请延期" filter reads it.
    requested_due_at = models.DateTimeField(_("申请延期至"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), max_length=4000, blank=True)
    measures = models.TextField(_("措施明确"), max_length=2000, blank=True)
    expected_effect = models.TextField(_("效果明确"), max_length=2000, blank=True)
    co_units = models.ManyToManyField(
        "campaign.OrgUnit",
        through="TicketCoUnit",
        verbose_name=_("协办单位"),
        related_name="co_tickets",
        blank=True,
    )
    lead_official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包案领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_tickets",
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    supervision = models.PositiveSmallIntegerField(_("督办等级"), default=0)
    # The due_at the overdue job (issues.inbox.tickets_mark_overdue) saw pass; feeds `priority` only.
    passed_due_at = models.DateTimeField(_("已记超期"), null=True, blank=True, editable=False)
    priority = models.GeneratedField(
        expression=PRIORITY, output_field=models.SmallIntegerField(_("优先级")), db_persist=True
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices, blank=True)
    unreachable_count = models.PositiveSmallIntegerField(_("无法联系次数"), default=0)
    resolved_on_site = models.BooleanField(_("现场解决"), default=False)
    # 直办 (SPEC §5 answer_directly): answered at intake by a dispatcher, never dispatched; counted as `direct`
    answered_directly = models.BooleanField(_("直办"), default=False, db_default=False)  # raw inserts too
    public_notice = models.TextField(_("公开说明"), max_length=4000, blank=True)
    result = models.TextField(_("办理结果"), max_length=4000, blank=True)  # internal: never on /lookup/
    public_reply = models.TextField(_("公开答复"), max_length=4000, blank=True)  # written at resolve; /lookup/ shows it
    merge_into = models.ForeignKey(
        "self", verbose_name=_("合并至"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    # 重复诉求 (issue 15 item 4): the resolved ticket this one repeats (issues.recurrence), set at creation. No index:
    # nothing looks a ticket up by it, and tickets are never deleted (cancelled instead).
    recurs = models.ForeignKey(
        "self", verbose_name=_("重复诉求"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip
    # The monthly topic (专题, issue 15 item 5) this ticket belongs to: linked when a leader promotes its cluster, or
    # set at creation when it falls within an open topic's radius (issues.topics.attach).
    topic = models.ForeignKey(
        "issues.Topic", verbose_name=_("专题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # Whether the latest dispatch kept the router's best category (None: it suggested none): the acceptance rate.
    suggestion_taken = models.BooleanField(_("采纳建议类别"), null=True, blank=True, editable=False)
    # The visit that raised it (set by visits.services); a plain UUID because visits depends on issues.
    visit_id = models.UUIDField(_("来源走访"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="raised_tickets",
    )
    created_at = models.DateTimeField(_("登记时间"), db_index=False)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_progress_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("诉求工单")
        verbose_name_plural = _("诉求工单")
        indexes = [
            # The list / inbox cursor: ORDER BY created_at DESC, id DESC.
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # Inbox counters and the escalation job: status = … AND due_at < now.
            models.Index(fields=["status", "due_at"], name="ticket_status_due_idx"),
            # Scope by where the matter is (unit__path LIKE) joins through unit_id.
            models.Index(fields=["unit", "created_at"], name="ticket_unit_idx"),
            # A department's inbox: lead_unit = … AND status = …, newest first (the list's page of its lead arm,
            # issues.selectors.newest_of_arms); and the lead_unit filter in the inbox's order.
            models.Index(fields=["lead_unit", "status", "created_at", "id"], name="ticket_lead_status_idx"),
            models.Index(fields=["lead_unit", "priority", "created_at", "id"], name="ticket_lead_priority_idx"),
            # A cadre's "tickets I raised".
            models.Index(fields=["created_by", "created_at"], name="ticket_created_by_idx"),
            # The visit → tickets link (visit detail).
            models.Index(fields=["visit_id"], name="ticket_visit_idx"),
            # The inbox's "申请延期" filter and counter: the few tickets with a pending request.
            models.Index(
                fields=["requested_due_at"],
                condition=Q(requested_due_at__isnull=False),
                name="ticket_extension_idx",
            ),
            # A district's inbox (its staff's scope is the district: issues.selectors.ticket_scope_q): the default
            # order, and the same within one status (status filter, open counters, capped counts of closed ones).
            models.Index(fields=["district", "priority", "created_at", "id"], name="ticket_district_priority_idx"),
            models.Index(
                fields=["district", "status", "priority", "created_at", "id"], name="ticket_district_status_idx"
            ),
            # A district's open tickets newest first: the overdue filter reads them, not the whole history; with
            # due_at and campaign the dashboard's open-in-time count is read from the index alone (bench/README.md),
            # and with status, supervision and requested_due_at so are the inbox's open counters (issues.inbox): at
            # city size PostgreSQL otherwise read them through ticket_open_id_idx, every open ticket of the city
            # filtered by district (45 → 1.5 ms; bench/README.md, session 17).
            models.Index(
                fields=["district", "-created_at", "-id"],
                include=["due_at", "campaign", "status", "supervision", "requested_due_at"],
                condition=_OPEN,
                name="ticket_open_district_idx",
            ),
            # The open ones among many ids: a scope's co-unit arm (`id = ANY(…)`, issues.selectors) under an open status
            # filter reads a department's few open co-handled tickets, not its thousands of closed ones (a city
            # department's status list: 2,982 heap blocks → 761, 31 → 19 ms; bench/README.md, session 16).
            models.Index(fields=["id"], condition=_OPEN, name="ticket_open_id_idx"),
            # A street's (or a department's) inbox: the same two orders within the branch.
            models.Index(fields=["branch", "priority", "created_at", "id"], name="ticket_branch_priority_idx"),
            models.Index(fields=["branch", "status", "priority", "created_at", "id"], name="ticket_branch_status_idx"),
            # The inbox's default order (issues.inbox): priority DESC, created_at DESC, id DESC, read backwards.
            models.Index(fields=["priority", "created_at", "id"], name="ticket_priority_idx"),
            # The same order within one status (the status filter and the capped counters of closed statuses).
            models.Index(fields=["status", "priority", "created_at", "id"], name="ticket_status_priority_idx"),
            # Likely duplicates near a point (issues.duplicates): a band of latitude within one district.
            models.Index(fields=["district", "lat", "lng"], name="ticket_place_idx"),
            # The category filter, newest first.
            models.Index(fields=["category", "created_at", "id"], name="ticket_category_idx"),
            # A district's tickets of a period: the hot spots (dashboard.hotspots), two periods of one district.
            models.Index(fields=["district", "created_at"], name="ticket_district_created_idx"),
            # The supervision filter and counter: the open tickets with a card.
            models.Index(
                fields=["supervision", "created_at"],
                condition=_OPEN & Q(supervision__gt=0),
                name="ticket_open_card_idx",
            ),
            # The supervision filter over every status (a card stays on a closed ticket): the few carded tickets.
            models.Index(fields=["supervision", "created_at"], condition=Q(supervision__gt=0), name="ticket_card_idx"),
            # The overdue job and the inbox's unmarked rows: open, not yet marked past their due_at.
            models.Index(fields=["due_at"], condition=UNMARKED, name="ticket_unmarked_due_idx"),
            # The live `overdue` figure (dashboard.figures.overdue_now): open AND due_at < now, by unit/campaign —
            # an index-only count over open tickets alone (bench/README.md, city scale: 337 ms → 57 ms).
            models.Index(
                fields=["due_at", "unit", "campaign"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="ticket_open_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(supervision__gte=0, supervision__lte=2), name="ticket_supervision_range"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="ticket_version_positive"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="ticket_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lng__isnull=True) | Q(lng__gte=-180, lng__lte=180), name="ticket_lng_range"
            ),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="ticket_status_valid"),
            models.CheckConstraint(
                condition=Q(mode="") | Q(mode__in=[m.value for m in Mode]), name="ticket_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.unit_id is not None and (self._state.adding or self.district_id is None):
            self.district_id, self.branch_id = self.unit.district_id, self.unit.branch_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketCoUnit(models.Model):
    """A co-unit of a coordinated ticket (吹哨报到) and the part it submitted (`assist`)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="co_unit_links")
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("协办单位"), on_delete=models.PROTECT, related_name="+")
    part = models.TextField(_("协办情况"), max_length=4000, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("协办单位")
        verbose_name_plural = _("协办单位")
        constraints = [models.UniqueConstraint(fields=["ticket", "unit"], name="ticket_co_unit_unique")]
        indexes = [
            # tickets_visible_to: EXISTS (co-unit in scope), starting from the unit side.
            models.Index(fields=["unit", "ticket"], name="ticket_co_unit_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.unit_id}"


class TicketEvent(models.Model):
    """One row per successful action. Append-only: nothing updates or deletes it (a PostgreSQL trigger enforces it).

    On PostgreSQL the table is partitioned by month on `at` (migration 0007; primary key (id, at)). Its `at` lies
    within its ticket's [created_at, updated_at]: whoever writes an event saves the ticket's `updated_at` too, and
    the timeline (issues.selectors.ticket_events) reads only that range, so only the months of the ticket's life."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # null = the system (escalation job)
    action = models.CharField(_("动作"), max_length=24)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, blank=True)
    note = models.TextField(_("说明"), max_length=4000, blank=True)
    payload = models.JSONField(_("数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("工单事件")
        verbose_name_plural = _("工单事件")
        indexes = [
            # Ticket detail: its timeline in order.
            models.Index(fields=["ticket", "at"], name="ticket_event_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"
