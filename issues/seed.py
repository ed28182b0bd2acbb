# mypy: disable-error-code="assignment,arg-type"
# (datetime arithmetic on Optional model fields whose values this module itself has just set)
"""Demo tickets (SPEC §9): ~150 (small) / ~6,000 (district) tickets over the last 90 days, every mode and state.

Rows are built in Python with the same shape the machine produces (status, timestamps, version, one event per
action, co-units and parts) and written with bulk_create: running the machine per ticket would take minutes.
Called by seed_demo after the registries and visits (campaign.seed.SEED_HOOKS).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from campaign import categories
from campaign.days import local_day
from campaign.models import OrgUnit, User
from issues.models import Mode, Notification, Status, Ticket, TicketCoUnit, TicketEvent, TicketHelp, TicketSequence
from issues.seed_direct import answered_at_once
from issues.seed_gatherings import GATHERINGS, gathering, promote_first
from issues.seed_help import help_rows, plan_help
from issues.sla import due_at_for
from issues.texts import CATEGORIES, complaint_text

COUNTS = {"small": 150, "district": 6000, "city": 20000}
BATCH = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
# The department a category's tickets usually go to (the demo's implicit dispatch directory), and how often.
LEADS = {
    "城市管理": "城管局", "社会保障": "人社局", "住房物业": "住建局", "环境卫生": "生态环境局", "道路交通": "交通局",
    "医疗卫生": "卫健委", "教育": "教育局", "治安": "城管局", "企业服务": "市场监管局",
}  # fmt: skip
USUAL_LEAD = 0.85
MODE_WEIGHTS = [
    (Mode.IMMEDIATE, 25), (Mode.DOOR_TO_DOOR, 25), (Mode.COORDINATED, 15), (Mode.PUBLIC, 10), (Mode.PROACTIVE, 10),
    (Mode.TRACKING, 15),
]  # fmt: skip
KINDS = [("complaint", 30), ("request", 40), ("suggestion", 20), ("consultation", 10)]
SOURCES = [("visit", 50), ("hotline", 25), ("walk_in", 10), ("online", 10), ("self_found", 5)]
RATINGS = [("satisfied", 80), ("basically_satisfied", 15), ("unsatisfied", 3), ("unreachable", 2)]


# The duties a matter's words may be filed under besides their own (filed_under), and how often.
NEIGHBOURS = {
    "城市管理": ("环境卫生", "住房物业", "道路交通"),
    "住房物业": ("城市管理",),
    "环境卫生": ("城市管理", "住房物业"),
    "道路交通": ("城市管理", "治安"),
    "社会保障": ("医疗卫生",),
    "医疗卫生": ("社会保障",),
    "治安": ("道路交通",),
    "企业服务": ("社会保障",),
}
REFILED = 0.08


def pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


@dataclass
class Draft:
    """One ticket being built, and its events in order."""

    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)
    co_units: list[TicketCoUnit] = field(default_factory=list)
    ok: bool = True  # False once a step would lie in the future: the ticket stays where it is

    def step(
        self,
        at: dt.datetime,
        now: dt.datetime,
        action: str,
        actor: User | None,
        to: str | None = None,
        note: str = "",
        payload: dict | None = None,
        bump: bool = True,
    ) -> bool:
        if not self.ok or at >= now:
            self.ok = False
            return False
        t = self.ticket
        self.events.append(
            TicketEvent(
                actor=actor,
                action=action,
                from_status=t.status,
                to_status=to or t.status,
                note=note,
                payload=payload or {},
                at=at,
            )
        )
        t.status = to or t.status
        t.version += 1 if bump else 0
        return True


class Seeder:
    def __init__(self, ctx: Any) -> None:
        self.ctx, self.rng, self.now = ctx, ctx.rng, ctx.now
        users = ctx.users
        self.dispatcher, self.leader = users["dispatcher"], users["leader"]
        self.handler_units = [u.unit for u in (users["handler"], users["handler2"])]
        self.departments: list[OrgUnit] = ctx.departments or self.handler_units
        self.handlers = {u.unit_id: u for u in User.objects.filter(role="handler", unit__in=self.departments)}
        self.cadre_ids = {c.pk for c in ctx.cadres}
        self.households_by_grid: dict[int, list[Any]] = {}
        for household in ctx.households:
            self.households_by_grid.setdefault(household.unit_id, []).append(household)
        self.categories = [c for c in categories.allowed_names(ctx.campaign) if c in CATEGORIES] or list(CATEGORIES)
        self.judgement = random.Random(f"filed-under-{ctx.size}")  # its own stream: the other draws stay as they were
        district = ctx.district
        self.prefix = district.code or "ZF"
        self.sequences = dict(TicketSequence.objects.filter(district=district).values_list("day", "last"))

    def filed_under(self, category: str) -> str:
        """The category the dispatcher files the words under: now and then a neighbouring duty's (a street light in a
        compound is the property company's, a blocked lane the traffic police's), so that the demo's suggestions are
        sometimes changed at dispatch, as in life."""
        neighbours = [c for c in NEIGHBOURS.get(category, ()) if c in self.categories]
        if neighbours and self.judgement.random() < REFILED:
            return self.judgement.choice(neighbours)
        return category

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def code(self, created: dt.datetime) -> str:
        day = local_day(created)
        self.sequences[day] = self.sequences.get(day, 0) + 1
        return f"{self.prefix}-{day:%Y%m%d}-{self.sequences[day]:06d}"

    def hours(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(hours=self.rng.uniform(low, high))

    def draft(self, created: dt.datetime, lead_unit: OrgUnit | None = None) -> Draft:
        rng, ctx = self.rng, self.ctx
        grid = rng.choice(ctx.grids)
        category = rng.choice(self.categories)
        description = complaint_text(rng, category)
        category = self.filed_under(category)
        household = (
            rng.choice(self.households_by_grid[grid.pk])
            if self.households_by_grid.get(grid.pk) and rng.random() < 0.6
            else None
        )
        source = pick(rng, SOURCES)
        cadre = rng.choice(ctx.cadres)
        ticket = Ticket(
            code="",
            source=source,
            kind=pick(rng, KINDS),
            category=category,
            campaign=ctx.campaign,
            requester_household=household,
            requester_name="" if household else self.name(),
            requester_phone="" if household else f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            unit=grid,
            district_id=grid.district_id,
            branch_id=grid.branch_id,
            lat=(grid.lat or 34.2) + rng.uniform(-0.001, 0.001),
            lng=(grid.lng or 108.9) + rng.uniform(-0.001, 0.001),
            description=description,
            status=Status.REPORTED,
            version=1,
            created_by=cadre if source in ("visit", "self_found") else self.dispatcher,
            created_at=created,
        )
        ticket.code = self.code(created)
        d = Draft(ticket)
        d.events.append(
            TicketEvent(
                actor=ticket.created_by,
                action="report",
                to_status=Status.REPORTED,
                payload={"source": source},
                at=created,
            )
        )
        self.lead_unit = lead_unit
        return d

    def run(self, d: Draft, force_open: bool = False) -> None:
        rng, t, now = self.rng, d.ticket, self.now
        if not force_open and answered_at_once(self, d):  # 现场解决 or 直办 (not yet, if it would lie ahead)
            return self.callback(d) if d.ok else None
        if not force_open and rng.random() < 0.02:
            d.step(t.created_at + self.hours(1, 30), now, "cancel", self.dispatcher, Status.CANCELLED, "重复诉求")
            return None
        self.dispatch(d)
        if force_open or not d.ok:
            return None
        handler = self.handlers.get(t.lead_unit_id)
        t.accepted_at = t.dispatched_at + self.hours(0.5, 30)  # type: ignore[operator]
        if not d.step(t.accepted_at, now, "accept", handler, Status.ACCEPTED):
            t.accepted_at = None
            return None
        self.handle(d, handler)

    def lead_for(self, category: str) -> OrgUnit:
        """The department that handles the category (LEADS), most of the time, as a dispatch directory would send it;
        else any department (a matter across duties, or a dispatcher's own judgement)."""
        by_name = {u.name: u for u in self.departments}
        usual = by_name.get(LEADS.get(category, ""))
        return usual if usual is not None and self.rng.random() < USUAL_LEAD else self.rng.choice(self.departments)

    def dispatch(self, d: Draft) -> None:
        rng, t = self.rng, d.ticket
        t.mode = pick(rng, MODE_WEIGHTS)
        t.lead_unit = self.lead_unit or self.lead_for(t.category)
        at = t.created_at + self.hours(0.3, 20)
        t.problem, t.responsible_person = t.description, self.name()
        t.measures, t.expected_effect = "现场核实，制定整改方案并限期落实", "问题解决，群众满意"
        if t.mode == Mode.TRACKING:
            t.due_at = due_at_for(mode=t.mode, start=at, campaign=None, days=rng.choice((45, 60, 90)))
        else:
            t.due_at = due_at_for(mode=t.mode, start=at, campaign=self.ctx.campaign)
        if t.mode == Mode.PROACTIVE:
            t.lead_official = self.leader
        others = [u for u in self.departments if u.pk != t.lead_unit.pk]
        if t.mode == Mode.COORDINATED and others:
            for unit in rng.sample(others, k=min(len(others), rng.choice((1, 2)))):
                d.co_units.append(TicketCoUnit(unit=unit))
        t.dispatched_at = at
        payload = {"mode": t.mode, "lead_unit": t.lead_unit.pk, "due_at": t.due_at.isoformat()}
        if not d.step(at, self.now, "dispatch", self.dispatcher, Status.DISPATCHED, payload=payload):
            t.mode, t.due_at, t.dispatched_at, t.lead_official = "", None, None, None
            d.co_units.clear()

    def handle(self, d: Draft, handler: User | None) -> None:
        rng, t, now = self.rng, d.ticket, self.now
        at = t.accepted_at + self.hours(2, 48)  # type: ignore[operator]
        if d.step(at, now, "progress", handler, Status.IN_PROGRESS, "已联系诉求人，正在办理"):
            t.last_progress_at = at
        for link in d.co_units:
            part_at = at + self.hours(1, 72)
            if d.ok and part_at < now and rng.random() < 0.9:
                link.part, link.submitted_at = "已按职责完成协办事项", part_at
                link.submitted_by = self.handlers.get(link.unit_id)
                d.events.append(
                    TicketEvent(
                        actor=link.submitted_by,
                        action="assist",
                        from_status=t.status,
                        to_status=t.status,
                        payload={"co_units": [link.unit_id]},
                        at=part_at,
                    )
                )
                t.version += 1
        sla = t.due_at - t.dispatched_at  # type: ignore[operator]
        late = rng.random() < 0.08
        resolved = t.dispatched_at + (sla * rng.uniform(1.05, 1.6) if late else sla * rng.uniform(0.2, 0.95))
        resolved = max(resolved, at + self.hours(1, 5), *(c.submitted_at for c in d.co_units if c.submitted_at))
        if any(c.submitted_at is None for c in d.co_units) or (t.mode == Mode.DOOR_TO_DOOR and rng.random() < 0.1):
            return None  # waiting for a co-unit or for the door-to-door visit
        if t.mode == Mode.PUBLIC:
            t.public_notice = "处理结果已在社区公示栏公开"
        if d.step(resolved, now, "resolve", handler, Status.RESOLVED):
            t.result, t.resolved_at = "已按措施办理完毕", resolved
            t.public_reply = "您反映的问题已由承办单位办理完毕，感谢您的监督。"
            self.callback(d)
        elif late and t.status == Status.IN_PROGRESS:
            self.request_extension(d, handler)
        return None

    def request_extension(self, d: Draft, handler: User | None) -> None:
        """A late ticket still in progress: its lead unit asked for a week more two hours ago (the inbox's 申请延期).
        Written directly, as the machine would: the draft's clock stopped at the resolve still to come."""
        t, at = d.ticket, self.now - dt.timedelta(hours=2)
        if t.due_at is None or at <= (t.last_progress_at or t.accepted_at or at):
            return
        t.requested_due_at, t.extension_reason = t.due_at + dt.timedelta(days=7), "需协调施工队，申请延期一周"
        payload = {"due_at": t.requested_due_at.isoformat(), "previous": t.due_at.isoformat()}
        d.events.append(
            TicketEvent(
                actor=handler,
                action="request_extension",
                from_status=t.status,
                to_status=t.status,
                note=t.extension_reason,
                payload=payload,
                at=at,
            )
        )
        t.version += 1

    def callback(self, d: Draft) -> None:
        rng, t, now = self.rng, d.ticket, self.now
        at = t.resolved_at + self.hours(4, 72)  # type: ignore[operator]
        rating = pick(rng, RATINGS)
        if rating == "unreachable":
            for i in range(2):
                if d.step(
                    at + dt.timedelta(days=i),
                    now,
                    "callback",
                    self.dispatcher,
                    note="电话无人接听",
                    payload={"rating": "unreachable"},
                ):
                    t.unreachable_count += 1
            if d.step(at + dt.timedelta(days=1, hours=2), now, "close", self.dispatcher, Status.CLOSED):
                t.closed_at = at + dt.timedelta(days=1, hours=2)
            return
        if rating == "unsatisfied" and d.step(
            at, now, "callback", self.dispatcher, Status.IN_PROGRESS, "群众不认可", payload={"rating": rating}
        ):
            t.reopen_count, t.satisfaction, t.resolved_at = 1, rating, None
            t.due_at = due_at_for(mode=t.mode or Mode.IMMEDIATE, start=at, campaign=None)
            again = at + self.hours(24, 96)
            if d.step(again, now, "resolve", self.handlers.get(t.lead_unit_id), Status.RESOLVED):
                t.resolved_at = again
                at, rating = again + self.hours(4, 48), rng.choice(("satisfied", "basically_satisfied"))
        if t.status == Status.RESOLVED and d.step(
            at, now, "callback", self.dispatcher, Status.CLOSED, "回访", payload={"rating": rating}
        ):
            t.satisfaction, t.closed_at = rating, at

    def supervise(self, d: Draft) -> None:
        t, now = d.ticket, self.now
        if (
            t.status in (Status.REPORTED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
            and t.due_at
            and t.due_at < now
        ):
            level = 2 if self.rng.random() < 0.3 else 1
            for lvl in range(1, level + 1):
                d.events.append(
                    TicketEvent(
                        action="supervise",
                        from_status=t.status,
                        to_status=t.status,
                        note="超过办理时限",
                        payload={"level": lvl},
                        at=t.due_at + dt.timedelta(minutes=15 * lvl),
                    )
                )
            t.supervision = level


def seed(ctx: Any) -> None:
    s = Seeder(ctx)
    rng, now = s.rng, ctx.now
    total = COUNTS.get(ctx.size, 150)
    drafts: list[Draft] = []
    for _ in range(total):
        created = now - dt.timedelta(days=90 * rng.random() ** 1.3, hours=rng.uniform(0, 10))
        d = s.draft(created)
        s.run(d)
        s.supervise(d)
        drafts.append(d)
    # Work in the demo accounts' inboxes: fresh tickets dispatched to 城管局 / 人社局 awaiting acceptance.
    for unit in s.handler_units:
        for i in range(12):
            d = s.draft(now - dt.timedelta(hours=2 + 3 * i), lead_unit=unit)
            s.run(d, force_open=True)
            drafts.append(d)
    # Matters that gather in one place, as in life (the dashboard's hot spots; the demo's monthly topic takes the first).
    gathered = [gathering(s, nth, category, count, days) for nth, (category, count, days) in enumerate(GATHERINGS)]
    drafts += [d for group in gathered for d in group]
    drafts.sort(key=lambda d: d.ticket.created_at)
    plan_help(drafts, seed=len(drafts))  # 帮扶成效 a share of the resolutions recorded
    _write(drafts, s, ctx)
    topic = promote_first(ctx, [d.ticket for d in gathered[0]])
    ctx.stdout.write(f"  工单 tickets: {len(drafts)}；专题：{topic.title if topic else '—'}")


@transaction.atomic
def _write(drafts: list[Draft], s: Seeder, ctx: Any) -> None:
    tickets = Ticket.objects.bulk_create([d.ticket for d in drafts], batch_size=BATCH)
    events, links = [], []
    for d, ticket in zip(drafts, tickets, strict=True):
        for event in d.events:
            event.ticket_id = ticket.pk
            events.append(event)
        for link in d.co_units:
            link.ticket_id = ticket.pk
            links.append(link)
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    TicketCoUnit.objects.bulk_create(links, batch_size=BATCH)
    TicketHelp.objects.bulk_create(help_rows(tickets), batch_size=BATCH)
    for day, last in s.sequences.items():
        TicketSequence.objects.update_or_create(district=ctx.district, day=day, defaults={"last": last})
    notes = [
        Notification(user=ctx.users[name], ticket=t, kind="dispatched", text=f"新派单 {t.code}：{t.problem[:40]}")
        for name in ("handler", "handler2")
        for t in tickets
        if t.status == Status.DISPATCHED and t.lead_unit_id == ctx.users[name].unit_id
    ][:40]
    Notification.objects.bulk_create(notes)
