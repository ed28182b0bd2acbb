"""Must-visit lists (四门必敲, issue 16 item 2): which households are must-visits, the overdue clock, the coverage per
unit, /m/'s section, the daily reminders and their escalation to the grid's leader, and hostile campaign settings."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from campaign.admin import CampaignAdmin
from campaign.days import day_start, today
from campaign.models import Campaign, MustVisitReminder, Role
from issues.models import CadreMessage, MessageReceipt
from tests.factories import CampaignFactory, HouseholdFactory, UserFactory
from visits.models import Visit
from visits.must_visit import must_visit_coverage, my_must_visits, overdue_must_visits
from visits.must_visit_reminders import must_visit_remind
from visits.tasks import must_visit_remind as must_visit_remind_task

N = 30
DAY = today()


def visit(cadre, household, *, days_ago: int, campaign) -> Visit:
    """A visit `days_ago` Asia/Shanghai days before DAY, at 10:00."""
    return Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="household",
        household=household,
        unit=household.unit,
        campaign=campaign,
        visited_at=day_start(DAY - dt.timedelta(days=days_ago)) + dt.timedelta(hours=10),
        geo_status="verified",
        body_hash="x",
    )


@pytest.fixture
def must_campaign(campaign_obj):
    """The district's campaign (since 2026-01-01): the elderly alone and the low-income every 30 days."""
    campaign_obj.must_visit_tags = ["独居老人", "低保"]
    campaign_obj.must_visit_days = N
    campaign_obj.full_clean()
    campaign_obj.save()
    return campaign_obj


@pytest.fixture
def doors(org, cadre, cadre2, must_campaign):
    """grid1: never visited, visited N+1, N and N−1 days ago, a veteran and an untagged one (not must-visits);
    grid2: visited 2 days ago."""

    def home(unit, tags, address):
        return HouseholdFactory(unit=unit, tags=tags, address=address, head_name="王小明")

    d = {
        "never": home(org.grid1, ["独居老人"], "丈八一路1号"),
        "late": home(org.grid1, ["低保", "残疾"], "丈八一路2号"),
        "due_today": home(org.grid1, ["低保"], "丈八一路3号"),
        "due_tomorrow": home(org.grid1, ["独居老人"], "丈八一路4号"),
        "veteran": home(org.grid1, ["退役军人"], "丈八一路5号"),
        "untagged": home(org.grid1, [], "丈八一路6号"),
        "grid2": home(org.grid2, ["独居老人"], "鱼化一路1号"),
    }
    visit(cadre, d["late"], days_ago=N + 1, campaign=must_campaign)
    visit(cadre, d["due_today"], days_ago=N, campaign=must_campaign)
    visit(cadre2, d["due_tomorrow"], days_ago=N - 1, campaign=must_campaign)  # any cadre's visit counts
    visit(cadre2, d["grid2"], days_ago=2, campaign=must_campaign)
    visit(cadre, d["never"], days_ago=1, campaign=None)  # not in the campaign: does not count
    return d


def ids(rows):
    return [row.id for row in rows]


# --- which households, and the clock --------------------------------------------------------------------------------
def test_must_visits_are_the_tagged_households_of_the_running_campaign_overdue_first(org, doors):
    listed = overdue_must_visits(org.district, DAY, limit=50)
    assert (listed.total, listed.overdue) == (5, 2)
    assert ids(listed.rows) == [doors["never"].pk, doors["late"].pk]  # never visited first, then the oldest visit

    never, late = listed.rows
    assert never.overdue and never.escalated and never.last_visit is None and never.due is None
    assert never.tags == ["独居老人"] and never.name != "王小明"  # masked
    assert late.overdue and late.overdue_days == 1 and not late.escalated
    assert late.tags == ["低保"] and late.due == DAY - dt.timedelta(days=1)


def test_visited_n_minus_one_or_n_days_ago_is_not_overdue_and_n_plus_one_is(cadre, doors):
    mine = my_must_visits(cadre, DAY)
    assert mine is not None and (mine.total, mine.overdue) == (4, 2)  # grid1's four must-visits, not grid2's
    by_id = {row.id: row for row in mine.rows}
    assert ids(mine.rows) == [doors[k].pk for k in ("never", "late", "due_today", "due_tomorrow")]
    assert (by_id[doors["due_today"].pk].overdue, by_id[doors["due_today"].pk].due) == (False, DAY)
    assert by_id[doors["due_tomorrow"].pk].due == DAY + dt.timedelta(days=1)
    assert by_id[doors["late"].pk].overdue


