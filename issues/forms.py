"""Forms of the inbox pages: the filter bar of /tickets/ and one form per action of the machine (issues/machine.py).

The action forms only render fields and carry what the official typed to `ticket_apply`: every rule (five
clarities, mode rules, due dates, scope of units) lives in the machine, so a form never says "required" before
the machine has said 404 → 403 → 409 → 409 → 400 in its order (SPEC §1). The machine's field errors come back
onto these forms with `add_machine_errors`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.categories import allowed_names
from campaign.models import Category, Role, UnitKind, User
from campaign.models.org import path_prefixes
from campaign.scope import subtree_q, units_visible_to
from campaign.widgets import QuickSelect, QuickSelectMultiple
from issues.directory import proposal_for
from issues.help import HelpFields
from issues.inputs import check_action_body
from issues.merging import merged_into
from issues.models import Kind, Mode, ReturnReason, Satisfaction, Status, Ticket
from issues.who import co_links

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
UNIT_CHOICES_LIMIT = 300  # a select, not a search: departments, streets and communities of a district fit
LEADER_CHOICES_LIMIT = 200
CATEGORY_CHOICES_LIMIT = 300


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def _set_choices(field: forms.Field, choices: list[Any]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _local_input(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime(DATETIME_LOCAL) if moment else ""


def unit_choices(user: User) -> list[tuple[str, str]]:
    """Units an official may pick (filter, lead unit, co-units): their scope without grids, bounded."""
    units = units_visible_to(user).exclude(kind=UnitKind.GRID).only("pk", "name", "kind", "depth")
    units = units.order_by("path")[:UNIT_CHOICES_LIMIT]
    return [(str(u.pk), ("\u3000" * max(0, u.depth - 1)) + u.name) for u in units]


def category_choices() -> list[tuple[str, str]]:
    """Every category, active ones first (a filter may look for tickets of a category no longer offered)."""
    names = Category.objects.order_by("-active", "position", "id").values_list("name", flat=True)[
        :CATEGORY_CHOICES_LIMIT
    ]
    return [(c, c) for c in names]


class FilterForm(forms.Form):
    """The GET filter bar; the values are handed to issues.filters.tickets_filtered as they are."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False)
    mode = forms.ChoiceField(label=_("办理方式"), required=False)
    kind = forms.ChoiceField(label=_("类型"), required=False)
    category = forms.ChoiceField(label=_("类别"), required=False, widget=QuickSelect)
    unit = forms.ChoiceField(label=_("所在单位"), required=False, widget=QuickSelect)
    lead_unit = forms.ChoiceField(label=_("牵头单位"), required=False, widget=QuickSelect)
    overdue = forms.ChoiceField(label=_("超期"), required=False)
    supervision = forms.ChoiceField(label=_("督办"), required=False)
    extension = forms.ChoiceField(label=_("延期申请"), required=False)
    date_from = forms.DateField(label=_("登记日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields
        f["q"].widget.attrs.update(placeholder=_("工单编号或诉求内容"), type="search")
        _set_choices(f["status"], _blank(_("全部状态")) + list(Status.choices))
        _set_choices(f["mode"], _blank(_("全部方式")) + list(Mode.choices))
        _set_choices(f["kind"], _blank(_("全部类型")) + list(Kind.choices))
        _set_choices(f["category"], _blank(_("全部类别")) + category_choices())
        units = unit_choices(user)
        _set_choices(f["unit"], _blank(_("全部单位")) + units)
        _set_choices(f["lead_unit"], _blank(_("全部牵头单位")) + units)
        _set_choices(f["overdue"], [("", _("不限")), ("true", _("已超期")), ("false", _("未超期"))])
        _set_choices(f["supervision"], [("", _("不限")), ("1,2", _("已督办")), ("1", _("黄牌")), ("2", _("红牌"))])
        _set_choices(f["extension"], [("", _("不限")), ("1", _("待审批")), ("0", _("无待审批"))])

    @property
    def has_filters(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


# --- action forms --------------------------------------------------------------------------------------------
class ActionForm(forms.Form):
    """One action of the machine. `machine_data()` is the `data` handed to ticket_apply."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submit_label: Any = _("提交")
    danger = False  # cancel / close: the button asks for a confirmation (static/js/tickets/ticket.js)

    def __init__(self, *args: Any, ticket: Ticket, user: User, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")  # several forms on one page: unique ids, plain names
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", ticket.version)
        super().__init__(*args, **kwargs)
        self.ticket, self.user, self.action = ticket, user, action
        for field in self.fields.values():
            field.required = False  # the machine decides what is missing (and says so after 404/403/409)
        self.setup()

    def setup(self) -> None:
        """Per-action choices and initial values."""

    def machine_data(self) -> dict[str, Any]:
        """What the official typed, blanks left out (so values already on the ticket count, as the machine says)."""
        data: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name == "version":
                continue
            if isinstance(field, forms.MultipleChoiceField):
                raw = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name) or []
                data[name] = [v for v in raw if v]
                continue
            value = self.data.get(name, "")
            if isinstance(value, str):
                value = value.strip()
            if value not in ("", None):
                data[name] = value
        check_action_body(data)  # Invalid: the view shows each message beside its field
        return data

    def add_machine_errors(self, errors: dict[str, Any]) -> None:
        """Field errors of an Invalid (400): next to their field, or above the form when it has none."""
        for name, messages in errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(name if name in self.fields and name != "version" else None, str(message))

    def full_clean(self) -> None:
        # Only the machine validates; Django's own checks (e.g. "select a valid choice") would repeat them.
        self._errors = ErrorDict()
        self.cleaned_data = {}


def _text(label: Any, *, rows: int = 3, max_length: int = 4000) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}))


def _due_at(label: Any) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class DispatchForm(ActionForm):
    submit_label = _("派单")
    category = forms.ChoiceField(label=_("类别（确认或更改）"), required=False, widget=QuickSelect)
    mode = forms.ChoiceField(label=_("办理方式（六办工作法）"))
    problem = _text(_("问题明确"), max_length=2000)
    lead_unit = forms.ChoiceField(label=_("牵头单位（责任明确）"), widget=QuickSelect)
    responsible_person = forms.CharField(label=_("责任人"), max_length=50)
    due_at = _due_at(_("办理时限（时限明确，留空按办理方式默认）"))
    measures = _text(_("措施明确"), max_length=2000)
    expected_effect = _text(_("效果明确"), max_length=2000)
    co_units = forms.MultipleChoiceField(
        label=_("协办单位（积极办必填）"), widget=QuickSelectMultiple(attrs={"size": 4})
    )
    lead_official = forms.ChoiceField(label=_("包案领导（主动办必填）"), widget=QuickSelect)

    def setup(self) -> None:
        t, f = self.ticket, self.fields
        units = unit_choices(self.user)
        names = allowed_names(t.campaign)
        names += [t.category] if t.category and t.category not in names else []
        _set_choices(f["category"], _blank(_("未分类")) + [(n, n) for n in names])
        _set_choices(f["mode"], _blank(_("请选择")) + list(Mode.choices))
        _set_choices(f["lead_unit"], _blank(_("请选择")) + units)
        _set_choices(f["co_units"], units)
        _set_choices(f["lead_official"], _blank(_("无")) + leader_choices(self.user, t))
        co_units = [str(link.unit_id) for link in co_links(t)]
        proposal = proposal_for(t.category, t.unit) if t.lead_unit_id is None else None
        if proposal is not None:  # never dispatched: the directory's most specific row pre-fills the form
            f["lead_unit"].help_text = _("派单目录：%(u)s") % {"u": proposal.lead_unit_name}
            co_units = co_units or [str(pk) for pk in proposal.co_unit_ids]
        self.initial.update(
            category=t.category,
            mode=t.mode or (proposal.mode if proposal else ""),
            problem=t.problem or t.description[:2000],
            lead_unit=t.lead_unit_id or (proposal.lead_unit_id if proposal else ""),
            responsible_person=t.responsible_person,
            measures=t.measures,
            expected_effect=t.expected_effect,
            co_units=co_units,
            lead_official=t.lead_official_id or "",
        )


def leader_choices(user: User, ticket: Ticket) -> list[tuple[str, str]]:
    """Leaders who may lead the ticket (包案): over the ticket's unit, or in the dispatcher's scope."""
    q = Q(unit__path__in=path_prefixes(ticket.unit.path))
    if user.unit is not None:
        q |= subtree_q(user.unit)
    leaders = User.objects.filter(q, role=Role.LEADER, is_active=True).select_related("unit").order_by("unit__path")
    return [(str(u.pk), f"{u}（{u.unit}）") for u in leaders[:LEADER_CHOICES_LIMIT]]


class ReturnForm(ActionForm):
    submit_label = _("退回")
    reason_code = forms.ChoiceField(label=_("退回原因"), choices=ReturnReason.choices, initial=ReturnReason.OTHER)
    reason = _text(_("退回说明"), rows=2)


class AcceptForm(ActionForm):
    submit_label = _("签收")


class ReassignForm(ActionForm):
    submit_label = _("改派")
    lead_unit = forms.ChoiceField(label=_("新的牵头单位（留空不变）"), widget=QuickSelect)
    co_units = forms.MultipleChoiceField(label=_("协办单位"), widget=QuickSelectMultiple(attrs={"size": 4}))
    reason = _text(_("改派理由"), rows=2)

    def setup(self) -> None:
        units = unit_choices(self.user)
        _set_choices(self.fields["lead_unit"], _blank(_("不变")) + units)
        _set_choices(self.fields["co_units"], units)
        self.initial["co_units"] = self._current()

    def _current(self) -> list[str]:
        return [str(link.unit_id) for link in co_links(self.ticket)]

    def machine_data(self) -> dict[str, Any]:
        data = super().machine_data()
        if sorted(data.get("co_units", [])) == sorted(self._current()):
            data.pop("co_units", None)  # unchanged: the machine keeps the co-units as they are
        return data


class ExtendForm(ActionForm):
    """A dispatcher's extension: pre-filled with the pending request's date (granting it), else the current one."""

    submit_label = _("延期")
    due_at = _due_at(_("新的办理时限"))
    reason = _text(_("理由"), rows=2)

    def setup(self) -> None:
        self.initial["due_at"] = _local_input(self.ticket.requested_due_at or self.ticket.due_at)
        if self.ticket.requested_due_at is not None:
            self.fields["due_at"].label = _("新的办理时限（默认为申请的日期）")
            self.initial["reason"] = _("同意延期申请。")

    def machine_data(self) -> dict[str, Any]:
        data = super().machine_data()
        requested = self.ticket.requested_due_at
        if requested is not None and data.get("due_at") == _local_input(requested):
            data["due_at"] = requested.isoformat()  # the pre-filled minute stands for the requested moment itself
        return data


class RequestExtensionForm(ActionForm):
    submit_label = _("申请延期")
    due_at = _due_at(_("申请延期至"))
    reason = _text(_("延期理由"), rows=2)

    def setup(self) -> None:
        self.initial["due_at"] = _local_input(self.ticket.due_at)


class RefuseExtensionForm(ActionForm):
    submit_label = _("拒绝延期")
    reason = _text(_("拒绝理由（将通知承办单位）"), rows=2)


class InstructForm(ActionForm):
    submit_label = _("批示")
    note = _text(_("批示内容"), rows=2)


class ProgressForm(ActionForm):
    submit_label = _("报送进展")
    note = _text(_("进展情况"), rows=2)


class AssistForm(ActionForm):
    submit_label = _("提交协办情况")
    part = _text(_("本单位协办情况"))


class ResolveForm(HelpFields, ActionForm):  # 帮扶成效: help_<key> per count of the ticket's campaign
    submit_label = _("办结")
    result = _text(_("办理结果（内部）"))
    public_reply = _text(_("公开答复（选填：群众在进度查询中可见，勿含个人信息）"))
    public_notice = _text(_("公开说明（公开办必填）"))

    def setup(self) -> None:
        if self.ticket.mode != Mode.PUBLIC:
            del self.fields["public_notice"]
        super().setup()


class ResolveOnSiteForm(HelpFields, ActionForm):
    submit_label = _("现场解决")
    result = _text(_("办理结果（含政策解释）"))


class AnswerDirectlyForm(HelpFields, ActionForm):
    submit_label = _("直办答复")
    result = _text(_("答复内容（内部记录：政策解释、咨询答复）"))
    public_reply = _text(_("公开答复（选填：群众在进度查询中可见，勿含个人信息）"))


MERGED_RATING = "rating_of_"  # the callback form's field of a merged requester's rating: rating_of_<ticket id>


class CallbackForm(ActionForm):
    submit_label = _("提交回访")
    rating = forms.ChoiceField(label=_("回访结果"))
    note = _text(_("回访记录"), rows=2)
    due_at = _due_at(_("重办时限（不满意时，留空按默认）"))

    def setup(self) -> None:
        _set_choices(self.fields["rating"], _blank(_("请选择")) + list(Satisfaction.choices))
        # every requester of a ticket merged into this one is called back and rated too (issue 15 item 3); the page
        # lists them from here (issues.views._merged_requesters), so they are read once per page
        self.merged = merged_into(self.ticket)
        for other in self.merged:
            field = forms.ChoiceField(label=_("合并诉求 %(code)s 的回访结果") % {"code": other.code}, required=False)
            _set_choices(field, _blank(_("未回访")) + list(Satisfaction.choices))
            self.fields[f"{MERGED_RATING}{other.pk}"] = field

    def machine_data(self) -> dict[str, Any]:
        data = super().machine_data()
        ratings = {
            name.removeprefix(MERGED_RATING): data.pop(name) for name in list(data) if name.startswith(MERGED_RATING)
        }
        if ratings:
            data["ratings"] = ratings
        return data


class CloseForm(ActionForm):
    submit_label = _("关闭工单")
    danger = True


class SuperviseForm(ActionForm):
    submit_label = _("督办")
    level = forms.ChoiceField(label=_("督办等级"))

    def setup(self) -> None:
        levels = [("1", _("黄牌督办")), ("2", _("红牌督办"))]
        _set_choices(self.fields["level"], [c for c in levels if int(c[0]) > self.ticket.supervision])


class CancelForm(ActionForm):
    submit_label = _("撤销工单")
    danger = True
    reason = _text(_("撤销理由"), rows=2)
    merge_into = forms.CharField(label=_("合并至工单（重复诉求时填写工单编号）"), max_length=32)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "resolve_on_site": ResolveOnSiteForm,
    "answer_directly": AnswerDirectlyForm,
    "dispatch": DispatchForm,
    "accept": AcceptForm,
    "return": ReturnForm,
    "reassign": ReassignForm,
    "request_extension": RequestExtensionForm,
    "extend": ExtendForm,
    "refuse_extension": RefuseExtensionForm,
    "instruct": InstructForm,
    "progress": ProgressForm,
    "assist": AssistForm,
    "resolve": ResolveForm,
    "callback": CallbackForm,
    "close": CloseForm,
    "supervise": SuperviseForm,
    "cancel": CancelForm,
}


def action_form(action: str, *, ticket: Ticket, user: User, data: Any = None) -> ActionForm:
    return ACTION_FORMS[action](data, ticket=ticket, user=user, action=action)
