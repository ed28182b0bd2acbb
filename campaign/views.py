"""Pages of the core: the landing page and the review of the personal-data access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from campaign.days import day_start
from campaign.models import AccessLog, RevealReason, Role, User
from campaign.scope import within

ACCESS_LOG_PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A landing page that sends each role to its work: cadres to /m/, officials to /tickets/, leaders to /dashboard/."""
    return render(request, "home.html")


class AccessLogFilter(forms.Form):
    user = forms.CharField(label=_("用户名"), required=False, max_length=150)
    object_type = forms.ChoiceField(
        label=_("对象"),
        required=False,
        choices=[("", _("全部")), ("household", _("住户")), ("enterprise", _("企业")), ("ticket", _("工单"))],
    )
    reason = forms.ChoiceField(label=_("原因"), required=False, choices=[("", _("全部")), *RevealReason.choices])
    date_from = forms.DateField(label=_("起始日期"), required=False)
    date_to = forms.DateField(label=_("截止日期"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data


def _filtered_log(viewer: User, data: dict[str, Any]) -> QuerySet[AccessLog]:
    # Scope first: the rows of readers in the viewer's scope, then the filters.
    rows = within(AccessLog.objects.select_related("user", "user__unit"), viewer, "user__unit")
    if data.get("user"):
        rows = rows.filter(user__username=data["user"])
    if data.get("object_type"):
        rows = rows.filter(object_type=data["object_type"])
    if data.get("reason"):
        rows = rows.filter(reason=data["reason"])
    if data.get("date_from"):
        rows = rows.filter(at__gte=day_start(data["date_from"]))
    if data.get("date_to"):
        rows = rows.filter(at__lt=day_start(data["date_to"] + timedelta(days=1)))
    return rows.order_by("-at", "-id")


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """Leaders and admins review who revealed which personal values, when, from where and why (issue 12 item 4).
    The log holds no personal value; readers are staff of the viewer's scope."""
    viewer: User = request.user  # type: ignore[assignment]
    if not (viewer.is_superuser or viewer.role in (Role.LEADER, Role.ADMIN)):
        raise PermissionDenied
    form = AccessLogFilter(request.GET or None)
    refused = form.is_bound and not form.is_valid()
    rows = AccessLog.objects.none() if refused else _filtered_log(viewer, form.cleaned_data if form.is_bound else {})
    page = Paginator(rows, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/access_log.html", context, status=400 if refused else 200)
