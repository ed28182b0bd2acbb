"""Monthly topics (每月一题 / 专题, issue 15 item 5): promote a cluster of tickets to a topic, attach later tickets of
the cluster, mark milestones, close it, read its progress.

Who: leaders and admins promote (in their scope: area and lead unit, else 404); the lead unit's handlers and the
leaders who see a topic mark its milestones; leaders over its area (and admins) close it. The two changes of a topic
are rows of one small table (ACTIONS), applied by one function that locks the topic and checks, in SPEC §1's order,
scope 404 → who 403 → state 409. A new ticket joins the nearest open topic of its district and category whose
radius holds its point (attach, from issues.services.ticket_create). The monthly report is issues.topic_report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import categories
from campaign.errors import Conflict, Invalid, NotAllowed, OutOfScope, WrongState
from campaign.fields import is_finite_number, text_error
from campaign.geo import haversine_m
from campaign.models import OrgUnit, Role, User
from campaign.scope import sees_everything, subtree_q, unit_in_scope
from campaign.selectors import area_margin_m, campaign_of, point_in_area
from issues.models import OPEN_STATUSES, Status, Ticket, Topic, TopicMilestone, TopicStatus
from issues.models.topics import RADIUS_MAX_M, RADIUS_MIN_M
from issues.selectors import tickets_visible_to

TITLE_MAX, DESCRIPTION_MAX = 100, 2000
MILESTONES_MAX = 30  # steps of one topic: a month's plan, not a project plan
TICKETS_MAX = 1000  # tickets linked at promotion (a hot spot lists its newest 200)
ATTACH_CANDIDATES = 200  # open topics of one district and category read per new ticket (a handful in practice)
PROMOTERS = {Role.LEADER, Role.ADMIN}
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)


# --- reads ---------------------------------------------------------------------------------------------------------
def topics_visible_to(user: User) -> QuerySet[Topic]:
    """Topics whose area lies in the user's scope (the leader who promoted it and those above), or whose lead unit
    does (its handlers, who mark the milestones); with area and lead unit, newest month first."""
    topics = Topic.objects.select_related("area", "lead_unit").defer("area__boundary", "lead_unit__boundary")
    if not sees_everything(user):
        if not user.is_authenticated or user.unit is None:
            return topics.none()
        topics = topics.filter(subtree_q(user.unit, "area", "lead_unit"))
    return topics.order_by("-month", "-id")


def topic_detail(user: User, topic_id: Any) -> Topic:
    """One topic the user sees, with its milestones in order (OutOfScope otherwise)."""
    try:
        pk = int(topic_id)
    except (TypeError, ValueError):
        raise OutOfScope() from None
    topic = topics_visible_to(user).prefetch_related("milestones").filter(pk=pk).first()
    if topic is None:
        raise OutOfScope()
    return topic


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def ticket_figures(topic_ids: Iterable[int], now: dt.datetime) -> dict[int, dict[str, int]]:
    """Per topic: its tickets (not cancelled) in total, closed (resolved or closed), open and overdue (open, past
    due_at now). ONE aggregate query whatever the number of topics (a page of the list, a month's report)."""
    open_ = Q(status__in=OPEN_STATUSES)
    rows = (
        Ticket.objects.filter(topic_id__in=list(topic_ids))
        .exclude(status=Status.CANCELLED)
        .order_by()
        .values("topic_id")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
            open=Count("pk", filter=open_),
            overdue=Count("pk", filter=open_ & Q(due_at__lt=now)),
        )
    )
    return {r.pop("topic_id"): r for r in rows}