def test_no_must_visits_when_the_campaign_has_none_or_is_not_running(org, cadre, doors, must_campaign):
    must_campaign.end_date = DAY - dt.timedelta(days=1)
    must_campaign.save()
    assert my_must_visits(cadre, DAY).total == 0
    assert must_visit_coverage(org.street1, DAY)[0]["must_visit"] == 0


def test_the_newest_campaign_of_a_unit_governs_its_must_visits(org, cadre, doors, must_campaign):
    newer = CampaignFactory(start_date=DAY - dt.timedelta(days=5))  # street1 only, no must-visit list
    newer.units.add(org.street1)
    assert overdue_must_visits(org.district, DAY, limit=50).total == 1  # grid2's only
    newer.must_visit_tags, newer.must_visit_days = ["退役军人"], 7
    newer.save()
    listed = overdue_must_visits(org.district, DAY, limit=50)
    assert ids(listed.rows) == [doors["veteran"].pk] and listed.rows[0].days == 7
    assert listed.rows[0].never_visited and listed.rows[0].overdue_days == 6  # since the newer campaign began


def test_other_roles_and_out_of_scope_households_are_not_listed(org, cadre2, street_leader, doors):
    assert my_must_visits(street_leader, DAY) is None
    assert ids(my_must_visits(cadre2, DAY).rows) == [doors["grid2"].pk]


def test_overdue_by_more_than_two_intervals_is_escalated(org, cadre, must_campaign):
    old = HouseholdFactory(unit=org.grid1, tags=["低保"])
    middling = HouseholdFactory(unit=org.grid1, tags=["低保"])
    visit(cadre, old, days_ago=3 * N + 1, campaign=must_campaign)  # overdue by 2N + 1
    visit(cadre, middling, days_ago=3 * N - 1, campaign=must_campaign)  # overdue by 2N − 1
    rows = {row.id: row for row in overdue_must_visits(org.grid1, DAY, limit=50).rows}
    assert rows[old.pk].escalated and rows[old.pk].last_visit is None  # older than the window read
    assert not rows[middling.pk].escalated and rows[middling.pk].overdue_days == 2 * N - 1


# --- coverage and cost ---------------------------------------------------------------------------------------------
def test_coverage_per_child_unit(org, doors):
    rows = {row["name"]: row for row in must_visit_coverage(org.district, DAY)}
    assert rows["丈八街道"] == {
        "unit": org.street1.pk,
        "name": "丈八街道",
        "must_visit": 4,
        "visited": 2,
        "overdue": 2,
        "coverage": 0.5,
    }
    assert (rows["鱼化寨街道"]["must_visit"], rows["鱼化寨街道"]["coverage"]) == (1, 1.0)
    assert rows["城管局"]["coverage"] is None and "高新区" not in rows
    assert [row["unit"] for row in must_visit_coverage(org.grid1, DAY)] == [org.grid1.pk]  # a leaf: itself


def test_each_read_takes_a_fixed_number_of_queries(org, cadre, doors, must_campaign, django_assert_max_num_queries):
    def reads():
        with django_assert_max_num_queries(3):
            must_visit_coverage(org.district, DAY)
        with django_assert_max_num_queries(3):
            overdue_must_visits(org.district, DAY, limit=50)
        with django_assert_max_num_queries(3):
            my_must_visits(cadre, DAY)

    reads()
    for i in range(30):
        home = HouseholdFactory(unit=org.grid1 if i % 2 else org.grid2, tags=["独居老人"])
        visit(cadre, home, days_ago=i, campaign=must_campaign)
    reads()


def test_visits_are_read_only_since_the_window(org, doors):
    """A literal lower bound on visited_at in every read of visits: PostgreSQL skips the older months' partitions."""
    if connection.vendor != "postgresql":
        pytest.skip("visits are partitioned by month on PostgreSQL only")
    with CaptureQueriesContext(connection) as ctx:
        overdue_must_visits(org.district, DAY, limit=50)
        must_visit_coverage(org.district, DAY)
    reads = [q["sql"] for q in ctx.captured_queries if "visits_visit" in q["sql"]]
    assert len(reads) == 3
    floors = [f"\"visited_at\" >= '{day_start(DAY - dt.timedelta(days=k * N)).isoformat()}'" for k in (1, 3)]
    assert all(any(floor in sql for floor in floors) for sql in reads)
    assert any(floors[1] in sql for sql in reads)  # the rows' last visit: 3·N days back


