"""The demo's complaint generator (issues.texts): varied texts per category, deterministic, clean, cheap — and the
demo's tickets use it (issue 15 item 2: a model trained on the demo must be useful on texts it never saw)."""

from __future__ import annotations

import io
import random
import unicodedata

import pytest
from django.core.management import call_command

from campaign.models.categories import DEFAULT_CODES
from issues.models import Ticket
from issues.texts import CATEGORIES, complaint_text


def test_the_categories_are_the_default_ones_but_other():
    assert set(CATEGORIES) == set(DEFAULT_CODES) - {"其他"}


def test_the_same_seed_gives_the_same_texts():
    first, second = random.Random(42), random.Random(42)
    assert [complaint_text(first, c) for c in CATEGORIES * 5] == [complaint_text(second, c) for c in CATEGORIES * 5]


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_is_varied_and_clean(category):
    rng = random.Random(category)
    texts = [complaint_text(rng, category) for _ in range(3000)]
    assert len(set(texts)) >= 1000
    for text in texts:
        assert 4 <= len(text) <= 500 and "{" not in text and "}" not in text
        assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs")]


def test_an_unknown_category_is_refused():
    with pytest.raises(KeyError):
        complaint_text(random.Random(0), "不存在的类别")


@pytest.mark.django_db
def test_the_demo_tickets_speak_in_many_phrasings():
    call_command("seed_demo", "--size", "small", "--seed", "7", stdout=io.StringIO())
    descriptions = list(Ticket.objects.values_list("description", flat=True))
    assert len(descriptions) >= 50
    assert len(set(descriptions)) >= 0.8 * len(descriptions)