def milestone_figures(topic_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per topic: (milestones done, milestones in all), one query."""
    rows = (
        TopicMilestone.objects.filter(topic_id__in=list(topic_ids))
        .order_by()
        .values("topic_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False)))
    )
    return {r["topic_id"]: (r["done"], r["total"]) for r in rows}


def figures(milestones: tuple[int, int], tickets: dict[str, int] | None) -> dict[str, Any]:
    """A topic's progress as the pages, the API and the report show it; rates are 0..1, None when nothing to count."""
    done, total = milestones
    t = tickets or {"total": 0, "closed": 0, "open": 0, "overdue": 0}
    return {
        "milestones_done": done,
        "milestones_total": total,
        "progress_rate": _ratio(done, total),
        "tickets_total": t["total"],
        "tickets_closed": t["closed"],
        "tickets_open": t["open"],
        "tickets_overdue": t["overdue"],
        "closure_rate": _ratio(t["closed"], t["total"]),
    }


def progress(topic: Topic, now: dt.datetime | None = None) -> dict[str, Any]:
    """The topic's milestones done / in all and its tickets' closure: one aggregate query for the tickets; the
    milestones from the prefetched list when topic_detail read them, else one more query."""
    now = now or timezone.now()
    cache = getattr(topic, "_prefetched_objects_cache", {})
    if "milestones" in cache:
        steps = list(cache["milestones"])
        milestones = (sum(1 for m in steps if m.done_at is not None), len(steps))
    else:
        milestones = milestone_figures([topic.pk]).get(topic.pk, (0, 0))
    return figures(milestones, ticket_figures([topic.pk], now).get(topic.pk))


def with_progress(topics: list[Topic], now: dt.datetime | None = None) -> list[Topic]:
    """Sets `topic.progress` (progress's dict) on each: two queries for the whole list."""
    now = now or timezone.now()
    ids = [t.pk for t in topics]
    tickets, milestones = ticket_figures(ids, now), milestone_figures(ids)
    for topic in topics:
        topic.progress = figures(milestones.get(topic.pk, (0, 0)), tickets.get(topic.pk))  # type: ignore[attr-defined]
    return topics


# --- promote -------------------------------------------------------------------------------------------------------
def may_promote(user: User) -> bool:
    return bool(user.is_superuser or user.role in PROMOTERS)


def _unit(actor: User, unit: OrgUnit | int) -> OrgUnit:
    """The unit named (an id or a row) if the actor sees it; OutOfScope (404) otherwise."""
    return unit_in_scope(actor, unit.pk if isinstance(unit, OrgUnit) else unit)


def _text(errors: dict[str, list[str]], name: str, value: Any, limit: int, *, required: bool = True) -> str:
    """The stripped text, or an error on `name`: required, at most `limit` characters, no control characters."""
    text = value.strip() if isinstance(value, str) else ""
    message = text_error(text)
    if message is None and not isinstance(value, str) and value is not None:
        message = _("应为文本。")
    if message is None and required and not text:
        message = _("此项必填。")
    if message is None and len(text) > limit:
        message = _("不能超过%(n)d字。") % {"n": limit}
    if message is not None:
        errors.setdefault(name, []).append(message)
    return text


def _check_place(errors: dict[str, list[str]], lat: Any, lng: Any, radius_m: Any) -> None:
    if not (is_finite_number(lat) and -90 <= lat <= 90):
        errors["lat"] = [_("纬度应为 -90 到 90 之间的数字。")]
    if not (is_finite_number(lng) and -180 <= lng <= 180):
        errors["lng"] = [_("经度应为 -180 到 180 之间的数字。")]
    if isinstance(radius_m, bool) or not isinstance(radius_m, int) or not RADIUS_MIN_M <= radius_m <= RADIUS_MAX_M:
        errors["radius_m"] = [_("半径应为 %(a)d 到 %(b)d 米之间的整数。") % {"a": RADIUS_MIN_M, "b": RADIUS_MAX_M}]


def _check_dates(errors: dict[str, list[str]], month: Any, deadline: Any) -> dt.date | None:
    """The first day of `month`, and an error unless the deadline is a date on or after it."""
    if not isinstance(month, dt.date):
        errors["month"] = [_("请选择月份。")]
        return None
    first = month.replace(day=1)
    if not isinstance(deadline, dt.date):
        errors["deadline"] = [_("请填写完成时限。")]
    elif deadline < first:
        errors["deadline"] = [_("完成时限不能早于所属月份。")]
    return first


def _milestones(
    errors: dict[str, list[str]], given: Any, month: dt.date | None, deadline: Any
) -> list[tuple[str, dt.date | None]]:
    """The milestones as (title, due): a title each, a due date (if any) within the topic's month and deadline."""
    items = list(given or [])
    if len(items) > MILESTONES_MAX:
        errors["milestones"] = [_("节点最多 %(n)d 个。") % {"n": MILESTONES_MAX}]
        return []
    steps = []
    for title, due in items:
        text = _text(errors, "milestones", title, TITLE_MAX)
        if due is not None and not isinstance(due, dt.date):
            errors.setdefault("milestones", []).append(_("节点“%(t)s”的日期无效。") % {"t": text})
        elif due is not None and month is not None and isinstance(deadline, dt.date) and not month <= due <= deadline:
            errors.setdefault("milestones", []).append(_("节点“%(t)s”的日期应在所属月份与完成时限之间。") % {"t": text})
        steps.append((text, due))
    return steps


def _tickets(errors: dict[str, list[str]], actor: User, ids: Any, category: str, district_id: int) -> list[int]:
    """The tickets to link: the actor sees them, of the topic's category and district, in no other topic."""
    try:
        wanted = sorted({int(i) for i in ids or []})
    except (TypeError, ValueError):
        errors["ticket_ids"] = [_("工单编号应为整数。")]
        return []
    if len(wanted) > TICKETS_MAX:
        errors["ticket_ids"] = [_("一次最多关联 %(n)d 件工单。") % {"n": TICKETS_MAX}]
        return []
    rows = tickets_visible_to(actor).filter(pk__in=wanted).values_list("pk", "category", "district_id", "topic_id")
    found = {pk: (cat, district, topic) for pk, cat, district, topic in rows}
    unknown = [i for i in wanted if i not in found]
    other = [i for i in wanted if i in found and found[i][:2] != (category, district_id)]
    taken = [i for i in wanted if i in found and found[i][2] is not None]
    for bad, message in (
        (unknown, _("工单不存在或不在您的管辖范围内：%(ids)s")),
        (other, _("工单的类别或所在区与专题不同：%(ids)s")),
        (taken, _("工单已属于其他专题：%(ids)s")),
    ):
        if bad:
            errors.setdefault("ticket_ids", []).append(message % {"ids": "、".join(map(str, bad[:20]))})
    return wanted


def topic_create(
    *,
    actor: User,
    title: str,
    category: str,
    area: OrgUnit | int,
    lat: float,
    lng: float,
    radius_m: int = 500,
    lead_unit: OrgUnit | int,
    deadline: dt.date,
    month: dt.date,
    description: str = "",
    milestones: list[tuple[str, dt.date | None]] | None = None,
    ticket_ids: list[int] | None = None,
) -> Topic:
    """Promote a cluster to a topic: the topic, its milestones in order and its tickets linked, in one transaction.

    Checks in SPEC §1's order: area and lead unit in the actor's scope (404), the actor a leader or an admin (403),
    then every field at once (400, naming each; nothing is stored): texts, a category the area's campaign allows,
    the centre and radius, month and deadline, the milestones, a lead unit of the area's district, the tickets."""
    area_unit, lead = _unit(actor, area), _unit(actor, lead_unit)
    if not may_promote(actor):
        raise NotAllowed(_("只有领导或管理员可以设立专题。"))
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, TITLE_MAX)
    description = _text(errors, "description", description, DESCRIPTION_MAX, required=False)
    category = _text(errors, "category", category, 50)
    if "category" not in errors and not categories.is_allowed(campaign_of(area_unit), category):
        errors["category"] = [_("类别应为启用的类别之一（活动配置了类别时，为活动的类别之一）。")]
    _check_place(errors, lat, lng, radius_m)
    if "lat" not in errors and "lng" not in errors and not point_in_area(area_unit, lat, lng, area_margin_m(None)):
        # the centre lies where the topic is promoted: tickets that attach later are the area's, not another's
        errors["lat"] = errors["lng"] = [_("中心点不在专题所在区域内。")]
    first = _check_dates(errors, month, deadline)
    steps = _milestones(errors, milestones, first, deadline)
    if lead.district_id != area_unit.district_id:
        errors["lead_unit"] = [_("牵头单位应与专题所在区域属于同一个区。")]
    linked = _tickets(errors, actor, ticket_ids, category, area_unit.district_id)
    if errors:
        raise Invalid(errors)
    topic = Topic(
        title=title,
        category=category,
        district_id=area_unit.district_id,
        area=area_unit,
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        lead_unit=lead,
        deadline=deadline,
        month=first,
        description=description,
        created_by=actor,
    )
    return _insert(topic, steps, linked)