# --- /m/ -----------------------------------------------------------------------------------------------------------
def test_the_phone_page_shows_the_must_visits_overdue_first(web, cadre, doors):
    html = web(cadre).get("/m/").content.decode()
    assert 'id="must-visit"' in html and "必访对象（四门必敲）" in html
    assert "共 4 户，逾期 2 户" in html
    section = html[html.index('id="must-visit"') : html.index("</section>", html.index('id="must-visit"'))]
    order = [section.index(f'data-id="{doors[k].pk}"') for k in ("never", "late", "due_today", "due_tomorrow")]
    assert order == sorted(order)
    assert section.count('class="small must-visit-log"') == 4 and "js/m/must_visit.js" in html


def test_the_phone_page_has_no_section_without_must_visits(web, cadre, campaign_obj):
    assert 'id="must-visit"' not in web(cadre).get("/m/").content.decode()


# --- the daily reminders -------------------------------------------------------------------------------------------
@pytest.fixture
def community_leader(org):
    return UserFactory(username="c1leader", role=Role.LEADER, unit=org.community1)


def receipts(user):
    return list(MessageReceipt.objects.filter(user=user).select_related("message"))


def test_each_cadre_is_reminded_once_a_day_and_the_grids_leader_after_two_intervals(
    org, cadre, cadre2, street_leader, community_leader, doors
):
    assert must_visit_remind_task.delay().get() == 2  # the Celery task (eager in tests): cadre, community leader

    (mine,) = receipts(cadre)
    assert mine.message.sender is None and mine.message.unit == org.district and "必访对象" in mine.message.text
    (leaders,) = receipts(community_leader)
    assert "逾期超过两个走访周期" in leaders.message.text  # `never`: overdue by more than 2N days
    assert receipts(cadre2) == [] and receipts(street_leader) == []  # grid2 is not overdue; a street is not told

    assert must_visit_remind(DAY) == 0  # twice the same day: nothing new
    assert len(receipts(cadre)) == 1 and MustVisitReminder.objects.count() == 2
    assert must_visit_remind(DAY + dt.timedelta(days=1)) == 2  # the next day, again
    assert len(receipts(cadre)) == 2 and CadreMessage.objects.count() == 4  # one message per day and kind


def test_a_later_run_the_same_day_reminds_only_the_newly_overdue(org, cadre, cadre2, doors, must_campaign):
    assert must_visit_remind(DAY) == 1  # cadre
    HouseholdFactory(unit=org.grid2, tags=["低保"])  # grid2 now has an overdue must-visit
    assert must_visit_remind(DAY) == 1 and len(receipts(cadre2)) == 1 and len(receipts(cadre)) == 1
    assert receipts(cadre2)[0].message_id == receipts(cadre)[0].message_id  # the day's one message


def test_the_cadre_reads_the_reminder_like_any_message(api, cadre, web, doors):
    must_visit_remind(DAY)
    (row,) = api.as_user(cadre).get("/api/v1/messages/").json()["results"]
    assert row["sender_name"] is None and "必访对象" in row["text"]
    assert "今日必访提醒" in web(cadre).get("/m/").content.decode()  # in 消息与任务


def test_the_reminders_take_a_fixed_number_of_queries(
    org, cadre, community_leader, doors, django_assert_max_num_queries
):
    # districts, governance, counts, cadres, leaders; per message: savepoint, key, message, key row, receipts, insert
    with django_assert_max_num_queries(19):
        must_visit_remind(DAY)
    for i in range(5):
        UserFactory(role=Role.CADRE, unit=org.grid1 if i % 2 else org.community1)
    with django_assert_max_num_queries(19):
        assert must_visit_remind(DAY + dt.timedelta(days=1)) == 7


def test_the_leader_is_told_only_once_overdue_by_more_than_two_intervals(org, cadre, community_leader):
    young = CampaignFactory(start_date=DAY - dt.timedelta(days=9), must_visit_tags=["残疾"], must_visit_days=N)
    young.units.add(org.district)
    HouseholdFactory(unit=org.grid1, tags=["残疾"])  # never visited: overdue by 10 days

    assert must_visit_remind(DAY) == 1 and receipts(community_leader) == []
    later = DAY + dt.timedelta(days=2 * N - 9)  # overdue by 2N + 1 days
    assert must_visit_remind(later) == 2 and len(receipts(community_leader)) == 1


