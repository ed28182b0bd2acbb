"""An unknown year is said on /admin/ and on the dashboard, and an admin adds the year in the admin."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaign.holidays import package_years
from campaign.models import CalendarDay, CalendarYear

SHANGHAI = ZoneInfo("Asia/Shanghai")
DECEMBER = dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)  # deadlines can reach 2027, which is not known
JUNE = dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)  # they reach 2026 only, which is
NOTICE = "2027 年的法定节假日和调休安排尚未录入，按工作日计算的办理时限在这些年份只扣除周末。"
ADD_YEAR = "/admin/campaign/calendaryear/add/"


@pytest.fixture
def staff_admin(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


@pytest.fixture
def working_days_campaign(campaign_obj):
    campaign_obj.working_days = True
    campaign_obj.save()
    return campaign_obj


def page(client, user, path: str, when: dt.datetime, **params: str) -> str:
    client.force_login(user)
    with time_machine.travel(when):
        response = client.get(path, params)
    assert response.status_code == 200
    return response.content.decode()


# --- /admin/ ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/", "/admin/campaign/calendarday/", "/admin/campaign/calendaryear/"])
def test_the_admin_says_2027_is_unknown_and_links_to_adding_it(client, staff_admin, path):
    html = page(client, staff_admin, path, DECEMBER)
    assert 'id="calendar-notice"' in html and NOTICE in html
    assert f'href="{ADD_YEAR}?year=2027"' in html


def test_the_admin_says_nothing_when_the_needed_years_are_known(client, staff_admin):
    assert 'id="calendar-notice"' not in page(client, staff_admin, "/admin/", JUNE)


def test_the_years_list_counts_each_years_days_in_one_query(client, staff_admin, django_assert_max_num_queries):
    client.force_login(staff_admin)
    with django_assert_max_num_queries(9):  # session, user, counts, the notice…: the same for 23 years as for one
        html = client.get("/admin/campaign/calendaryear/").content.decode()
    assert html.count('<th class="field-year">') == len(package_years())
    # 2026: 33 days off (元旦 3, 春节 9, 清明 3, 劳动节 5, 端午 3, 中秋 3, 国庆 7), 6 make-up working days
    assert '<td class="field-holidays">33</td>' in html and '<td class="field-workdays">6</td>' in html


# --- adding a year ------------------------------------------------------------------------------------------------
def test_an_admin_adds_2027_from_the_notice_and_the_notice_goes(client, staff_admin):
    client.force_login(staff_admin)
    arrangement = "元旦 01-01~01-03\n国庆节 10-01~10-07 上班 09-26 10-09"
    with time_machine.travel(DECEMBER):
        response = client.post(ADD_YEAR, {"year": "2027", "arrangement": arrangement})
        assert response.status_code == 302
        after = client.get("/admin/").content.decode()
    assert CalendarYear.objects.get(year=2027).source == CalendarYear.Source.ADMIN
    days = CalendarDay.objects.filter(date__year=2027)
    assert days.filter(kind=CalendarDay.Kind.HOLIDAY).count() == 10
    assert list(days.filter(kind=CalendarDay.Kind.WORKDAY).values_list("name", flat=True)) == ["国庆节调休"] * 2
    assert 'id="calendar-notice"' not in after


def test_a_wrong_arrangement_names_the_line_and_stores_nothing(client, staff_admin):
    client.force_login(staff_admin)
    response = client.post(ADD_YEAR, {"year": "2027", "arrangement": "元旦 01-01\n国庆节 10-01 上班 10-08"})
    assert response.status_code == 200
    assert "第 2 行：调休上班日 2027-10-08 不是周六或周日" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists() and not CalendarDay.objects.filter(date__year=2027)


def test_a_blank_arrangement_loads_the_year_from_the_package_or_is_refused(client, staff_admin):
    CalendarYear.objects.filter(year=2010).delete()
    CalendarDay.objects.filter(date__year=2010).delete()
    client.force_login(staff_admin)
    assert client.post(ADD_YEAR, {"year": "2010", "arrangement": ""}).status_code == 302
    assert CalendarYear.objects.get(year=2010).source == CalendarYear.Source.PACKAGE
    assert CalendarDay.objects.get(date="2010-10-01").name == "国庆节"
    refused = client.post(ADD_YEAR, {"year": "2027", "arrangement": ""})
    assert "随程序提供的数据没有 2027 年，请按国务院通知填写。" in refused.content.decode()


def test_editing_a_year_with_an_arrangement_replaces_its_days(client, staff_admin):
    client.force_login(staff_admin)
    response = client.post("/admin/campaign/calendaryear/2026/change/", {"arrangement": "国庆节 10-01~10-08"})
    assert response.status_code == 302
    assert list(CalendarDay.objects.filter(date__year=2026).values_list("name", flat=True)) == ["国庆节"] * 8
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.ADMIN


# --- the dashboard ------------------------------------------------------------------------------------------------
def test_the_dashboard_says_so_while_a_campaign_counts_working_days(client, leader, working_days_campaign):
    html = page(client, leader, "/dashboard/", DECEMBER)
    assert 'id="calendar-notice"' in html and NOTICE in html and "国务院公布后请管理员录入。" in html


def test_the_dashboard_says_nothing_with_calendar_days_on_the_wall_or_in_june(
    client, leader, campaign_obj, working_days_campaign
):
    assert 'id="calendar-notice"' not in page(client, leader, "/dashboard/", JUNE)
    assert 'id="calendar-notice"' not in page(client, leader, "/dashboard/", DECEMBER, wall="1")
    working_days_campaign.working_days = False
    working_days_campaign.save()
    assert 'id="calendar-notice"' not in page(client, leader, "/dashboard/", DECEMBER)
