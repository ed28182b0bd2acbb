"""Categories as rows (issue 15 item 1): the defaults a database starts with, what a ticket may take, the admin's
rules (a name is fixed once saved, never deleted), the free-text categories carried over by the migration."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from campaign.categories import allowed_names, ensure_defaults, is_allowed
from campaign.models import Campaign, Category
from campaign.models.categories import DEFAULT_CODES
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_a_new_database_has_the_default_categories_with_their_codes():
    assert dict(Category.objects.values_list("name", "code")) == DEFAULT_CODES
    assert list(Category.objects.values_list("name", flat=True)) == list(DEFAULT_CODES)  # in their order


def test_the_defaults_are_only_written_into_an_empty_table():
    Category.objects.filter(code="other").update(active=False)
    Category.objects.create(code="street_light", name="路灯不亮", parent=Category.objects.get(code="traffic"))
    ensure_defaults()
    assert Category.objects.count() == len(DEFAULT_CODES) + 1
    assert not Category.objects.get(code="other").active


def test_a_campaign_naming_no_category_allows_every_active_one():
    campaign = CampaignFactory()
    Category.objects.filter(code="education").update(active=False)
    names = allowed_names(campaign)
    assert "教育" not in names and "道路交通" in names and len(names) == len(DEFAULT_CODES) - 1
    assert is_allowed(campaign, "道路交通") and is_allowed(None, "道路交通")
    assert not is_allowed(campaign, "教育") and not is_allowed(None, "教育")
    assert not is_allowed(campaign, "别的")


def test_a_campaign_naming_categories_allows_only_those():
    campaign = CampaignFactory()
    campaign.categories.set(Category.objects.filter(code__in=["traffic", "housing"]))
    assert allowed_names(campaign) == ["住房物业", "道路交通"]
    assert is_allowed(campaign, "住房物业") and not is_allowed(campaign, "教育")


@pytest.mark.parametrize(
    "fields",
    [
        {"code": "Bad Code", "name": "甲"},
        {"code": "-lead", "name": "乙"},
        {"code": "ok", "name": ""},
        {"code": "traffic", "name": "丙"},  # the code is taken
        {"code": "fresh", "name": "道路交通"},  # the name is taken
    ],
)
def test_the_database_refuses_a_bad_or_duplicate_category(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(**fields)


def test_a_category_cannot_be_its_own_parent():
    category = Category.objects.get(code="traffic")
    category.parent_id = category.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        category.save()


def test_the_admin_fixes_a_saved_name_and_code_and_never_deletes(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root-c", password="Pw-Categories-2026!")
    client.force_login(admin)
    category = Category.objects.get(code="traffic")
    page = client.get(reverse("admin:campaign_category_change", args=[category.pk]))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode() and 'name="code"' not in page.content.decode()
    assert client.get(reverse("admin:campaign_category_delete", args=[category.pk])).status_code == 403
    added = client.post(
        reverse("admin:campaign_category_add"),
        {"code": "street_light", "name": "路灯不亮", "active": "on", "position": 3},
    )
    assert added.status_code == 302 and Category.objects.filter(code="street_light").exists()


def test_the_migration_carries_free_text_categories_over(transactional_db):
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("campaign", "0009_calendar_official"), ("issues", "0014_router_model")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldCampaign = old.get_model("campaign", "Campaign")
    OldCampaign.objects.create(
        name="旧活动", start_date="2026-01-01", end_date="2026-12-31", categories=["道路交通", "老旧小区改造"]
    )
    executor.loader.build_graph()
    call_command("migrate", verbosity=0)
    campaign = Campaign.objects.get(name="旧活动")
    assert sorted(campaign.categories.values_list("name", flat=True)) == ["老旧小区改造", "道路交通"]
    assert Category.objects.get(name="道路交通").code == "traffic"
    assert Category.objects.get(name="老旧小区改造").active