# --- hostile settings ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tags", "days", "field"),
    [
        (["外星人"], 30, "must_visit_tags"),
        ("独居老人", 30, "must_visit_tags"),
        ([1], 30, "must_visit_tags"),
        (["低保"], 0, "must_visit_days"),
        (["低保"], 367, "must_visit_days"),
        (["低保"], None, "must_visit_days"),
        ([], 30, "must_visit_tags"),
    ],
)
def test_hostile_campaign_settings_are_refused(campaign_obj, tags, days, field):
    campaign_obj.must_visit_tags, campaign_obj.must_visit_days = tags, days
    with pytest.raises(ValidationError) as caught:
        campaign_obj.full_clean()
    assert field in caught.value.message_dict


def test_the_database_refuses_an_interval_out_of_range(campaign_obj):
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign_obj.pk).update(must_visit_days=400)


def test_a_stored_bad_value_is_no_must_visit_list(org, doors, must_campaign):
    Campaign.objects.filter(pk=must_campaign.pk).update(must_visit_tags=["外星人"])
    assert overdue_must_visits(org.district, DAY, limit=50).total == 0


def test_the_admin_form_offers_the_known_tags_and_refuses_others(rf, org, admin_user, campaign_obj):
    request = rf.get("/admin/")
    request.user = admin_user
    form_class = CampaignAdmin(Campaign, admin.site).get_form(request, campaign_obj)

    def post(tags, days):
        data = {
            "name": campaign_obj.name,
            "start_date": campaign_obj.start_date.isoformat(),
            "end_date": campaign_obj.end_date.isoformat(),
            "units": [org.district.pk],
            "checklist": json.dumps(campaign_obj.checklist),
            "sla_overrides": "{}",
            "targets": "{}",
            "is_active": "on",
            "must_visit_tags": tags,
            "must_visit_days": days,
        }
        return form_class(data=data, instance=campaign_obj)

    refused = post(["外星人"], "30")
    assert not refused.is_valid() and "must_visit_tags" in refused.errors
    assert "must_visit_days" in post(["低保"], "0").errors
    accepted = post(["低保", "残疾"], "14")
    assert accepted.is_valid(), accepted.errors
    accepted.save()
    campaign_obj.refresh_from_db()
    assert (campaign_obj.must_visit_tags, campaign_obj.must_visit_days) == (["低保", "残疾"], 14)


def test_the_admin_page_shows_the_tags_as_checkboxes(client, admin_user, campaign_obj):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    html = client.get(f"/admin/campaign/campaign/{campaign_obj.pk}/change/").content.decode()
    assert 'type="checkbox" name="must_visit_tags" value="独居老人"' in html


# --- the dashboard's panel (dashboard.page_data.must_visit_panel) ------------------------------------------------------
def test_the_dashboard_shows_must_visit_coverage_per_unit_and_the_longest_overdue(doors, leader, web, org):
    html = web(leader).get("/dashboard/").content.decode()
    assert 'id="must-visit-body"' in html and "必访对象（四门必敲）" in html
    # per street: grid1's four must-visits (two visited within N: due today, due tomorrow), grid2's one (visited)
    units = dict(re.findall(r'<tr data-unit="(\d+)"[^>]*>\s*<td>[^<]*</td><td class="num">(\d+)</td>', html))
    assert units == {str(org.street1.pk): "4", str(org.street2.pk): "1"}
    # the totals (summed from the rows) are what the list counts on its own
    alone = overdue_must_visits(org.district, today(), 10)
    assert (alone.total, alone.overdue) == (5, 2)
    assert "共 5 户，逾期 2 户" in html
    listed = re.findall(r'<li data-household="(\d+)">', html)
    assert set(listed) == {str(doors["never"].pk), str(doors["late"].pk)}
    assert "王小明" not in html  # masked, as everywhere


def test_no_panel_where_no_campaign_names_must_visits(org, leader, web, campaign_obj):
    HouseholdFactory(unit=org.grid1, tags=["独居老人"])
    assert 'id="must-visit-body"' not in web(leader).get("/dashboard/").content.decode()