def _insert(topic: Topic, steps: list[tuple[str, dt.date | None]], linked: list[int]) -> Topic:
    with transaction.atomic():
        topic.save(force_insert=True)
        TopicMilestone.objects.bulk_create(
            TopicMilestone(topic=topic, title=title, due=due, position=i) for i, (title, due) in enumerate(steps)
        )
        # A ticket linked meanwhile to another topic is not taken from it: the whole promotion is refused.
        if Ticket.objects.filter(pk__in=linked, topic__isnull=True).update(topic=topic) != len(linked):
            raise Conflict({"ticket_ids": [_("部分工单刚被关联到其他专题，请刷新后重试。")]})
    return topic


# --- attach --------------------------------------------------------------------------------------------------------
def attach(ticket: Ticket) -> Topic | None:
    """The topic a NEW ticket joins: the nearest open topic of its district and category, created before it, whose
    centre lies within its radius of the ticket's point (haversine; the centre, not the hot spot's grid cell, so a
    cluster across a cell's edge keeps its tickets). Sets ticket.topic; a ticket already saved is updated by one
    UPDATE. ticket_create calls it before the insert (then no write of its own). None: no such topic."""
    if not ticket.category or ticket.lat is None or ticket.lng is None or ticket.district_id is None:
        return None
    created = ticket.created_at or timezone.now()
    candidates = Topic.objects.filter(
        district_id=ticket.district_id, category=ticket.category, status=TopicStatus.OPEN, created_at__lte=created
    ).only("pk", "title", "lat", "lng", "radius_m")[:ATTACH_CANDIDATES]  # topic_open_place_idx
    lat, lng = ticket.lat, ticket.lng
    near = [(haversine_m(lat, lng, t.lat, t.lng), t.pk, t) for t in candidates]
    best = min(((d, pk, t) for d, pk, t in near if d <= t.radius_m), default=None, key=lambda x: (x[0], x[1]))
    if best is None:
        return None
    ticket.topic = best[2]
    if ticket.pk is not None:
        Ticket.objects.filter(pk=ticket.pk).update(topic=best[2])
    return best[2]


