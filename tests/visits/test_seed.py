"""Demo visits (visits.seed, called by seed_demo): plausible, mostly verified, and the demo cadre has visits today."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from campaign.seed import seed_now
from visits.models import Visit


@pytest.mark.django_db
def test_small_seed_adds_about_a_thousand_visits_in_the_cadres_own_grids(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    call_command("seed_demo", size="small", stdout=io.StringIO())

    assert 700 <= Visit.objects.count() <= 1500
    statuses = dict(Visit.objects.values_list("geo_status").annotate(n=Count("id")))
    assert statuses["verified"] > 0.75 * sum(statuses.values())
    assert {"far", "poor_accuracy", "no_fix"} <= set(statuses)
    assert not Visit.objects.filter(visited_at__gt=timezone.now()).exists()
    # the demo's day: today once 10:00 has passed, else yesterday (campaign.seed.seed_now)
    today = Visit.objects.filter(cadre__username="cadre", visited_at__date=seed_now().date())
    assert today.count() >= 3
    sample = Visit.objects.select_related("cadre", "household").exclude(household=None).first()
    assert sample.household.unit_id == sample.cadre.unit_id == sample.unit_id
    assert set(sample.checklist) == sample.campaign.checklist_keys()
    # the questionnaire (issue 16 item 6): typed answers, 家庭人口 from the registry; meetings with participants and
    # a key project's visit for the demo cadre
    assert {q.type for q in sample.campaign.questions()} == {"text", "choice", "number"}
    assert sample.checklist["satisfaction"] in ("满意", "基本满意", "不满意")
    assert sample.checklist["people"] == min(max(sample.household.members, 1), 20)
    meetings = Visit.objects.filter(target_type="meeting")
    assert meetings.count() >= 4 and all(m.participants.exists() and m.head_count for m in meetings)
    assert Visit.objects.filter(target_type="project", cadre__username="cadre").exists()
