"""Admin of the working-day calendar: the days (节假日/调休) and the years (节假日年份), imported by campaign/admin.py.

"Adding a year" is the CalendarYear add form: an admin types the State Council's arrangement (or leaves it blank
when the installed chinese-calendar already knows the year), and the year's days are replaced in one transaction.
Both change lists say which needed years are still unknown (templates/admin/campaign/calendar_change_list.html).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.holidays import ARRANGEMENT_HELP, package_days, package_years, parse_arrangement, year_replace
from campaign.models import CalendarDay, CalendarYear

CHANGE_LIST = "admin/campaign/calendar_change_list.html"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    change_list_template = CHANGE_LIST

    @admin.display(description=gettext_lazy("星期"))
    def weekday(self, day: CalendarDay) -> str:
        return "一二三四五六日"[day.date.weekday()]


class CalendarYearForm(forms.ModelForm):
    arrangement = forms.CharField(
        label=gettext_lazy("放假和调休安排"), required=False, widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
    )  # fmt: skip

    class Meta:
        model = CalendarYear
        fields = ["year"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        more = _("填写后替换该年已有的全部记录；增加年份时留空，则从随程序提供的数据载入（如有）。")
        self.fields["arrangement"].help_text = linebreaksbr(f"{_(ARRANGEMENT_HELP)}\n{more}")

    def clean(self) -> dict[str, Any]:
        """Leaves `days` (None: keep the year's rows) and `source` in cleaned_data for CalendarYearAdmin.save_model."""
        data = super().clean() or {}
        year = data.get("year") or (self.instance.year if self.instance.pk else None)
        text = data.get("arrangement", "").strip()
        data["days"], data["source"] = None, CalendarYear.Source.ADMIN
        if year is None:
            return data
        if text:
            try:
                data["days"] = parse_arrangement(year, text)
            except ValueError as error:
                self.add_error("arrangement", str(error))
        elif not self.instance.pk:
            if year not in package_years():
                self.add_error(
                    "arrangement", _("随程序提供的数据没有 %(year)d 年，请按国务院通知填写。") % {"year": year}
                )
            else:
                data["days"], data["source"] = package_days(year), CalendarYear.Source.PACKAGE
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "source", "holidays", "workdays", "updated_at", "days_link"]
    change_list_template = CHANGE_LIST

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> list[str]:
        return ["year", "source", "updated_at"] if obj else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        def count(kind: str) -> Subquery:
            days = CalendarDay.objects.annotate(y=ExtractYear("date")).filter(y=OuterRef("year"), kind=kind)
            return Subquery(days.values("y").annotate(n=Count("pk")).values("n"), output_field=IntegerField())

        queryset = super().get_queryset(request)
        return queryset.annotate(holiday_count=count(CalendarDay.Kind.HOLIDAY), workday_count=count("workday"))

    @admin.display(description=gettext_lazy("放假天数"), ordering="holiday_count")
    def holidays(self, year: CalendarYear) -> int:
        return getattr(year, "holiday_count", None) or 0

    @admin.display(description=gettext_lazy("调休上班天数"), ordering="workday_count")
    def workdays(self, year: CalendarYear) -> int:
        return getattr(year, "workday_count", None) or 0

    @admin.display(description=gettext_lazy("逐日"))
    def days_link(self, year: CalendarYear) -> str:
        url = reverse("admin:campaign_calendarday_changelist") + f"?date__year={year.year}"
        return format_html('<a href="{}">{}</a>', url, _("查看/修改"))

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        """Runs inside the admin's transaction: the year and its days are written together."""
        days = form.cleaned_data["days"]
        obj.source = form.cleaned_data["source"] if days is not None else obj.source
        super().save_model(request, obj, form, change)
        if days is not None:
            year_replace(year=obj.year, days=days, source=obj.source)