# --- the topic's changes: one table, one function ------------------------------------------------------------------
def _is_admin(user: User) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMIN)


def _holds(user: User, unit: OrgUnit) -> bool:
    return user.unit is not None and user.unit.contains(unit)


def leader_over_area(topic: Topic, user: User) -> bool:
    """Admins, and leaders whose scope holds the topic's area (where it was promoted)."""
    return _is_admin(user) or (user.role == Role.LEADER and _holds(user, topic.area))


def milestone_marker(topic: Topic, user: User) -> bool:
    """Admins, leaders who see the topic (scope checked first), and the lead unit's handlers."""
    return _is_admin(user) or user.role == Role.LEADER or (user.role == Role.HANDLER and _holds(user, topic.lead_unit))


@dataclass(frozen=True)
class TopicAction:
    name: str
    who: Callable[[Topic, User], bool]
    label: str


# fmt: off
ACTIONS: dict[str, TopicAction] = {
    a.name: a
    for a in [
        TopicAction("milestone_done", milestone_marker, label="完成节点"),
        TopicAction("close", leader_over_area, label="结束专题"),
    ]
}
# fmt: on


def may(action: str, topic: Topic, user: User) -> bool:
    """Whether the page shows the action's button (scope assumed: the topic was read through topics_visible_to)."""
    return topic.is_open and ACTIONS[action].who(topic, user)


def _locked(actor: User, topic_id: int, action: str) -> Topic:
    """The topic, locked, after scope (404), who (403) and state (409). Call inside atomic."""
    spec = ACTIONS[action]
    topic = topics_visible_to(actor).select_for_update(of=("self",)).filter(pk=topic_id).first()
    if topic is None:
        raise OutOfScope()
    if not spec.who(topic, actor):
        raise NotAllowed(_("您无权对该专题执行“%(a)s”。") % {"a": spec.label})
    if not topic.is_open:
        raise WrongState(_("专题已完成，不能执行“%(a)s”。") % {"a": spec.label})
    return topic


def milestone_done(*, actor: User, milestone: TopicMilestone) -> TopicMilestone:
    """Mark a milestone done (once: 409 the second time), by whom and when."""
    with transaction.atomic():
        topic = _locked(actor, milestone.topic_id, "milestone_done")
        row = TopicMilestone.objects.select_for_update().filter(pk=milestone.pk, topic=topic).first()
        if row is None:
            raise OutOfScope()
        if row.done_at is not None:
            raise WrongState(_("该节点已完成。"))
        row.done_at, row.done_by = timezone.now(), actor
        row.save(update_fields=["done_at", "done_by"])
    return row


def topic_close(*, actor: User, topic: Topic) -> Topic:
    """End the topic (已完成): later tickets of its cluster no longer attach; its figures stay."""
    with transaction.atomic():
        row = _locked(actor, topic.pk, "close")
        row.status, row.closed_at = TopicStatus.DONE, timezone.now()
        row.save(update_fields=["status", "closed_at"])
    return row
