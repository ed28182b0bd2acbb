"""Pages of monthly topics (每月一题 / 专题, issue 15 item 5): the list, a topic, the promote form and the monthly report.

Every page starts from issues.topics.topics_visible_to (out of scope → 404); every change goes through issues.topics
(POST → redirect → GET). Leaders, dispatchers and admins see the pages, and handlers (a topic their unit leads);
leaders and admins promote. No inline script or style: progress is a <progress> element.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.days import today
from campaign.errors import DomainError, Invalid, NotAllowed, OutOfScope
from campaign.exports import ledger_response
from campaign.fields import validate_text
from campaign.models import Category, OrgUnit, Role, UnitKind, User
from campaign.scope import units_visible_to
from issues.directory import matching_rows
from issues.models import OPEN_STATUSES, Status
from issues.selectors import tickets_visible_to
from issues.topic_report import TOPICS_REPORT, month_param
from issues.topics import (
    may,
    may_promote,
    milestone_done,
    progress,
    topic_close,
    topic_create,
    topic_detail,
    topics_visible_to,
    with_progress,
)

PAGE_ROLES = {Role.LEADER, Role.DISPATCHER, Role.ADMIN, Role.HANDLER}
PAGE_SIZE = 50
TICKETS_SHOWN = 200  # a topic's newest tickets on its page; the figures count them all
UNIT_CHOICES_LIMIT = 300
LEAD_KINDS = (UnitKind.DEPARTMENT, UnitKind.PARK, UnitKind.STREET, UnitKind.COMMUNITY)
_DATE_AT_END = re.compile(r"^(.*\S)\s+(\d{4}-\d{1,2}-\d{1,2})$")


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not (user.is_superuser or user.role in PAGE_ROLES):
        raise PermissionDenied
    return user


def _pct(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


def _with_pcts(progress_: dict[str, Any]) -> dict[str, Any]:
    return {
        **progress_,
        "progress_pct": _pct(progress_["progress_rate"]),
        "closure_pct": _pct(progress_["closure_rate"]),
    }


# --- the list ------------------------------------------------------------------------------------------------------
@login_required
@require_GET
def topics_page(request: HttpRequest) -> HttpResponse:
    """/tickets/topics/: the topics in scope, newest month first; `month=YYYY-MM` keeps one month."""
    user = _user(request)
    topics = topics_visible_to(user)
    month = None
    try:
        if request.GET.get("month"):
            month = month_param(request.GET["month"])
            topics = topics.filter(month=month)
    except Invalid as exc:
        return render(request, "tickets/topics.html", {"error": exc.detail["month"][0]}, status=400)
    page = Paginator(topics, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = with_progress(list(page.object_list))
    for topic in rows:
        topic.figures = _with_pcts(topic.progress)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "rows": rows,
        "month": f"{month or today():%Y-%m}",
        "filtered": month is not None,
        "may_promote": may_promote(user),
    }
    return render(request, "tickets/topics.html", context)


# --- a topic -------------------------------------------------------------------------------------------------------
def _topic_or_404(user: User, pk: Any) -> Any:
    try:
        return topic_detail(user, pk)
    except OutOfScope:
        raise Http404 from None


@login_required
@require_GET
def topic_page(request: HttpRequest, pk: int) -> HttpResponse:
    """/tickets/topics/<id>/: description, milestones (完成 for who may), progress, the linked tickets the viewer
    sees, not cancelled (the newest TICKETS_SHOWN; the figures count every such ticket of the topic)."""
    user = _user(request)
    topic = _topic_or_404(user, pk)
    now = timezone.now()
    shown = list(
        tickets_visible_to(user)
        .filter(topic=topic)
        .exclude(status=Status.CANCELLED)  # as the figures: a merged duplicate is not a matter of its own
        .select_related("unit")
        .only("pk", "code", "status", "category", "created_at", "due_at", "unit__name")
        .order_by("-created_at", "-id")[:TICKETS_SHOWN]
    )
    for ticket in shown:
        late = ticket.status in OPEN_STATUSES and ticket.due_at is not None and ticket.due_at < now
        ticket.overdue = late  # type: ignore[attr-defined]
    figures = _with_pcts(progress(topic, now))
    context = {
        "topic": topic,
        "figures": figures,
        "tickets": shown,
        "hidden": max(0, figures["tickets_total"] - len(shown)),
        "may_mark": may("milestone_done", topic, user),
        "may_close": may("close", topic, user),
    }
    return render(request, "tickets/topic.html", context)


@login_required
@require_POST
def topic_milestone_done(request: HttpRequest, pk: int, milestone: int) -> HttpResponse:
    user = _user(request)
    topic = _topic_or_404(user, pk)
    row = next((m for m in topic.milestones.all() if m.pk == milestone), None)
    if row is None:
        raise Http404
    return _change(request, topic.pk, lambda: milestone_done(actor=user, milestone=row), _("节点已完成。"))


@login_required
@require_POST
def topic_close_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    topic = _topic_or_404(user, pk)
    return _change(request, topic.pk, lambda: topic_close(actor=user, topic=topic), _("专题已结束。"))


def _change(request: HttpRequest, pk: int, apply: Any, done: str) -> HttpResponse:
    """Apply one change; 404 stays 404, 403 and 409 say why above the topic page."""
    try:
        apply()
    except OutOfScope:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.detail))
        return redirect("tickets-topic", pk=pk)
    messages.success(request, done)
    return redirect("tickets-topic", pk=pk)


# --- promote -------------------------------------------------------------------------------------------------------
def _lead_choices(user: User) -> list[tuple[int, str]]:
    """Departments and parks in scope first, then streets and communities (a street leader's topic)."""
    rank = Case(*(When(kind=kind, then=Value(i)) for i, kind in enumerate(LEAD_KINDS)), output_field=IntegerField())
    units = units_visible_to(user).filter(kind__in=LEAD_KINDS).annotate(rank=rank).order_by("rank", "path")
    return [(u.pk, u.name) for u in units.only("pk", "name")[:UNIT_CHOICES_LIMIT]]


def _area_choices(user: User, given: OrgUnit | None) -> list[tuple[int, str]]:
    units = units_visible_to(user).exclude(kind=UnitKind.GRID).only("pk", "name", "depth").order_by("path")
    rows = [(u.pk, "\u3000" * max(0, u.depth) + u.name) for u in units[:UNIT_CHOICES_LIMIT]]
    if given is not None and all(pk != given.pk for pk, _name in rows):
        rows.insert(0, (given.pk, given.name))
    return rows


class TopicForm(forms.Form):
    """Shapes only (dates, numbers, lines); the rules are topic_create's, whose errors come back onto the fields."""

    title = forms.CharField(label=gettext_lazy("专题名称"), max_length=100, validators=[validate_text])
    category = forms.ChoiceField(label=gettext_lazy("类别"))
    area = forms.TypedChoiceField(label=gettext_lazy("所在区域"), coerce=int)
    lat = forms.FloatField(label=gettext_lazy("中心纬度"), widget=forms.NumberInput(attrs={"step": "any"}))
    lng = forms.FloatField(label=gettext_lazy("中心经度"), widget=forms.NumberInput(attrs={"step": "any"}))
    radius_m = forms.IntegerField(label=gettext_lazy("半径（米）"), initial=500)
    lead_unit = forms.TypedChoiceField(label=gettext_lazy("牵头单位"), coerce=int)
    month = forms.CharField(label=gettext_lazy("所属月份"), widget=forms.TextInput(attrs={"type": "month"}))
    deadline = forms.DateField(label=gettext_lazy("完成时限"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label=gettext_lazy("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    milestones = forms.CharField(
        label=gettext_lazy("节点（每行一个：标题 YYYY-MM-DD）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "摸排走访 2026-05-10\n集中整治 2026-05-25"}),
    )
    ticket_ids = forms.CharField(label=gettext_lazy("关联工单（编号，逗号分隔）"), required=False)

    def __init__(self, *args: Any, user: User, area: OrgUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = Category.objects.usable().values_list("name", flat=True)
        self.fields["category"].choices = [("", "—")] + [(n, n) for n in names]  # type: ignore[attr-defined]
        self.fields["area"].choices = _area_choices(user, area)  # type: ignore[attr-defined]
        self.fields["lead_unit"].choices = [("", "—"), *_lead_choices(user)]  # type: ignore[attr-defined]

    def clean_month(self) -> dt.date:
        try:
            return month_param(self.cleaned_data["month"])
        except Invalid as exc:
            raise forms.ValidationError(exc.detail["month"]) from None

    def clean_milestones(self) -> list[tuple[str, dt.date | None]]:
        steps: list[tuple[str, dt.date | None]] = []
        for line in self.cleaned_data["milestones"].splitlines():
            if not line.strip():
                continue
            found = _DATE_AT_END.match(line.strip())
            try:
                steps.append((found[1], dt.date.fromisoformat(_iso(found[2]))) if found else (line.strip(), None))
            except ValueError:
                raise forms.ValidationError(_("日期无效：%(l)s") % {"l": line.strip()}) from None
        return steps

    def clean_ticket_ids(self) -> list[int]:
        parts = [p for p in re.split(r"[\s,，、]+", self.cleaned_data["ticket_ids"]) if p]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("工单编号应为整数，以逗号分隔。"))
        return [int(p) for p in parts]


def _iso(day: str) -> str:
    year, month, date = day.split("-")
    return f"{year}-{int(month):02d}-{int(date):02d}"


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _prefill(user: User, params: QueryDict) -> tuple[dict[str, Any], OrgUnit | None]:
    """The form's initial values from a hot spot's link: category, centre, unit (the area, when in scope), ticket ids."""
    area, unit = user.unit, str(params.get("unit", ""))
    if unit:
        area = units_visible_to(user).filter(pk=unit).first() if unit.isdigit() else None
    first = today().replace(day=1)
    category = params.get("category", "")
    initial: dict[str, Any] = {
        "category": category,
        "lat": params.get("lat", ""),
        "lng": params.get("lng", ""),
        "ticket_ids": params.get("ids", ""),
        "month": f"{first:%Y-%m}",
        "deadline": _month_end(first).isoformat(),
        "radius_m": 500,
        "title": _("%(c)s问题集中整治") % {"c": category} if category else "",
    }
    if area is not None:
        initial["area"] = area.pk
        rows = matching_rows(category, area) if category else []  # the dispatch directory's lead unit
        if rows:
            initial["lead_unit"] = rows[0].lead_unit_id
    return initial, area


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request: HttpRequest) -> HttpResponse:
    """GET: the promote form, pre-filled from ?category=&lat=&lng=&unit=&ids=; POST: topic_create, then the topic."""
    user = _user(request)
    if not may_promote(user):
        raise PermissionDenied
    initial, area = _prefill(user, request.GET)
    if request.method == "GET":
        return render(request, "tickets/topic_new.html", {"form": TopicForm(initial=initial, user=user, area=area)})
    form = TopicForm(request.POST, user=user, area=area)
    if form.is_valid():
        try:
            topic = topic_create(actor=user, **form.cleaned_data)
        except OutOfScope:
            raise Http404 from None
        except Invalid as exc:
            for name, errors in (exc.detail if isinstance(exc.detail, dict) else {}).items():
                form.add_error(name if name in form.fields else None, errors)
        except DomainError as exc:
            form.add_error(None, str(exc.detail))
        else:
            messages.success(request, _("专题已设立。"))
            return redirect("tickets-topic", pk=topic.pk)
    return render(request, "tickets/topic_new.html", {"form": form}, status=400)


# --- the monthly report --------------------------------------------------------------------------------------------
@login_required
@require_GET
def topic_report(request: HttpRequest) -> HttpResponseBase:
    """/tickets/topics/report.xlsx?month=YYYY-MM: the month's topics in scope (campaign.exports' ledger)."""
    user = _user(request)
    try:
        month = month_param(request.GET.get("month"))
    except Invalid as exc:
        return HttpResponse(str(exc.detail["month"][0]), status=400, content_type="text/plain; charset=utf-8")
    params = {"month": f"{month:%Y-%m}"}
    return ledger_response(owner=user, ledger=TOPICS_REPORT, params=params, filename=f"topics-{month:%Y%m}.xlsx")
