"""The admin's bulk assignment page (issue 16 item 1), /admin/campaign/assignment/bulk/: an assigner picks a cadre (or
a leader) and a unit (a grid, or any unit: its subtree) or a household tag, and every household and enterprise there
is assigned to them at once, as POST /api/v1/assignments/bulk/ does — the same services
(campaign.assignments.assignments_bulk_by_unit / assignments_bulk_by_tag), so the same scope, roles, limits and
idempotency: a second run adds nothing and says so.

The selects offer only what the assigner's scope holds, but the posted ids go to the services as given: an id out of
scope answers 404 (as the API), a refused value (the unit outside the assignee's scope, too many targets) is shown on
its field with nothing stored. AssignmentAdmin.get_urls registers the view.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.assignments import (
    ASSIGNEE_ROLES,
    BATCH_MAX,
    BulkResult,
    assignees_visible_to,
    assignments_bulk_by_tag,
    assignments_bulk_by_unit,
    check_assigner,
)
from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.models import HOUSEHOLD_TAGS, AssignmentTarget, User
from campaign.scope import units_visible_to

UNITS_OFFERED = 5000  # the unit select lists at most this many (a district has a few hundred grids)
ASSIGNEES_OFFERED = 5000  # and assignees: a district's cadres; more than this, narrow the scope


class AssignmentBulkForm(forms.Form):
    """Ids are integers rendered as selects of the assigner's scope; the services judge them (scope first)."""

    user = forms.IntegerField(label=gettext_lazy("包联人"), widget=forms.Select)
    by = forms.ChoiceField(
        label=gettext_lazy("分配方式"),
        choices=[("unit", gettext_lazy("按网格（单位）：其中全部住户和企业")), ("tag", gettext_lazy("按标签：带该标签的住户"))],
        widget=forms.RadioSelect,
        initial="unit",
    )  # fmt: skip
    unit = forms.IntegerField(
        label=gettext_lazy("网格（单位）"), required=False, widget=forms.Select,
        help_text=gettext_lazy("按标签分配时可选：只分配该单位内带标签的住户。"),
    )  # fmt: skip
    target_types = forms.MultipleChoiceField(
        label=gettext_lazy("对象类型"),
        choices=[(AssignmentTarget.HOUSEHOLD, gettext_lazy("住户")), (AssignmentTarget.ENTERPRISE, gettext_lazy("企业"))],
        widget=forms.CheckboxSelectMultiple,
        initial=[AssignmentTarget.HOUSEHOLD, AssignmentTarget.ENTERPRISE],
        required=False,
    )  # fmt: skip
    tag = forms.ChoiceField(
        label=gettext_lazy("标签"), choices=[("", "---------"), *((t, t) for t in HOUSEHOLD_TAGS)], required=False
    )
    batch = forms.CharField(
        label=gettext_lazy("包联清单"), required=False, max_length=BATCH_MAX,
        help_text=gettext_lazy("留空时记为“网格：单位名称”或“标签：标签名”。"),
    )  # fmt: skip

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = assignees_visible_to(actor).filter(role__in=ASSIGNEE_ROLES).order_by("unit__path", "username")
        self.fields["user"].widget.choices = [("", "---------")] + [
            (u.pk, f"{u.display_name or u.username}（{u.username} · {u.unit.name if u.unit else '-'}）")
            for u in people[:ASSIGNEES_OFFERED]
        ]
        units = units_visible_to(actor).only("pk", "name", "depth").order_by("path")[:UNITS_OFFERED]
        self.fields["unit"].widget.choices = [("", "---------")] + [
            (unit.pk, "　" * unit.depth + unit.name) for unit in units
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("by") == "unit":
            if data.get("unit") is None:
                self.add_error("unit", _("请选择网格或单位。"))
            if not data.get("target_types"):
                self.add_error("target_types", _("请至少选择一种对象类型。"))
        elif data.get("by") == "tag" and not data.get("tag"):
            self.add_error("tag", _("请选择标签。"))
        return data


def bulk_assign(actor: User, data: dict[str, Any]) -> BulkResult:
    """The service the form's choice names: OutOfScope (404), NotAllowed (403) or Invalid (400) as the API's."""
    if data["by"] == "unit":
        return assignments_bulk_by_unit(
            actor=actor, user_id=data["user"], unit_id=data["unit"], target_types=data["target_types"],
            batch=data["batch"],
        )  # fmt: skip
    return assignments_bulk_by_tag(
        actor=actor, user_id=data["user"], tag=data["tag"], unit_id=data["unit"], batch=data["batch"]
    )


def bulk_view(request: HttpRequest, admin_context: dict[str, Any]) -> HttpResponse:
    """GET: the form; POST: assign, then back to the form saying how many were added and how many were there already
    (not to the assignments' list, which needs the model's view permission a street's leader may not hold). Roles that
    assign only (403), as the import."""
    actor: User = request.user  # type: ignore[assignment]
    try:
        check_assigner(actor)
    except NotAllowed:
        raise PermissionDenied from None
    form = AssignmentBulkForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            result = bulk_assign(actor, form.cleaned_data)
        except OutOfScope:
            raise Http404(_("用户或单位不存在，或不在您的管辖范围内。")) from None
        except Invalid as exc:
            for field, problems in exc.payload().items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, str(problem))
        else:
            text = _("已包联 %(created)d 个对象（清单“%(batch)s”），另有 %(existing)d 个此前已包联，未重复添加。")
            messages.success(
                request, text % {"created": result.created, "existing": result.existing, "batch": result.batch}
            )
            return HttpResponseRedirect(
                reverse("admin:campaign_assignment_bulk")
            )  # the list may need a model permission
    context = {**admin_context, "title": _("批量包联"), "form": form}
    return TemplateResponse(request, "admin/campaign/assignment_bulk.html", context, status=400 if form.errors else 200)
