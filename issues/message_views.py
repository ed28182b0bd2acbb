"""The senders' page of messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7): /tickets/messages/ lists the
messages sent to units in scope, newest first, with recipients and their read and done rates, above a form to send
one (POST → issues.messages.message_send → redirect → GET). Leaders, dispatchers and admins; other roles 403. No
inline script or style: the rates are <progress> elements, as on the topics page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.fields import validate_text
from campaign.models import UnitKind, User
from campaign.scope import units_visible_to
from issues.messages import may_send, message_send, messages_visible_to, rate
from issues.models import MessageKind, MessageReceipt
from issues.models.messages import TEXT_MAX

PAGE_SIZE = 50
UNIT_CHOICES_LIMIT = 300  # the form's recipients' units: the scope's streets, communities and grids, tree order


def _pct(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def _unit_choices(user: User) -> list[tuple[int, str]]:
    units = units_visible_to(user).exclude(kind__in=(UnitKind.DEPARTMENT, UnitKind.PARK)).order_by("path")
    return [(u.pk, "\u3000" * max(0, u.depth) + u.name) for u in units.only("pk", "name", "depth")[:UNIT_CHOICES_LIMIT]]


class MessageForm(forms.Form):
    """Shapes only; the rules (a task's due date, today or later) are message_send's, whose errors come back here."""

    unit = forms.TypedChoiceField(label=gettext_lazy("接收单位（其下所有走访干部）"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=MessageKind.choices, initial=MessageKind.MESSAGE)
    text = forms.CharField(
        label=gettext_lazy("内容"),
        max_length=TEXT_MAX,
        validators=[validate_text],
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )
    due_date = forms.DateField(
        label=gettext_lazy("完成时限（任务必填）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(user)  # type: ignore[attr-defined]


def _rows(page: Any) -> list[Any]:
    rows = list(page.object_list)
    for message in rows:
        message.read_pct = _pct(rate(message.read, message.recipients))
        task = message.kind == MessageKind.TASK
        message.done_pct = _pct(rate(message.done, message.recipients)) if task else None
    return rows


def _send(request: HttpRequest, user: User, form: MessageForm) -> bool:
    """message_send with the form's values; its field errors come back onto the form. True when sent."""
    try:
        message_send(sender=user, unit_id=form.cleaned_data["unit"], **{k: form.cleaned_data[k] for k in
                     ("kind", "text", "due_date")})  # fmt: skip
    except OutOfScope:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None
    except Invalid as exc:
        for name, errors in (exc.detail if isinstance(exc.detail, dict) else {}).items():
            form.add_error(name if name in form.fields else None, errors)
        return False
    return True


RECEIVED_SHOWN = 10


def received_by(user: User) -> list[MessageReceipt]:
    """The messages sent to the user themselves — a leader's reminders of must-visits overdue in their grids
    (visits.must_visit_reminders) —, unread first, newest first; shown here, so read once shown. Two queries."""
    rows = list(
        MessageReceipt.objects.filter(user=user)
        .select_related("message")
        .order_by(F("read_at").asc(nulls_first=True), "-message__created_at", "-pk")[:RECEIVED_SHOWN]
    )
    unread = [row.pk for row in rows if row.read_at is None]
    if unread:
        MessageReceipt.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=timezone.now())
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def messages_page(request: HttpRequest) -> HttpResponse:
    """GET: the messages sent in scope and the form; POST: send one, then back here (the form again, 400, if not)."""
    user: User = request.user  # type: ignore[assignment]
    if not may_send(user):
        raise PermissionDenied
    form = MessageForm(request.POST or None, user=user, initial={"unit": user.unit_id})
    if request.method == "POST":
        if form.is_valid() and _send(request, user, form):
            flash.success(request, _("已发送，接收的干部将在手机走访页看到。"))
            return redirect("tickets-messages")
    page = Paginator(messages_visible_to(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "rows": _rows(page), "received": received_by(user)}
    return render(request, "tickets/messages.html", context, status=400 if form.is_bound else 200)
